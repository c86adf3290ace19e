import { z } from "zod";
import { ApiError } from "../errors.js";
import { hashToken, newToken } from "../crypto/tokens.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";

/** The token trio of a LoginRadius login response. */
export const tokenTrioSchema = z.object({ access_token: z.string(), refresh_token: z.string(), expires_in: z.string() });
export type TokenTrio = z.infer<typeof tokenTrioSchema>;

export interface SessionOwner {
  appId: string;
  uid: string;
}

export interface SessionStore {
  /** Mint an access and a refresh token for a user; Redis keeps only their hashes. */
  mint(owner: SessionOwner): Promise<TokenTrio>;
  /**
   * `mint` in two steps: the tokens at once, and `store`, which writes their records (again, if called again): for
   * a caller that puts one more command behind them in the same round trip (`afterWrites`).
   */
  issue(owner: SessionOwner): { tokens: TokenTrio; store: () => Promise<unknown> };
  /** The owner of a live access token of this app; 905 when unknown or of another app. */
  resolve(appId: string, accessToken: string): Promise<SessionOwner>;
  revoke(accessToken: string): Promise<void>;
  /**
   * The owner of a live access token of this app, which ends it: only the caller whose DEL removes it gets it, so a
   * login exchanged for something else (a console session) cannot be exchanged twice. 905/906 as `resolve`.
   */
  consume(appId: string, accessToken: string): Promise<SessionOwner>;
}

/**
 * How long a session record outlives its token's expiry: Redis would otherwise drop it at the same instant, and an
 * expired token would read as unknown (905) instead of expired (906), which is what a LoginRadius client acts on.
 */
const EXPIRED_KEPT_SECONDS = 86_400;

export function createSessionStore(
  redis: RedisClient,
  keys: Keys,
  ttlSeconds: number,
  now: () => Date = () => new Date(),
): SessionStore {
  const issue = (owner: SessionOwner) => {
    const access = newToken();
    const refresh = newToken();
    const expiresAt = new Date(now().getTime() + ttlSeconds * 1000);
    const record = JSON.stringify({ ...owner, expiresAt: expiresAt.toISOString() });
    // Two keys in two hash slots: two commands (a cluster refuses a cross-slot MULTI).
    const store = () =>
      Promise.all([
        redis.set(keys.session(hashToken(access)), record, "EX", ttlSeconds + EXPIRED_KEPT_SECONDS),
        redis.set(keys.refresh(hashToken(refresh)), record, "EX", ttlSeconds * 24),
      ]);
    return { tokens: { access_token: access, refresh_token: refresh, expires_in: expiresAt.toISOString() }, store };
  };
  return {
    issue,
    async mint(owner) {
      const { tokens, store } = issue(owner);
      await store();
      return tokens;
    },
    async resolve(appId, accessToken) {
      const raw = await redis.get(keys.session(hashToken(accessToken)));
      if (!raw) throw new ApiError(905);
      const record = JSON.parse(raw) as SessionOwner & { expiresAt: string };
      if (record.appId !== appId) throw new ApiError(905);
      if (Date.parse(record.expiresAt) <= now().getTime()) throw new ApiError(906);
      return { appId: record.appId, uid: record.uid };
    },
    async consume(appId, accessToken) {
      const key = keys.session(hashToken(accessToken));
      const raw = await redis.get(key);
      if (!raw) throw new ApiError(905);
      const record = JSON.parse(raw) as SessionOwner & { expiresAt: string };
      // Another app's token stays as it was: only this app's tokens are taken.
      if (record.appId !== appId) throw new ApiError(905);
      if ((await redis.del(key)) !== 1) throw new ApiError(905);
      if (Date.parse(record.expiresAt) <= now().getTime()) throw new ApiError(906);
      return { appId: record.appId, uid: record.uid };
    },
    async revoke(accessToken) {
      await redis.del(keys.session(hashToken(accessToken)));
    },
  };
}
