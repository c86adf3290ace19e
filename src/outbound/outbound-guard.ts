import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, type AgentOptions } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isGlobalUnicast } from "./global-address.js";

/**
 * The SSRF guard of contract 2.3 for every outbound call to a host the gateway does not choose itself (a tenant's
 * Native webhook, the audit webhook; next a service account's `token_uri`, APNs and Web Push endpoints): unless
 * ALLOW_PRIVATE_WEBHOOKS, only global unicast addresses, checked on the address actually connected to, so a name
 * that resolved to a public address when the settings were saved and resolves to 127.0.0.1 now (DNS rebinding)
 * gets nowhere. The operator's own SNS_ENDPOINT, FCM_ENDPOINT and APNS_ENDPOINT do not go through it.
 */

/** A connection refused by the guard: its host is, or resolves to, an address that is not global unicast. */
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

export interface OutboundPolicy {
  /** ALLOW_PRIVATE_WEBHOOKS: connect wherever the host points (development, tests, a private network by choice). */
  allowPrivate: boolean;
  /** Name resolution; the system resolver unless a test passes its own. */
  resolve?: Resolver;
}

/** What an outbound client needs to connect under the policy. */
export interface OutboundGuard {
  /**
   * The agent for `url`'s protocol: give it to `http.request` / `https.request`, or to a library that takes one
   * (web-push's `agent`, gaxios's `agent`). It refuses a literal host and every resolved address that is not
   * global unicast; the request then fails with an InternalAddressError.
   */
  agentFor(url: URL): HttpAgent;
  /**
   * For clients that take no agent (`http2.connect` for APNs): spread into their connect options, after
   * `checkHost(url.hostname)`, since Node never calls a lookup for a literal IP host.
   */
  connectOptions: { lookup?: LookupFunction };
  /** Throws InternalAddressError when `host` is a literal IP the policy refuses. */
  checkHost(host: string): void;
  /** Close the agents' idle kept-alive sockets. */
  destroy(): void;
}

const refusedLiteral = () => new InternalAddressError("the host is an internal address (not global unicast)");
const unbracketed = (host: string) => host.replace(/^\[|\]$/g, "");

/**
 * True when a URL's literal host is plainly not global, without DNS: a name reserved for the local machine or
 * network, or an IP literal outside global unicast. The check settings make when they are saved (contract 1.5);
 * sends check again at connect time through `createOutboundGuard`.
 */
export function literalHostIsInternal(url: string | URL): boolean {
  const host = unbracketed(new URL(url).hostname).toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal")) return true;
  return isIP(host) !== 0 && !isGlobalUnicast(host);
}

/**
 * A `lookup` (for `net`/`tls`/`http` connect options) that hands on a name's addresses only when every one is
 * global unicast; one that is not fails the connection with an InternalAddressError.
 */
export function globalOnlyLookup(resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      if (!addresses.length) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      if (!addresses.every((a) => isGlobalUnicast(a.address))) {
        return callback(new InternalAddressError("the host resolves to an internal address (not global unicast)"), "", 0);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses as [LookupAddress];
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Node connects to a literal IP host without calling `lookup`: the agent checks such a host itself before any
 * socket is opened, and hands the refusal to the request the way Node's Agent takes a failed connection.
 */
function refusingLiteralHosts<A extends HttpAgent>(agent: A): A {
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const host = unbracketed(String(options.host ?? options.hostname ?? ""));
    const refused = options.socketPath !== undefined || (isIP(host) !== 0 && !isGlobalUnicast(host));
    if (!refused) return connect(options, callback);
    // Node's Agent reads only the error when one is given (the stream argument is for success).
    const fail = callback as ((err: Error) => void) | undefined;
    process.nextTick(() => fail?.(refusedLiteral()));
    return undefined;
  };
  return agent;
}

/**
 * The guard for one kind of outbound call: keep-alive agents (as Node's global ones) that enforce the policy,
 * built once and shared by every call of that kind. `agentOptions` carries what a client needs on top
 * (a client certificate, a CA); its `lookup` is always the guard's.
 */
export function createOutboundGuard(policy: OutboundPolicy, agentOptions: AgentOptions = {}): OutboundGuard {
  const lookup = policy.allowPrivate ? undefined : globalOnlyLookup(policy.resolve);
  const options: AgentOptions = { keepAlive: true, timeout: 5000, ...agentOptions, ...(lookup && { lookup }) };
  const guard = <A extends HttpAgent>(agent: A) => (policy.allowPrivate ? agent : refusingLiteralHosts(agent));
  const http = guard(new HttpAgent(options));
  const https = guard(new HttpsAgent(options));
  return {
    agentFor: (url) => (url.protocol === "https:" ? https : http),
    connectOptions: lookup ? { lookup } : {},
    checkHost(host) {
      const bare = unbracketed(host);
      if (!policy.allowPrivate && isIP(bare) !== 0 && !isGlobalUnicast(bare)) throw refusedLiteral();
    },
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}
