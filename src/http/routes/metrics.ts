import { createHash, timingSafeEqual } from "node:crypto";
import { Router } from "express";
import { ApiError } from "../../errors.js";
import { metricsText } from "../../metrics/exposition.js";
import type { Services } from "../../services.js";

const digest = (v: string) => createHash("sha256").update(v, "utf8").digest();

/**
 * Prometheus metrics: this node's registry, then BullMQ's own queue metrics. Open by default for a private
 * network's scraper; with METRICS_TOKEN set, a Bearer token is required (compared in constant time), and a wrong
 * one (905) spends the caller's failed-guesses budget like any other credential.
 */
export function metricsRoutes(s: Services): Router {
  const r = Router();
  const expected = s.config.METRICS_TOKEN ? digest(`Bearer ${s.config.METRICS_TOKEN}`) : null;
  r.get("/metrics", async (req, res) => {
    if (expected) {
      const ip = req.ip ?? "";
      await s.guesses.refuseIfGuessing(ip);
      if (!timingSafeEqual(digest(req.headers.authorization ?? ""), expected)) {
        await s.guesses.countGuess(ip);
        throw new ApiError(905);
      }
    }
    res.type(s.metrics.registry.contentType).send(await metricsText(s.metrics, [s.queues.push, s.queues.expiry]));
  });
  return r;
}
