import type { Socket } from "socket.io";
import { ApiError } from "../errors.js";
import { appFromKey } from "../http/credentials.js";
import { unavailable } from "../http/error-handler.js";
import { isRedisUnavailable } from "../redis.js";
import type { AppRecord } from "../apps/app-store.js";
import type { Logger } from "../logger.js";
import type { Services } from "../services.js";

/** The app named by a handshake's `apikey`, checked exactly as the REST calls check it. */
export const handshakeApp = (deps: Pick<Services, "apps">, apiKey: unknown): Promise<AppRecord> => appFromKey(deps, apiKey);

/** The handshake's `auth` object, whatever the client sent. */
export const authOf = (socket: Socket): Record<string, unknown> => {
  const auth: unknown = socket.handshake.auth;
  return typeof auth === "object" && auth !== null ? (auth as Record<string, unknown>) : {};
};

type Middleware = (socket: Socket, next: (err?: Error) => void) => void;

/**
 * A Socket.IO middleware from an async check: a refusal reaches the client as `connect_error` whose `data` is the
 * contract's error body (section 0), 429 included, plus (ext) `RetryAfter` seconds when trying again later can
 * help; Redis being away is 950 with `RetryAfter`, anything else unexpected is 950, logged without detail.
 */
export function guard(logger: Logger, check: (socket: Socket) => Promise<void>): Middleware {
  return (socket, next) => {
    check(socket).then(
      () => next(),
      (err: unknown) => {
        const down = !(err instanceof ApiError) && isRedisUnavailable(err);
        const logged = { err: { name: (err as Error)?.name, message: (err as Error)?.message } };
        if (down) logger.warn(logged, "socket handshake failed: Redis unavailable");
        else if (!(err instanceof ApiError)) logger.error(logged, "socket handshake failed");
        const e = err instanceof ApiError ? err : down ? unavailable() : new ApiError(950);
        // (ext) A refusal that can be retried (429, Redis away) says when, as the REST answers' Retry-After does.
        const data = { ...e.toBody(), ...(e.retryAfter !== undefined && { RetryAfter: e.retryAfter }) };
        next(Object.assign(new Error(e.message), { data }));
      },
    );
  };
}
