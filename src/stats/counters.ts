import { defineScript } from "../redis.js";
import type { Services } from "../services.js";

/**
 * The console's dashboard counters (issue 16): per app, one Redis hash per minute (kept ~2 hours) and one per hour
 * (kept ~8 days), incremented where each outcome is decided (right after the atomic END or CREATE script that
 * decided it) and where a worker learns how a send went; never computed by reading the audit stream back.
 *
 * Fields of a bucket:
 * - `o:<outcome>`: challenges that ended so (approved, denied, notme, expired, cancelled);
 * - `d:<provider>:<result>`: sends per provider (sent, failed, retrying);
 * - `t:<bound>`: answers whose time (push sent → the phone's answer decided, which is when the page is told) was at
 *   most `bound` ms, a fixed histogram (`t:inf` above the last bound), from which p50 and p95 are read.
 */

export type Outcome = "approved" | "denied" | "notme" | "expired" | "cancelled";
export const OUTCOMES: readonly Outcome[] = ["approved", "denied", "notme", "expired", "cancelled"];
export type DeliveryResult = "sent" | "failed" | "retrying";
export const DELIVERY_RESULTS: readonly DeliveryResult[] = ["sent", "failed", "retrying"];

/** Upper bounds (ms) of the answer-time histogram's buckets; one more bucket, `inf`, above the last. */
export const ANSWER_BOUNDS_MS = [250, 500, 1000, 2000, 3000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 900_000] as const;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** How long buckets are kept: minutes for the last hour's chart (with margin), hours for the last week's. */
const MINUTE_TTL_S = 2 * 3600;
const HOUR_TTL_S = 8 * 24 * 3600;

export const minuteBucket = (ms: number) => `m:${Math.floor(ms / MINUTE_MS)}`;
export const hourBucket = (ms: number) => `h:${Math.floor(ms / HOUR_MS)}`;

export type CounterDeps = Pick<Services, "redis" | "keys" | "logger" | "now">;

/** The histogram field an answer time falls in. */
export const answerField = (ms: number): string => `t:${ANSWER_BOUNDS_MS.find((b) => ms <= b) ?? "inf"}`;

/** KEYS: the minute's and the hour's bucket; ARGV: their TTLs, then field, by, field, by… */
const BUMP = `
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
`;
const bumpScript = defineScript(BUMP);

/**
 * Add to the current minute's and hour's buckets, in one script (both keys carry the app's hash tag; a MULTI of the
 * same writes costs ioredis about seven times the CPU, and this runs on every answer). Never fails its caller: a
 * dashboard counter is not worth a failed login.
 */
export async function bump(deps: CounterDeps, appId: string, fields: Record<string, number>): Promise<void> {
  const now = deps.now();
  const minute = deps.keys.statsBucket(appId, minuteBucket(now));
  const hour = deps.keys.statsBucket(appId, hourBucket(now));
  try {
    await bumpScript(deps.redis, [minute, hour], [MINUTE_TTL_S, HOUR_TTL_S, ...Object.entries(fields).flat()]);
  } catch (err) {
    deps.logger.warn({ err: { message: (err as Error).message }, app: appId }, "dashboard counter not recorded");
  }
}

/** A challenge ended with this outcome; `answerMs` when a phone answered it (approved, denied, not me). */
export function countOutcome(deps: CounterDeps, appId: string, outcome: Outcome, answerMs?: number): Promise<void> {
  return bump(deps, appId, { [`o:${outcome}`]: 1, ...(answerMs !== undefined && answerMs >= 0 && { [answerField(answerMs)]: 1 }) });
}

/** A worker's send through `provider` went so (sent, failed for good, or failed and will be retried). */
export function countDelivery(deps: CounterDeps, appId: string, provider: string, result: DeliveryResult): Promise<void> {
  if (!/^[a-z0-9-]{1,20}$/.test(provider) || provider === "none") return Promise.resolve();
  return bump(deps, appId, { [`d:${provider}:${result}`]: 1 });
}
