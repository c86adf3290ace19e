import { Router } from "express";
import { ApiError } from "../../errors.js";
import type { Services } from "../../services.js";

/**
 * Prometheus metrics: this node's registry, then BullMQ's own queue metrics. Open by default for a private
 * network's scraper; with METRICS_TOKEN set, a Bearer token is required.
 */
export function metricsRoutes(s: Services): Router {
  const r = Router();
  r.get("/metrics", async (req, res) => {
    const token = s.config.METRICS_TOKEN;
    if (token && req.headers.authorization !== `Bearer ${token}`) throw new ApiError(905);
    const parts = [await s.metrics.registry.metrics()];
    for (const queue of [s.queues.push, s.queues.expiry]) {
      parts.push(await queue.exportPrometheusMetrics({ queue: queue.name }));
    }
    res.type(s.metrics.registry.contentType).send(parts.join("\n"));
  });
  return r;
}
