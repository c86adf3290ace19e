import type { Socket } from "socket.io";
import { ApiError } from "../errors.js";
import { addressKey } from "../http/client-address.js";

/**
 * When a refused socket should try again, in seconds. A place frees up when a socket on the same credential or
 * address ends or leaves, which the node cannot foresee; meanwhile the browser client polls L4
 * (web/client/push-mfa.ts) and an app still gets its pushes through its provider, so a few seconds serve the user
 * without turning refusals into a stream of handshakes.
 */
const RETRY_AFTER_SECONDS = 10;

export interface SocketCapOptions {
  /** Sockets per credential (a page's token hash, a device's key fingerprint); 0 = no limit. */
  perCredential: number;
  /** Sockets per client address (`addressKey`: an IPv6 client by its /64); 0 = no limit. */
  perAddress: number;
}

export interface SocketCaps {
  /**
   * Count `socket` against its credential's and its address's caps until it is gone; throws ApiError 429 (with
   * RetryAfter) when either is full. Call it last in the handshake: nothing after it may fail.
   */
  hold(socket: Socket, credential: string, ip: string): void;
}

/**
 * Caps on the sockets of one namespace, per gateway node, in memory: contract 2.1's on page sockets (per token and
 * per address), and the device channel's per key. Sockets are the node's own resource (memory, file descriptors),
 * so the node counts exactly what it holds, with no Redis round trip in the handshake and no counter left behind
 * in Redis when a node dies with its sockets.
 */
export function createSocketCaps(o: SocketCapOptions): SocketCaps {
  const credentials = createCounter(o.perCredential);
  const addresses = createCounter(o.perAddress);
  return {
    hold(socket, credential, ip) {
      const address = addressKey(ip);
      if (credentials.full(credential) || addresses.full(address)) throw new ApiError(429, { retryAfter: RETRY_AFTER_SECONDS });
      credentials.add(credential);
      addresses.add(address);
      let held = true;
      const release = (): void => {
        if (!held) return;
        held = false;
        credentials.remove(credential);
        addresses.remove(address);
        socket.off("disconnect", release);
        socket.conn.off("close", release);
      };
      // Whichever comes first. A socket whose connection closed while its handshake was still running never
      // connects, so it never disconnects either: its connection's close gives the place back then.
      socket.once("disconnect", release);
      socket.conn.once("close", release);
    },
  };
}

interface Counter {
  full(key: string): boolean;
  add(key: string): void;
  remove(key: string): void;
}

/** Live counts per key, up to `cap` (0: no cap, nothing counted); a key whose count drops to 0 is forgotten. */
function createCounter(cap: number): Counter {
  if (cap <= 0) return { full: () => false, add: () => undefined, remove: () => undefined };
  const counts = new Map<string, number>();
  return {
    full: (key) => (counts.get(key) ?? 0) >= cap,
    add: (key) => void counts.set(key, (counts.get(key) ?? 0) + 1),
    remove: (key) => {
      const left = (counts.get(key) ?? 0) - 1;
      if (left > 0) counts.set(key, left);
      else counts.delete(key);
    },
  };
}
