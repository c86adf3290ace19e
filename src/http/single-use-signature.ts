import type { Request } from "express";
import { ApiError } from "../errors.js";
import { hashToken } from "../crypto/tokens.js";
import type { Services } from "../services.js";
import { credential } from "./request-input.js";
import { isSigned, parseExpires } from "./request-signing.js";

/**
 * A signed request (request-signing.ts) may be replayed until it expires, which is LoginRadius's design and harmless
 * for reads. For the calls that mint a credential (L15's new backup codes, POST /v2/manage/token's bearer) a
 * captured request replayed would hand its holder a fresh credential, so there it is good once: its digest (hashed)
 * is kept with SET NX until the signature's expiry, and a second use is 902. Call it after the signature was
 * checked and accepted; a request authorised by anything else (apisecret, bearer, console session) is let through.
 */
export async function spendSignature(deps: Pick<Services, "redis" | "keys" | "now">, req: Request, appId: string): Promise<void> {
  if (credential(req, "x-loginradius-apisecret", "apisecret") || !isSigned(req)) return;
  const expires = req.headers["x-request-expires"];
  const digest = req.headers.digest;
  const at = typeof expires === "string" ? parseExpires(expires) : null;
  // Unreachable after an accepted signature; refused rather than let through should a caller forget the check.
  if (at === null || typeof digest !== "string") throw new ApiError(902);
  // The digest as compared: the same signature with its prefix in another case or padded with spaces is the same.
  const normal = digest.trim().replace(/^sha-256=/i, "SHA-256=");
  const ttlMs = Math.max(1000, at - deps.now() + 1000);
  const first = await deps.redis.set(deps.keys.usedSignature(appId, hashToken(normal)), "1", "PX", ttlMs, "NX");
  if (first !== "OK") throw new ApiError(902, { description: "The request signature was not accepted: this signed request was already used." });
}
