import { verifyPassword } from "../../src/crypto/passwords.js";
import { emit, probes, serve } from "../lib/serve.js";
import { mapLimit, nowMs, summarize } from "../lib/stats.js";

/**
 * Scenario 6's baseline: the gateway's own password check (`verifyPassword`, scrypt N=2^17 on libuv's pool)
 * alone, at the logins' concurrency, in a process of its own like the gateway's.
 */
async function run(a: { storedHash: string; password: string; concurrency: number; durationMs: number }) {
  const latency: number[] = [];
  let count = 0;
  const cpu0 = process.cpuUsage();
  const start = nowMs();
  const end = start + a.durationMs;
  let lastEnd = start;
  const timer = setInterval(() => emit("progress", { count, perSec: count / ((nowMs() - start) / 1000) }), 3000);
  await mapLimit(
    Array.from({ length: a.concurrency }, (_, i) => i),
    a.concurrency,
    async () => {
      while (nowMs() < end) {
        const t0 = nowMs();
        if (!(await verifyPassword(a.password, a.storedHash))) throw new Error("the stored hash does not match");
        lastEnd = nowMs();
        latency.push(lastEnd - t0);
        count++;
      }
    },
  );
  clearInterval(timer);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (lastEnd - start) / 1000;
  return { count, seconds, perSec: count / seconds, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / count, latency: summarize(latency) };
}

serve({ ...probes, run: run as (a: never) => unknown });
