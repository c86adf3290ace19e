import { isIPv4, isIPv6 } from "node:net";
import type { Request } from "express";

/** The end user's address, where a trusted backend named it in X-Origin-IP (origin-address.ts sets it). */
const origins = new WeakMap<Request, string>();

/**
 * The address a request is counted and described under: the end user's address from `X-Origin-IP` when the
 * request was trusted to name it (contract 1.6, origin-address.ts), else the address it came from (`req.ip`,
 * after TRUST_PROXY). Per-IP limits, the push's `location` and the failed-guesses budget of tokens use it; the
 * check of a management credential itself always counts against `req.ip`.
 */
export const clientIp = (req: Request): string => origins.get(req) ?? req.ip ?? "";

/** Record the end user's address for this request (only once its X-Origin-IP is trusted). */
export const setOriginAddress = (req: Request, address: string): void => {
  origins.set(req, address);
};

/**
 * The key a client address is counted under by every per-address limit (the REST per-IP rate limits, the page
 * socket cap): an IPv4 address as itself, an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what a dual-stack
 * listener reports for an IPv4 peer) as its IPv4 address, and any other IPv6 address as its /64
 * (`2001:db8:1:2::/64`). One IPv6 host usually holds a whole /64 and picks addresses in it at will, so counting
 * single IPv6 addresses would give it 2^64 budgets. A zone (`fe80::1%eth0`) is dropped; anything that is not an
 * address (an empty string) is returned as it is.
 */
export function addressKey(ip: string): string {
  const zone = ip.indexOf("%");
  const bare = zone >= 0 ? ip.slice(0, zone) : ip;
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return ip;
  const g = ipv6Groups(bare);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join(".");
  }
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`isIPv6` holds), `::` expanded, a dotted IPv4 tail converted. */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const [a, b, c, d] = tail.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const groups = head ? head.split(":") : [];
  if (rest !== undefined) {
    const after = rest ? rest.split(":") : [];
    groups.push(...Array<string>(8 - groups.length - after.length).fill("0"), ...after);
  }
  return groups.map((x) => parseInt(x, 16));
}
