import type { IncomingMessage } from "node:http";

/**
 * The client's address as Express computes it with a numeric "trust proxy": the socket's peer, or, behind
 * `trustProxy` proxies, the X-Forwarded-For entry that many hops back. Used to rate-limit socket handshakes
 * by the same IP the REST limits see.
 */
export function clientIpOf(req: Pick<IncomingMessage, "headers" | "socket">, trustProxy: number): string {
  const peer = req.socket.remoteAddress ?? "";
  if (trustProxy <= 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : header ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean)
    .reverse();
  const chain = [peer, ...forwarded];
  return chain[Math.min(trustProxy, chain.length - 1)] ?? peer;
}
