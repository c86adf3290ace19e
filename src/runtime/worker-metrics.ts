import type { Services } from "../services.js";
import { startMetricsServer, type MetricsServer } from "../metrics/metrics-server.js";

/**
 * A worker-only process has no Express app: its metrics and health on a port of their own (METRICS_PORT).
 * Ready while `isAccepting` says so and Redis answers.
 */
export function startWorkerMetrics(
  services: Pick<Services, "config" | "metrics" | "redis" | "queues">,
  port: number,
  isAccepting: () => boolean,
): Promise<MetricsServer> {
  const { config, redis, queues } = services;
  return startMetricsServer({
    port,
    host: config.HOST,
    metrics: services.metrics,
    queues: [queues.push, queues.expiry],
    token: config.METRICS_TOKEN,
    isReady: async () => isAccepting() && (await redis.ping().then((p) => p === "PONG", () => false)),
  });
}
