/**
 * The retry schedule of the push queue: exponential backoff with "equal jitter" (half the delay fixed, half
 * random), so the retries of many sends that failed together (an SNS throttle, a webhook outage) spread out
 * instead of coming back at once.
 */

/** Name of the custom BullMQ backoff type of push-queue jobs; the workers register its strategy. */
export const DELIVERY_BACKOFF = "delivery";

/** No single wait is longer than this, whatever the attempt. */
export const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * The wait before retry number `attempt` (1 for the first retry): between half and all of
 * `baseMs * 2^(attempt-1)`, capped at MAX_BACKOFF_MS (or `baseMs` when that is larger).
 */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const cap = Math.max(MAX_BACKOFF_MS, baseMs);
  const full = Math.min(cap, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}
