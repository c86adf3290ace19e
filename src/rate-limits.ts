import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { ApiError } from "./errors.js";
import { addressKey } from "./http/client-address.js";
import type { Keys } from "./keys.js";
import type { RedisClient } from "./redis.js";

/** Points per window for everything a stranger can call. Keys are IPs (an IPv6 client by its /64) or hashes, never raw secrets. */
export interface RateLimitOptions {
  /** Login (L2) per client IP. @default 30 per 60 s */
  loginPerIp: number;
  /** Login per account identifier, so one account cannot be push-bombed from many IPs. @default 10 per 60 s */
  loginPerAccount: number;
  /** Pings (L4) per 2FA token. @default 120 per 60 s (a 1 s legacy poller fits twice) */
  pingPerToken: number;
  /** Answers (L5) per device handle. @default 10 per 60 s */
  answerPerHandle: number;
  /** Unauthenticated calls per IP that are not covered above (L5, L6, unknown tokens). @default 300 per 60 s */
  strangerPerIp: number;
  /** Socket handshakes per IP. @default 60 per 60 s */
  handshakePerIp: number;
}

export const defaultRateLimits: RateLimitOptions = {
  loginPerIp: 30,
  loginPerAccount: 10,
  pingPerToken: 120,
  answerPerHandle: 10,
  strangerPerIp: 300,
  handshakePerIp: 60,
};

export type RateLimitName = keyof RateLimitOptions;
export type RateLimits = Record<RateLimitName, (key: string) => Promise<void>>;

/** The limits keyed by a client address: named `…PerIp`, so a limit added later cannot miss the /64 rule. */
const isPerAddress = (name: RateLimitName): boolean => name.endsWith("PerIp");

/**
 * One limiter per name, 60-second windows, in Redis so every gateway node counts together. The per-IP limiters
 * take the client's IP and count it by `addressKey` (an IPv6 client by its /64) themselves, so no caller can
 * forget to.
 */
export function createRateLimits(redis: RedisClient, keys: Keys, options: RateLimitOptions): RateLimits {
  const make = (name: RateLimitName) => {
    const keyOf = isPerAddress(name) ? addressKey : (key: string) => key;
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keys.rateLimits()}:${name}`,
      points: options[name],
      duration: 60,
      rejectIfRedisNotReady: true,
    });
    return async (key: string) => {
      try {
        await limiter.consume(keyOf(key));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw new ApiError(429, { retryAfter: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) });
        throw err;
      }
    };
  };
  return Object.fromEntries((Object.keys(options) as RateLimitName[]).map((n) => [n, make(n)])) as RateLimits;
}
