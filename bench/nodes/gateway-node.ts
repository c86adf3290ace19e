import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { startRuntime } from "../../src/runtime/start-runtime.js";
import { workerRole } from "../../workers/worker-role.js";
import type { RateLimitOptions } from "../../src/rate-limits.js";
import { emit, probes, serve } from "../lib/serve.js";
import { nowMs } from "../lib/stats.js";

/**
 * A gateway and/or worker process exactly as `npm run gateway|worker` runs it (startRuntime with the env's
 * config), plus the bench's probes. argv: role (gateway | worker | all), rate limits as JSON.
 * Its stdout (pino, LOG_LEVEL) goes to the bench's log file, as a deployment writes its logs.
 */
const role = process.argv[2] ?? "gateway";
const rateLimits = JSON.parse(process.argv[3] ?? "{}") as Partial<RateLimitOptions>;
const config = loadConfig(process.env);
const runtime = await startRuntime(config, {
  gateway: role !== "worker",
  worker: role !== "gateway" ? workerRole() : undefined,
  logger: createLogger(config.LOG_LEVEL),
  rateLimits,
});

/** Push jobs as the worker sees them: when the first started, how many ended and when the last did. */
const push = {
  firstActiveAt: 0,
  lastEndAt: 0,
  completed: 0,
  failed: 0,
  /** Process CPU (µs) when the first job started and when the last one ended: the drain's own CPU. */
  cpuAtFirstActive: 0,
  cpuAtLastEnd: 0,
  outcomes: {} as Record<string, number>,
  failures: {} as Record<string, number>,
};
const cpuNow = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
if (runtime.workers) {
  const w = runtime.workers.push;
  w.on("active", () => {
    if (!push.firstActiveAt) {
      push.firstActiveAt = nowMs();
      push.cpuAtFirstActive = cpuNow();
    }
  });
  w.on("completed", (_job, result: unknown) => {
    push.completed++;
    push.lastEndAt = nowMs();
    push.cpuAtLastEnd = cpuNow();
    const key = String(result);
    push.outcomes[key] = (push.outcomes[key] ?? 0) + 1;
  });
  w.on("failed", (_job, err) => {
    push.failed++;
    push.lastEndAt = nowMs();
    push.cpuAtLastEnd = cpuNow();
    const key = (err?.message ?? "?").slice(0, 120);
    push.failures[key] = (push.failures[key] ?? 0) + 1;
  });
  setInterval(() => emit("progress", { completed: push.completed, failed: push.failed }), 2000).unref();
}

serve(
  {
    ...probes,
    pushStats: () => push,
    /** Start counting afresh (after a warm-up), so the next drain's stats are its own. */
    pushStatsReset: () => {
      Object.assign(push, { firstActiveAt: 0, lastEndAt: 0, completed: 0, failed: 0, cpuAtFirstActive: 0, cpuAtLastEnd: 0, outcomes: {}, failures: {} });
    },
  },
  { url: runtime.url, port: runtime.port },
  () => runtime.close(),
);
