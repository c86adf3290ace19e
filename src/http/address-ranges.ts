import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** One address range: an address and how many leading bits must match (32 or 128 for a single address). */
export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * A client address as one canonical text, or null when it is not an address: strictly a dotted-quad IPv4 or an
 * IPv6 address (no zone, none of the legacy forms like `127.1` or `0x7f.0.0.1` that lenient parsers accept), an
 * IPv4-mapped IPv6 address given as its IPv4 address.
 */
export function canonicalAddress(text: string): string | null {
  const bare = text.trim();
  if (bare.length > 45 || bare.includes("%") || isIP(bare) === 0) return null;
  return ipaddr.process(bare).toString();
}

/** One address or CIDR (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`), or null when it is neither. */
export function parseRange(text: string): AddressRange | null {
  const [addr = "", bits, ...rest] = text.trim().split("/");
  if (rest.length) return null;
  const canonical = canonicalAddress(addr);
  if (!canonical) return null;
  const parsed = ipaddr.parse(canonical);
  const max = parsed.kind() === "ipv4" ? 32 : 128;
  if (bits === undefined) return [parsed, max];
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
  return [parsed, Number(bits)];
}

/** Whether an address (any form `canonicalAddress` takes) lies in one of the ranges. */
export function inRanges(address: string, ranges: readonly AddressRange[]): boolean {
  const canonical = canonicalAddress(address);
  if (!canonical || ranges.length === 0) return false;
  const parsed = ipaddr.parse(canonical);
  return ranges.some(([net, bits]) => net.kind() === parsed.kind() && (parsed as ipaddr.IPv4).match(net as ipaddr.IPv4, bits));
}
