import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { lookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * The SSRF guard of contract 2.3: unless ALLOW_PRIVATE_WEBHOOKS is set, a customer's webhook may not point at
 * loopback, private, link-local or otherwise internal addresses, checked both on the literal host (when the
 * settings are saved) and on what the name resolves to (when a push is sent).
 */
const internal = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 3],
] as const) internal.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [["::", 127], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8]] as const) internal.addSubnet(net, bits, "ipv6");

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return internal.check(mapped[1], "ipv4");
  }
  return internal.check(address, family === 4 ? "ipv4" : "ipv6");
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/** True when the URL's literal host is obviously internal (no DNS): used to refuse settings at once. */
export function isInternalUrl(url: string): boolean {
  const host = hostOf(new URL(url));
  return host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal") || isInternalAddress(host);
}

/** A connection refused by the guard because its host resolved to an internal address. */
export class InternalAddressError extends Error {
  override name = "InternalAddressError";
  readonly code = "ERR_INTERNAL_ADDRESS";
}

/** The shape of `dns.lookup` with `all: true`, so tests can pass a resolver of their own. */
export type Resolver = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/**
 * A `lookup` for `http.request` that refuses internal addresses at connect time: the address checked is the
 * address connected to, so a name that resolves to a public address when checked and to 127.0.0.1 a moment
 * later (DNS rebinding) gets nowhere. Literal IP hosts never reach a lookup: check them with `isInternalUrl`.
 */
export function publicOnlyLookup(resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      if (!addresses.length) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      if (addresses.some((a) => isInternalAddress(a.address))) {
        return callback(new InternalAddressError("webhook host resolves to an internal address"), "", 0);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses as [LookupAddress];
      callback(null, first.address, first.family);
    });
  };
}

/** Resolve the URL's host and refuse it when any address is internal (the settings check; sends use the lookup). */
export async function assertPublicUrl(url: string): Promise<void> {
  if (isInternalUrl(url)) throw new Error("webhook URL points at an internal address");
  const host = hostOf(new URL(url));
  if (isIP(host)) return;
  const addresses = await lookup(host, { all: true });
  if (addresses.some((a) => isInternalAddress(a.address))) throw new Error("webhook URL resolves to an internal address");
}
