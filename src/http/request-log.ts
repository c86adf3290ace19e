import type { RequestHandler } from "express";
import type { Logger } from "../logger.js";

/**
 * One line per request with the route's pattern, never the URL: URLs carry 2FA tokens, handles and
 * enrollment tokens in their query or path.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const route = req.route ? String(req.baseUrl) + String(req.route.path) : "(unmatched)";
      logger.debug({ method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, "request");
    });
    next();
  };
}
