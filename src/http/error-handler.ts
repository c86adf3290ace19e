import type { ErrorRequestHandler, RequestHandler } from "express";
import { ApiError } from "../errors.js";
import type { Logger } from "../logger.js";

/** Unknown routes answer the contract's JSON body, never Express's HTML page. */
export const notFound: RequestHandler = (_req, _res, next) => next(new ApiError(404));

/** The one place an error becomes a response: the contract's body, its status, and Retry-After for 429. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const apiError = toApiError(err);
    if (apiError.code === 950) {
      // Only the error's kind and message: a stack or request could carry what the logs must never hold.
      logger.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, method: req.method, route: req.route?.path }, "request failed");
    }
    if (res.headersSent) return;
    if (apiError.retryAfter !== undefined) res.setHeader("Retry-After", String(apiError.retryAfter));
    res.status(apiError.status).json(apiError.toBody());
  };
}

/** Body-parser errors (bad JSON, too large, bad encoding) are the client's: 965. Anything else is ours: 950. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { type?: unknown; status?: unknown };
  if (typeof e?.type === "string" && typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return new ApiError(965, { description: e.type === "entity.too.large" ? "The request body is too large." : "The request body is not valid JSON." });
  }
  return new ApiError(950);
}
