import type { Child } from "./child.js";
import { ticker } from "./progress.js";
import { sleep } from "./stats.js";

/** A worker process's push jobs, as bench/nodes/gateway-node.ts counts them (its `pushStats`). */
export interface PushStats {
  firstActiveAt: number;
  lastEndAt: number;
  completed: number;
  failed: number;
  /** Process CPU (µs) when its first job started and when its last one ended. */
  cpuAtFirstActive: number;
  cpuAtLastEnd: number;
  outcomes: Record<string, number>;
  failures: Record<string, number>;
}

/** One or more workers' drain of a backlog, as one: the first start, the last end, sums. */
export type Drained = Omit<PushStats, "cpuAtFirstActive" | "cpuAtLastEnd"> & {
  /** Every worker's CPU from its own first job to its own last one, summed (ms). */
  cpuMs: number;
};

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** Several workers' stats as one drain. */
export function mergePushStats(all: readonly PushStats[]): Drained {
  const ran = all.filter((s) => s.firstActiveAt > 0);
  const out: Drained = {
    firstActiveAt: ran.length ? Math.min(...ran.map((s) => s.firstActiveAt)) : 0,
    lastEndAt: Math.max(0, ...all.map((s) => s.lastEndAt)),
    completed: 0,
    failed: 0,
    cpuMs: ran.reduce((sum, s) => sum + (s.cpuAtLastEnd - s.cpuAtFirstActive) / 1000, 0),
    outcomes: {},
    failures: {},
  };
  for (const s of all) {
    out.completed += s.completed;
    out.failed += s.failed;
    add(out.outcomes, s.outcomes);
    add(out.failures, s.failures);
  }
  return out;
}

/**
 * Wait until `workers` together have ended `count` push jobs (sent or failed for good), polling their `pushStats`
 * every 100 ms with progress every 3 s, or until `timeoutMs` passed; answers their merged stats.
 */
export async function untilDrained(workers: readonly Child[], count: number, o: { scenario: string; label: string; timeoutMs?: number }): Promise<Drained> {
  let last: Drained | undefined;
  const t = ticker(o.scenario, () => `  ${o.label}: ${last?.completed ?? 0}/${count} sent${last?.failed ? `, ${last.failed} failed` : ""}`, 3000);
  try {
    const deadline = Date.now() + (o.timeoutMs ?? 10 * 60_000);
    for (;;) {
      last = mergePushStats(await Promise.all(workers.map((w) => w.call<PushStats>("pushStats"))));
      if (last.completed + last.failed >= count || Date.now() > deadline) return last;
      await sleep(100);
    }
  } finally {
    t.stop();
  }
}
