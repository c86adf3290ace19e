import type { Services } from "../services.js";
import { ANSWER_BOUNDS_MS, DELIVERY_RESULTS, HOUR_MS, MINUTE_MS, OUTCOMES, type DeliveryResult, type Outcome } from "./counters.js";

export type StatsRange = "hour" | "day" | "week";
export const STATS_RANGES: readonly StatsRange[] = ["hour", "day", "week"];

/** The last hour in minutes, the last day and week in hours (the current, partial bucket last). */
const SHAPE: Record<StatsRange, { bucketMs: number; count: number; tag: "m" | "h" }> = {
  hour: { bucketMs: MINUTE_MS, count: 60, tag: "m" },
  day: { bucketMs: HOUR_MS, count: 24, tag: "h" },
  week: { bucketMs: HOUR_MS, count: 168, tag: "h" },
};

export interface StatsBucket {
  start: number;
  outcomes: Record<Outcome, number>;
  /** Pushes a provider accepted in this bucket. */
  pushes: number;
}

export interface StatsView {
  range: StatsRange;
  bucketMs: number;
  buckets: StatsBucket[];
  totals: Record<Outcome, number>;
  /** Per provider: sends accepted, failed for good, failed and retried. */
  delivery: Record<string, Record<DeliveryResult, number>>;
  /** Answer time from the histogram: the bucket bound under which half (95 %) of the answers fell; null with none. */
  answer: { count: number; p50Ms: number | null; p95Ms: number | null };
  /** "Not me" answers. */
  fraudReports: number;
}

const zeroOutcomes = (): Record<Outcome, number> => ({ approved: 0, denied: 0, notme: 0, expired: 0, cancelled: 0 });

/** The dashboard over `range`, from the minute or hour buckets (one pipelined HGETALL each). */
export async function readStats(deps: Pick<Services, "redis" | "keys" | "now">, appId: string, range: StatsRange): Promise<StatsView> {
  const { bucketMs, count, tag } = SHAPE[range];
  const current = Math.floor(deps.now() / bucketMs);
  const indexes = Array.from({ length: count }, (_, i) => current - count + 1 + i);
  const pipeline = deps.redis.pipeline();
  for (const i of indexes) pipeline.hgetall(deps.keys.statsBucket(appId, `${tag}:${i}`));
  const rows = ((await pipeline.exec()) ?? []).map(([, v]) => (v ?? {}) as Record<string, string>);

  const totals = zeroOutcomes();
  const delivery: StatsView["delivery"] = {};
  const histogram = new Map<string, number>();
  const buckets = rows.map((row, n) => {
    const outcomes = zeroOutcomes();
    let pushes = 0;
    for (const [field, raw] of Object.entries(row)) {
      const v = Number(raw) || 0;
      const [kind, a, b] = field.split(":");
      if (kind === "o" && (OUTCOMES as readonly string[]).includes(a!)) outcomes[a as Outcome] += v;
      else if (kind === "t" && a) histogram.set(a, (histogram.get(a) ?? 0) + v);
      else if (kind === "d" && a && (DELIVERY_RESULTS as readonly string[]).includes(b!)) {
        (delivery[a] ??= { sent: 0, failed: 0, retrying: 0 })[b as DeliveryResult] += v;
        if (b === "sent") pushes += v;
      }
    }
    for (const o of OUTCOMES) totals[o] += outcomes[o];
    return { start: indexes[n]! * bucketMs, outcomes, pushes };
  });
  return { range, bucketMs, buckets, totals, delivery, answer: percentiles(histogram), fraudReports: totals.notme };
}

/** p50 and p95 from the fixed histogram: the upper bound of the bucket where the rank falls (null above the last). */
function percentiles(histogram: Map<string, number>): StatsView["answer"] {
  const bounds = [...ANSWER_BOUNDS_MS.map(String), "inf"];
  const counts = bounds.map((b) => histogram.get(b) ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const at = (q: number): number | null => {
    if (!total) return null;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) return i < ANSWER_BOUNDS_MS.length ? ANSWER_BOUNDS_MS[i]! : null;
    }
    return null;
  };
  return { count: total, p50Ms: at(0.5), p95Ms: at(0.95) };
}
