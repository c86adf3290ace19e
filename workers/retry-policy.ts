import type { BackoffStrategy, JobsOptions } from "bullmq";
import { backoffDelay } from "../src/delivery/backoff.js";
import { TransientDeliveryError } from "../src/delivery/delivery-errors.js";

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
 * The wait before retry number `attempt` of a send that failed with `err`: our backoff with jitter, or longer when
 * the service said how long to wait (Retry-After on a transient failure), since retrying sooner only meets the
 * same refusal. The caller still gives up when that wait ends after the challenge's deadline.
 */
export function retryDelay(attempt: number, opts: Pick<JobsOptions, "backoff">, err: unknown): number {
  const backoff = backoffDelay(attempt, backoffBase(opts));
  const asked = err instanceof TransientDeliveryError ? err.retryAfterMs : undefined;
  return asked === undefined ? backoff : Math.max(backoff, asked);
}

/**
 * The strategy of the push queue's custom backoff type (`DELIVERY_BACKOFF`): the delay the processor chose, or,
 * for jobs without a deadline (endpoint creation and deletion), exponential backoff with jitter.
 */
export const deliveryBackoff: BackoffStrategy = (attemptsMade, _type, err, job) =>
  err instanceof RetryAfter ? err.delayMs : backoffDelay(attemptsMade, job ? backoffBase(job.opts) : 500);
