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
  /**
   * Pings (L4) per 2FA token. @default 120 per 60 s (a 1 s legacy poller fits twice). Counted by the token
   * lookup's own script (challenge/poll-script.ts), in its round trip, rather than by a limiter here.
   */
  pingPerToken: number;
  /**
   * Refused answers (L5) per device handle and caller IP, checked before any work and spent only by refusals: a
   * stranger's junk spends the stranger's budget, never the phone's. @default 10 per 60 s
   */
  answerFailuresPerHandleIp: number;
  /**
   * Unauthenticated calls per IP that are not covered above (L5, L6, L11's QR images, L16's backup codes, unknown
   * tokens), and L9, L13 and L14, whose every call draws an enrollment QR or a set of codes. @default 300 per 60 s
   */
  strangerPerIp: number;
  /** Socket handshakes per IP. @default 60 per 60 s */
  handshakePerIp: number;
  /**
   * Failed guesses per IP: unknown 2FA tokens and QR references (1103), wrong apisecrets (902), invalid access
   * tokens (905), wrong backup codes (1066). Only
   * failures spend it; once spent, the address is refused on every call that checks one (guess-budget.ts).
   * @default 30 per 60 s
   */
  failedGuessesPerIp: number;
}

export const defaultRateLimits: RateLimitOptions = {
  loginPerIp: 30,
  loginPerAccount: 10,
  pingPerToken: 120,
  answerFailuresPerHandleIp: 10,
  strangerPerIp: 300,
  handshakePerIp: 60,
  failedGuessesPerIp: 30,
};

/** Every limit's window. */
export const RATE_LIMIT_WINDOW_SECONDS = 60;

export type RateLimitName = keyof RateLimitOptions;

/** One named limit. Calling it counts a point and refuses 429 once the key's points are spent. */
export interface RateLimit {
  (key: string): Promise<void>;
  /** Refuse 429 if the key's points are spent, counting nothing: the guard of a budget that failures spend. */
  check(key: string): Promise<void>;
  /** Count a point (or `points`) without refusing: a failure spending the budget that `check` guards, or a costly call. */
  charge(key: string, points?: number): Promise<void>;
}
/** The limits that a store counts in the script of the lookup they guard, so no limiter is made for them. */
const COUNTED_BY_LOOKUP = ["pingPerToken"] as const satisfies readonly RateLimitName[];
export type RateLimits = Record<Exclude<RateLimitName, (typeof COUNTED_BY_LOOKUP)[number]>, RateLimit>;

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
      keyPrefix: keys.rateLimit(name),
      points: options[name],
      duration: RATE_LIMIT_WINDOW_SECONDS,
      rejectIfRedisNotReady: true,
    });
    const consume = async (key: string) => {
      try {
        await limiter.consume(keyOf(key));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw tooManyRequests(err.msBeforeNext);
        throw err;
      }
    };
    return Object.assign(consume, {
      // One GET of the limiter's own key (its get() is a MULTI of GET and PTTL, about seven times the CPU in
      // ioredis); the window's remaining time is read only when refusing, for Retry-After.
      async check(key: string) {
        const rlKey = limiter.getKey(keyOf(key));
        const spent = Number(await redis.get(rlKey));
        if (spent >= options[name]) throw tooManyRequests(await redis.pttl(rlKey));
      },
      async charge(key: string, points = 1) {
        await limiter.penalty(keyOf(key), points);
      },
    });
  };
  const limited = (Object.keys(options) as RateLimitName[]).filter((n) => !(COUNTED_BY_LOOKUP as readonly string[]).includes(n));
  return Object.fromEntries(limited.map((n) => [n, make(n)])) as RateLimits;
}

/** The contract's 429, with Retry-After in whole seconds (at least 1) until the window lets the caller in again. */
export const tooManyRequests = (msBeforeNext: number): ApiError => new ApiError(429, { retryAfter: Math.max(1, Math.ceil(msBeforeNext / 1000)) });

/**
 * Held long-poll pings (contract 2.11) a gateway node keeps at once, counted in memory like its sockets. Per 2FA
 * token and per client address a held ping counts against the page sockets' own caps' numbers (SOCKETS_PER_TOKEN,
 * SOCKETS_PER_ADDRESS), in a count of its own.
 */
export const HELD_PINGS_PER_NODE = 10_000;

/** Retry-After (seconds) of a long poll refused because a cap of held pings is full: 429, as a refused socket. */
export const HELD_PING_RETRY_AFTER_SECONDS = 5;
