import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import { ApiError } from "../errors.js";
import { bodyErrorOf } from "./body-errors.js";
import type { Logger } from "../logger.js";
import { isRedisUnavailable } from "../redis.js";

/** Unknown routes answer the contract's JSON body, never Express's HTML page. */
export const notFound: RequestHandler = (_req, _res, next) => next(new ApiError(404));

/**
 * While Redis is down, restarting or failing over, a request fails fast (the request-path clients have no offline
 * queue, a 1.5 s command timeout): it answers 950's body with HTTP 503 "service unavailable" and `Retry-After: 1`,
 * so clients and load balancers know to try again rather than treat it as a bug.
 */
export const unavailable = (): ApiError =>
  new ApiError(950, { retryAfter: 1, description: "The service is temporarily unavailable (its data store is not answering); please try again in a moment." });

/** The one place an error becomes a response: the contract's body, its status, and Retry-After for 429 and 503. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const down = isRedisUnavailable(err);
    const apiError = down ? unavailable() : toApiError(err, req);
    // Only the error's kind and message: a stack or request could carry what the logs must never hold.
    const logged = { err: { name: (err as Error)?.name, message: (err as Error)?.message }, method: req.method, route: req.route?.path };
    if (down) logger.warn(logged, "request failed: Redis unavailable");
    else if (apiError.code === 950) logger.error(logged, "request failed");
    if (res.headersSent) return;
    if (apiError.retryAfter !== undefined) res.setHeader("Retry-After", String(apiError.retryAfter));
    res.status(down ? 503 : apiError.status).json(apiError.toBody());
  };
}

/**
 * Ours or the client's: an ApiError as thrown; a path parameter that is not valid percent-encoding (the router
 * decodes it and throws a URIError with status 400) is 908; a body that could not be read is 965 (body-errors.ts).
 * Anything else is ours: 950.
 */
function toApiError(err: unknown, req: Request): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return new ApiError(908, { description: "A path parameter is not valid percent-encoding." });
  }
  return bodyErrorOf(req, err) ?? new ApiError(950);
}
