import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Which addresses the gateway may connect to on a tenant's behalf (contract 2.3): global unicast only. ipaddr.js
 * names the special ranges, IPv6 ones included, so the IPv4-mapped (`::ffff:7f00:1`, taken apart by `process`),
 * SIIT (`::ffff:0:7f00:1`), NAT64 (`64:ff9b::7f00:1`), 6to4 (`2002:7f00:1::`) and Teredo forms that carry an
 * internal IPv4 address inside an IPv6 one are not "unicast" to it.
 *
 * ipaddr.js 1.9.1 (the version Express pins) still calls a few non-global blocks "unicast"; they are refused here
 * too: every IPv6 address outside 2000::/3, IANA's only global unicast block (IPv4-compatible `::7f00:1`,
 * site-local `fec0::1`, local-use NAT64 `64:ff9b:1::/48`, discard-only `100::/64`...), the IETF protocol block
 * 2001::/23 (benchmarking, ORCHID...), the documentation block 3fff::/20, and IPv4 benchmarking 198.18.0.0/15.
 */
const GLOBAL_V6 = ipaddr.IPv6.parseCIDR("2000::/3");
const NOT_GLOBAL_V6 = [ipaddr.IPv6.parseCIDR("2001::/23"), ipaddr.IPv6.parseCIDR("3fff::/20")];
const NOT_GLOBAL_V4 = [ipaddr.IPv4.parseCIDR("198.18.0.0/15")];

/** "::ffff:1.2.3.4" as "::ffff:102:304": ipaddr.js 1.9.1 reads a dotted IPv4 tail only after "::ffff:". */
function hexTail(address: string): string {
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (!dotted) return address;
  const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
  return `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/**
 * True when `address` (an IP address as text, as DNS answers it) is a global unicast address. Anything else,
 * names and malformed text included, is false: the guard fails closed.
 */
export function isGlobalUnicast(address: string): boolean {
  // node:net's parser, not ipaddr.js's, decides what is an address: ipaddr.js also reads "127.1" or "0x7f.1".
  const family = isIP(address);
  if (family === 0) return false;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(family === 6 ? hexTail(address) : address);
  } catch {
    return false;
  }
  if (ip.range() !== "unicast") return false;
  if (ip instanceof ipaddr.IPv4) return !NOT_GLOBAL_V4.some((range) => ip.match(range));
  return ip.match(GLOBAL_V6) && !NOT_GLOBAL_V6.some((range) => ip.match(range));
}
