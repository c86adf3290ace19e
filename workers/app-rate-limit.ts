import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Keys } from "../src/keys.js";
import type { RedisClient } from "../src/redis.js";

/**
 * Keeps each app's pushes under PUSH_RATE_PER_APP per second, counted in Redis so every worker process shares
 * one budget (SNS quotas are per account and region, and a customer's webhook has its own limits).
 *
 * Why not BullMQ's limiter: OSS BullMQ limits a whole queue, so one busy app would hold back every other app;
 * per-group limits are BullMQ Pro only. Here a send over its app's budget is moved back to "delayed" until the
 * next window (plus jitter, so the waiting sends spread over it) and does not count as a failed attempt.
 */
export interface AppRateLimiter {
  /** Take one send from the app's budget: 0 when it may go now, else the milliseconds to wait. */
  take(appId: string): Promise<number>;
}

export function createAppRateLimiter(redis: RedisClient, keys: Keys, perSecond: number, random: () => number = Math.random): AppRateLimiter {
  if (perSecond <= 0) return { take: async () => 0 };
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: keys.rateLimit("push-app"),
    points: perSecond,
    duration: 1,
    rejectIfRedisNotReady: true,
  });
  return {
    async take(appId) {
      try {
        await limiter.consume(appId);
        return 0;
      } catch (err) {
        if (err instanceof RateLimiterRes) return err.msBeforeNext + Math.floor(random() * 1000);
        throw err;
      }
    },
  };
}
