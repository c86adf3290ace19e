import type { RequestHandler } from "express";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";

/**
 * One log line and one duration sample per request, labelled with the route's pattern, never the URL: URLs
 * carry 2FA tokens, handles and enrollment tokens in their query or path.
 */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = req.route ? String(req.baseUrl) + String(req.route.path) : "(unmatched)";
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.debug({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 10_000) / 10 }, "request");
    });
    next();
  };
}
