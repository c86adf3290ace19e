import { connect, constants as h2, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import type { SecureContext } from "node:tls";

/** What APNs answered one request. */
export interface ApnsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The request never got an answer: the connection failed, the stream was reset, or the caller gave up. */
export class ApnsTransportError extends Error {
  override name = "ApnsTransportError";
  constructor(
    message: string,
    /** Node's error code (ECONNREFUSED, ERR_SSL_…), or the HTTP/2 reset code's name. */
    readonly code: string,
  ) {
    super(message);
  }
}

export interface ApnsSessionOptions {
  /** `https://host[:port]` of the APNs provider API. */
  origin: string;
  /** The TLS context: the push certificate for certificate authentication, extra trust anchors for tests. */
  secureContext?: () => SecureContext | undefined;
  /** How often an idle connection is checked with an HTTP/2 PING. @default 60000 */
  pingIntervalMs?: number;
  /** A PING unanswered this long means the connection is dead: it is dropped. @default 10000 */
  pingTimeoutMs?: number;
}

export interface ApnsSession {
  /** POSTs `body` to `path` on the current connection (opened on first use, again after it ended). */
  post(path: string, headers: OutgoingHttpHeaders, body: string, signal: AbortSignal): Promise<ApnsAnswer>;
  /** Ends the connection; a later `post` opens a new one. */
  close(): void;
}

/** Answers bigger than this are cut: APNs's are a few dozen bytes of JSON. */
const MAX_ANSWER_BYTES = 16 * 1024;

/**
 * One long-lived HTTP/2 connection to APNs, as Apple asks providers to keep (opening one per push is treated as a
 * denial-of-service attempt): every push of the app and environment is a stream on it. A GOAWAY, an error, a
 * failed PING or the connection's close drops it, and the next push opens a new one. A push refused by a
 * connection that was going away (REFUSED_STREAM, or the session closing under it) was never processed by APNs,
 * so it is sent once more on a new connection rather than counted as a failure.
 */
export function createApnsSession(o: ApnsSessionOptions): ApnsSession {
  const pingIntervalMs = o.pingIntervalMs ?? 60_000;
  const pingTimeoutMs = o.pingTimeoutMs ?? 10_000;
  let current: ClientHttp2Session | undefined;

  function open(): ClientHttp2Session {
    if (current && !current.closed && !current.destroyed) return current;
    const context = o.secureContext?.();
    const s = connect(o.origin, { ...(context && { secureContext: context }), settings: { enablePush: false } });
    current = s;
    const drop = () => {
      if (current === s) current = undefined;
    };
    // Node closes the session itself after a GOAWAY (streams in flight finish); new pushes go to a new one.
    s.on("goaway", drop);
    s.on("error", drop);
    const keepAlive = setInterval(() => ping(s), pingIntervalMs);
    keepAlive.unref();
    s.on("close", () => {
      clearInterval(keepAlive);
      drop();
    });
    // An idle connection must not keep a worker process from exiting.
    s.unref();
    return s;
  }

  function ping(s: ClientHttp2Session): void {
    if (s.closed || s.destroyed) return;
    const deadline = setTimeout(() => s.destroy(), pingTimeoutMs);
    deadline.unref();
    try {
      const sent = s.ping((err) => {
        clearTimeout(deadline);
        if (err) s.destroy();
      });
      // False: earlier PINGs are still unanswered, and their own deadlines judge the connection.
      if (!sent) clearTimeout(deadline);
    } catch {
      clearTimeout(deadline);
      s.destroy();
    }
  }

  return {
    async post(path, headers, body, signal) {
      try {
        return await once(open(), path, headers, body, signal);
      } catch (err) {
        if (!(err instanceof RefusedStream)) throw err;
        return once(open(), path, headers, body, signal);
      }
    },
    close() {
      const s = current;
      current = undefined;
      s?.close();
    },
  };
}

/** The stream was not processed by APNs (safe to send again on another connection). */
class RefusedStream extends ApnsTransportError {}

/** HTTP/2 error codes by number (RFC 9113 section 7), to name a stream's reset in an error. */
const RESET_NAMES = [
  "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR",
  "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
];

/** "timed out" (the request's timeout or the challenge's deadline) or "was cancelled" (a shutdown). */
function abortCause(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === "TimeoutError" ? "timed out" : "was cancelled";
}

function once(s: ClientHttp2Session, path: string, headers: OutgoingHttpHeaders, body: string, signal: AbortSignal): Promise<ApnsAnswer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ApnsTransportError(`the push ${abortCause(signal)} before it was sent`, "ABORT_ERR"));
    let stream;
    try {
      stream = s.request({ ":method": "POST", ":path": path, ...headers });
    } catch (err) {
      // The session closed (GOAWAY) between its choice and this request: nothing reached APNs.
      const code = (err as NodeJS.ErrnoException).code ?? "ERR_HTTP2_INVALID_SESSION";
      return reject(new RefusedStream(`the APNs connection was closing (${code})`, code));
    }
    const req = stream;
    let status: number | undefined;
    let answerHeaders: IncomingHttpHeaders = {};
    let ended = false;
    let streamError: NodeJS.ErrnoException | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = () => req.close(h2.NGHTTP2_CANCEL);
    signal.addEventListener("abort", onAbort, { once: true });
    req.on("response", (h) => {
      status = Number(h[":status"]);
      answerHeaders = h;
    });
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
    });
    req.on("end", () => (ended = true));
    req.on("error", (err: NodeJS.ErrnoException) => (streamError = err));
    req.on("close", () => {
      signal.removeEventListener("abort", onAbort);
      if (status !== undefined && ended) return resolve({ status, headers: answerHeaders, body: Buffer.concat(chunks).toString("utf8") });
      if (signal.aborted) return reject(new ApnsTransportError(`the push ${abortCause(signal)} before APNs answered`, "ABORT_ERR"));
      const reset = RESET_NAMES[req.rstCode] ?? `reset code ${req.rstCode}`;
      if (status === undefined && req.rstCode === h2.NGHTTP2_REFUSED_STREAM) {
        return reject(new RefusedStream("APNs refused the stream (its connection was going away)", reset));
      }
      const code = streamError?.code ?? reset;
      reject(new ApnsTransportError(`the APNs request failed before its answer: ${code}`, code));
    });
    req.end(body);
  });
}
