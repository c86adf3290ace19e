import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface PostForAnswerOptions {
  headers: Record<string, string>;
  /** Text (sent as UTF-8) or bytes (an encrypted Web Push body). */
  body: string | Buffer;
  signal: AbortSignal;
  /** A keep-alive agent for this URL's protocol, shared by the calls of one client. */
  agent: Agent;
  /** Answer bodies longer than this are cut here: enough for any error body, bounded whatever the server sends. */
  maxBodyBytes?: number;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (UTF-8), at most `maxBodyBytes`. */
  body: string;
}

/**
 * One POST with node:http(s) that reads the answer: status, headers (Retry-After) and body (an API's error
 * details), for clients that must classify what the server said, unlike `postOnce`. Redirects are not followed.
 * Rejects on a network failure or when `signal` aborts, before or during the answer.
 */
export function postForAnswer(url: URL, o: PostForAnswerOptions): Promise<Answer> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  const max = o.maxBodyBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { ...o.headers, "content-length": String(Buffer.byteLength(o.body)) },
      signal: o.signal,
      agent: o.agent,
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size >= max) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, max).toString("utf8") }),
      );
      res.on("error", reject);
      // An answer cut short (the signal aborted, the server hung up) rejects even if no "error" comes.
      res.on("close", () => {
        if (!res.complete) reject(Object.assign(new Error("the answer was cut short"), { code: "ECONNRESET" }));
      });
    });
    req.on("error", reject);
    req.end(o.body);
  });
}
