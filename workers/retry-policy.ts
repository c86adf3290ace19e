import type { BackoffStrategy, JobsOptions } from "bullmq";
import { backoffDelay } from "../src/delivery/backoff.js";

/**
 * A transient failure whose retry the processor already timed: it checked that the retry lands before the
 * challenge's deadline (and says "Retrying" to the page), so BullMQ must wait exactly this long, not another
 * random draw.
 */
export class RetryAfter extends Error {
  override name = "RetryAfter";
  constructor(message: string, readonly delayMs: number) {
    super(message);
  }
}

/** The first retry's delay a job was queued with (PUSH_BACKOFF_MS at the time). */
export function backoffBase(opts: Pick<JobsOptions, "backoff">): number {
  const b = opts.backoff;
  return typeof b === "number" ? b : b?.delay ?? 500;
}

/**
 * The strategy of the push queue's custom backoff type (`DELIVERY_BACKOFF`): the delay the processor chose, or,
 * for jobs without a deadline (endpoint creation and deletion), exponential backoff with jitter.
 */
export const deliveryBackoff: BackoffStrategy = (attemptsMade, _type, err, job) =>
  err instanceof RetryAfter ? err.delayMs : backoffDelay(attemptsMade, job ? backoffBase(job.opts) : 500);
