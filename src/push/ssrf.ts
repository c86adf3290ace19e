import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

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

/** Resolve the URL's host and refuse it when any address is internal: used right before each send. */
export async function assertPublicUrl(url: string): Promise<void> {
  if (isInternalUrl(url)) throw new Error("webhook URL points at an internal address");
  const host = hostOf(new URL(url));
  if (isIP(host)) return;
  const addresses = await lookup(host, { all: true });
  if (addresses.some((a) => isInternalAddress(a.address))) throw new Error("webhook URL resolves to an internal address");
}
