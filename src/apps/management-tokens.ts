import { randomBytes } from "node:crypto";
import { hashToken } from "../crypto/tokens.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import { together } from "../together.js";
import type { AppStore } from "./app-store.js";

/** How long a management bearer token works (contract 1.6: one hour). */
export const MANAGEMENT_TOKEN_TTL_SECONDS = 3600;

/**
 * (ext) Management bearer tokens, in place of LoginRadius's machine-to-machine tokens: a backend trades its apisecret
 * for a token that works on every management call of its app for an hour. Stored only by hash, with a TTL; each
 * remembers the version of the secret it was issued under, so rotating the secret revokes every token at once.
 */
export interface ManagementTokens {
  issue(apiKey: string): Promise<{ token: string; expiresAt: number }>;
  /** Whether the token is a live one of this app, issued under its current secret. */
  isValid(apiKey: string, token: string): Promise<boolean>;
}

/** What a token looks like: never a GUID, so it cannot be mistaken for a user's access token. */
const SHAPE = /^mgt_[A-Za-z0-9_-]{43}$/;

export function createManagementTokens(redis: RedisClient, keys: Keys, apps: Pick<AppStore, "secretVersion">, now: () => number): ManagementTokens {
  return {
    async issue(apiKey) {
      const version = await apps.secretVersion(apiKey);
      if (version === null) throw new Error("no such app");
      const token = `mgt_${randomBytes(32).toString("base64url")}`;
      await redis.set(keys.managementToken(hashToken(token)), JSON.stringify({ app: apiKey, version }), "EX", MANAGEMENT_TOKEN_TTL_SECONDS);
      return { token, expiresAt: now() + MANAGEMENT_TOKEN_TTL_SECONDS * 1000 };
    },
    async isValid(apiKey, token) {
      if (!SHAPE.test(token)) return false;
      const [stored, version] = await together([redis.get(keys.managementToken(hashToken(token))), apps.secretVersion(apiKey)]);
      if (stored === null || version === null) return false;
      const record = JSON.parse(stored) as { app?: unknown; version?: unknown };
      return record.app === apiKey && record.version === version;
    },
  };
}
