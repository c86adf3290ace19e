import { emit } from "./serve.js";
import { mapLimit, nowMs } from "./stats.js";

/** One timed run of a provider or its bare client: sends per second, this process's CPU per send, failures. */
export interface SendRun {
  n: number;
  perSec: number;
  cpuMsPerCall: number;
  failed: number;
}

/**
 * Warm up (connections, JIT) with up to 200 sends, then time `n` sends at `concurrency`, reporting progress every
 * 2 s; a send that rejects while timed counts as failed. CPU is this process's.
 */
export async function timedSends(n: number, concurrency: number, send: (i: number) => Promise<unknown>): Promise<SendRun> {
  await mapLimit(Array.from({ length: Math.min(200, n) }, (_, i) => i), concurrency, send);
  let done = 0;
  let failed = 0;
  const timer = setInterval(() => emit("progress", { done }), 2000);
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  await mapLimit(Array.from({ length: n }, (_, i) => i), concurrency, async (i) => {
    await send(i).catch(() => failed++);
    done++;
  });
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(c0);
  clearInterval(timer);
  return { n, perSec: (n * 1000) / ms, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / n, failed };
}
