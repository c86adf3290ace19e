import { hashToken, isGuid, newToken } from "../crypto/tokens.js";
import type { Services } from "../services.js";
import type { Challenge } from "./challenge.js";
import type { ValidationResponse } from "./login-response.js";

/** What minting and checking a validation token touch. */
export type ValidationTokenDeps = Pick<Services, "redis" | "keys" | "config" | "now">;

/** What Redis keeps of a validation token (under its hash, never the token). */
interface StoredValidation {
  uid: string;
  challenge: string;
  kind: string;
}

/**
 * The approval of a step-up (L12) or a backend's own challenge (contract 2.12): a new GUID, stored only as its
 * hash, for as long as the challenge's finalize window (FINALIZE_WINDOW_SECONDS, during which L4 and `push:status`
 * serve it), and good once at the validate endpoint. `Uid` only for 2.12, where the backend named the user.
 */
export function issueValidation(deps: ValidationTokenDeps, c: Challenge): { response: ValidationResponse; store: () => Promise<unknown> } {
  const token = newToken();
  const ttlSeconds = deps.config.FINALIZE_WINDOW_SECONDS;
  const expiresAt = new Date(deps.now() + ttlSeconds * 1000);
  const record: StoredValidation = { uid: c.uid, challenge: c.id, kind: c.kind };
  // Written by the caller, with the END script behind it in the same round trip (`afterWrites`).
  const store = () => deps.redis.set(deps.keys.validation(c.appId, hashToken(token)), JSON.stringify(record), "EX", ttlSeconds);
  return { response: { SecondFactorValidationToken: token, ExpireIn: expiresAt.toISOString(), ...(c.kind === "own" && { Uid: c.uid }) }, store };
}

/** Forget a validation token minted for an answer that lost the race (the other answer won): it must never validate. */
export async function revokeValidation(deps: Pick<Services, "redis" | "keys">, appId: string, token: string): Promise<void> {
  await deps.redis.del(deps.keys.validation(appId, hashToken(token)));
}

/**
 * Contract 2.12's validate: the uid of a live validation token of this app, consumed atomically (GETDEL: two
 * concurrent checks get one uid and one null); null for anything else (used, expired, unknown, another app's).
 */
export async function consumeValidation(deps: Pick<Services, "redis" | "keys">, appId: string, token: string): Promise<string | null> {
  if (!isGuid(token)) return null;
  const raw = await deps.redis.getdel(deps.keys.validation(appId, hashToken(token.toLowerCase())));
  if (!raw) return null;
  return (JSON.parse(raw) as StoredValidation).uid;
}
