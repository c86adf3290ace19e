import { request as httpRequest, type Agent } from "node:http";
import { request as httpsRequest } from "node:https";

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  /** The outbound guard's agent for this URL (src/outbound/outbound-guard.ts). */
  agent: Agent;
}

/**
 * One POST with node:http(s) rather than fetch: fetch takes no agent or `lookup`, which the SSRF guard needs to
 * check the address actually connected to. Redirects are not followed. Resolves with the status once the answer's
 * headers arrive; the body is drained and ignored.
 */
export function postOnce(url: URL, o: PostOptions): Promise<number> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { ...o.headers, "content-length": String(Buffer.byteLength(o.body)) },
      signal: o.signal,
      agent: o.agent,
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(o.body);
  });
}
