import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface PostForAnswerOptions {
  headers: Record<string, string>;
  /** Text (sent as UTF-8) or bytes (an encrypted Web Push body). */
  body: string | Buffer;
  /** The caller's end (a deadline, a shutdown): the request is destroyed when it aborts. */
  signal: AbortSignal;
  /**
   * The request's own deadline, on top of `signal`: one timer, cleared with the request. Cheaper per request than
   * a signal of `AbortSignal.any([signal, AbortSignal.timeout(ms)])` (measured in bench scenario 7).
   */
  timeoutMs?: number;
  /** A keep-alive agent for this URL's protocol, shared by the calls of one client. */
  agent: Agent;
  /** Answer bodies longer than this are cut here: enough for any error body, bounded whatever the server sends. */
  maxBodyBytes?: number;
  /** Whether the body of an answer with this status is wanted; when not, it is read to its end and dropped. @default all */
  bodyFor?: (status: number) => boolean;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (UTF-8), at most `maxBodyBytes` ("" when `bodyFor` did not want it). */
  body: string;
}

const aborted = (reason: unknown) => Object.assign(new Error("the request was aborted", { cause: reason }), { name: "AbortError", code: "ABORT_ERR" });
const timedOut = () => Object.assign(new Error("the request timed out"), { code: "ETIMEDOUT" });

/**
 * One POST with node:http(s) that reads the answer: status, headers (Retry-After) and body (an API's error
 * details), for clients that must classify what the server said, unlike `postOnce`. Redirects are not followed.
 * Rejects on a network failure, when `signal` aborts or `timeoutMs` passes, before or during the answer.
 *
 * The signal is watched here (one listener, removed with the request) rather than given to node:http, whose
 * `signal` option costs a stream-finished watcher per request (measured in bench scenario 7).
 */
export function postForAnswer(url: URL, o: PostForAnswerOptions): Promise<Answer> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  const max = o.maxBodyBytes ?? 64 * 1024;
  const signal = o.signal;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(aborted(signal.reason));
    const req = request(url, {
      method: "POST",
      headers: { ...o.headers, "content-length": String(Buffer.byteLength(o.body)) },
      agent: o.agent,
    });
    const onAbort = () => req.destroy(aborted(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => req.destroy(timedOut()), o.timeoutMs);
    const release = () => {
      signal.removeEventListener("abort", onAbort);
      if (timer !== undefined) clearTimeout(timer);
    };
    const fail = (err: unknown) => {
      release();
      reject(err);
    };
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      if (o.bodyFor && !o.bodyFor(status)) res.resume();
      else {
        res.on("data", (chunk: Buffer) => {
          if (size >= max) return;
          chunks.push(chunk);
          size += chunk.length;
        });
      }
      res.on("end", () => {
        release();
        resolve({ status, headers: res.headers, body: chunks.length ? Buffer.concat(chunks).subarray(0, max).toString("utf8") : "" });
      });
      res.on("error", fail);
      // An answer cut short (the signal aborted, the server hung up) rejects even if no "error" comes.
      res.on("close", () => {
        if (!res.complete) fail(Object.assign(new Error("the answer was cut short"), { code: "ECONNRESET" }));
      });
    });
    req.on("error", fail);
    req.end(o.body);
  });
}
