import type { Keys } from "../keys.js";
import { defineScript, type RedisClient } from "../redis.js";

/**
 * One L4 poll of a browser token: counts it against the token's poll budget first and, within the budget, reads
 * where the token's challenge is: one command where a rate-limiter-flexible MULTI and a GET were sent side by
 * side. A fixed window that starts with the token's first poll, as the limiters of rate-limits.ts; a refused poll
 * counts too.
 * KEYS: the token's poll counter, its ref (one cluster slot). ARGV: polls per window, window ms.
 * Returns the window's remaining ms (an integer) once the budget is spent; otherwise the ref (a string) or nil.
 */
export const POLL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return ttl
end
return redis.call('GET', KEYS[2])
`;

/** A token's poll budget: `points` polls per `windowMs`. */
export interface PollBudget {
  points: number;
  windowMs: number;
}

/** What one poll found: refused until the window ends, or the token's encoded ref (null: no such token). */
export type PollOutcome = { retryAfterMs: number } | { ref: string | null };

const pollScript = defineScript(POLL);

/** Count one poll of the token (by its hash) and, within its budget, read its ref. */
export async function pollToken(redis: RedisClient, keys: Keys, tokenHash: string, budget: PollBudget): Promise<PollOutcome> {
  const r = await pollScript(redis, [keys.tokenPolls(tokenHash), keys.tokenRef(tokenHash)], [budget.points, budget.windowMs]);
  return typeof r === "number" ? { retryAfterMs: r } : { ref: (r as string | null) ?? null };
}
