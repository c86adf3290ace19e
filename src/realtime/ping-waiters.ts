import type { Server } from "socket.io";
import { addressKey } from "../http/client-address.js";
import type { SocketAdapter } from "./adapter.js";

/** Why a held ping stopped waiting. */
export type WakeReason = "event" | "timeout" | "drain" | "closed";

/** One held request's ear on its challenge's room. */
export interface RoomWait {
  /**
   * Resolves at the room's next message (or at once if one came since the last call), when `ms` pass, when the
   * node drains, or when `signal` aborts (the client went away). Leaves no timer or listener behind.
   */
  next(ms: number, signal: AbortSignal): Promise<WakeReason>;
  /** Stop listening (idempotent); the node leaves the room when nothing else of it waits there. */
  close(): void;
}

export interface PingWaiterCaps {
  perNode: number;
  /** 0 = no limit. */
  perToken: number;
  /** 0 = no limit; an IPv6 client by its /64. */
  perAddress: number;
}

/** Contract 2.11's waiting room: held L4 requests of this node, woken by the same messages that reach the sockets. */
export interface PingWaiters {
  /** Take a place for a held request of this token and address; null when a cap is full or the node drains. */
  admit(tokenHash: string, ip: string): (() => void) | null;
  /**
   * Listen to `room`: registered, and the room's channel subscribed, when this resolves. A read made after it
   * cannot miss a change: the change's message arrives after the read or wakes the wait.
   */
  listen(room: string): Promise<RoomWait>;
  /** Every held request on this node wakes once (the subscriber came back: messages may have been lost). */
  wakeAll(): void;
  /** The node drains: every held request answers at once, no new one is held. */
  drain(): void;
  /** Held requests now (tests, metrics). */
  readonly held: number;
}

interface Ear {
  woken: boolean;
  resolve: ((why: WakeReason) => void) | undefined;
}

/**
 * Per node, in memory. A held request joins its challenge's room as a virtual member of the default namespace's
 * adapter (`addAll`), so the node subscribes to the room's channel exactly as it does for a page socket (and leaves
 * it with the room's last member); the adapter's subscriber's own messages for that room wake it. Nothing is read
 * from Redis while waiting.
 */
export function createPingWaiters(io: Server, adapter: SocketAdapter | undefined, caps: PingWaiterCaps): PingWaiters {
  const nsp = io.of("/");
  const rooms = new Map<string, Set<Ear>>();
  const tokens = new Map<string, number>();
  const addresses = new Map<string, number>();
  let held = 0;
  let draining = false;
  const memberOf = (room: string) => `longpoll#${room}`;

  const wake = (ears: Iterable<Ear>, why: WakeReason) => {
    for (const ear of ears) {
      ear.woken = true;
      const resolve = ear.resolve;
      ear.resolve = undefined;
      resolve?.(why);
    }
  };
  // Without the Redis adapter (never so in the runtime) nothing but its time or a drain ends a wait.
  adapter?.onRoomMessage((room) => {
    const ears = rooms.get(room);
    if (ears) wake(ears, "event");
  });

  const count = (map: Map<string, number>, key: string, by: number) => {
    const n = (map.get(key) ?? 0) + by;
    if (n > 0) map.set(key, n);
    else map.delete(key);
  };

  return {
    admit(tokenHash, ip) {
      const address = addressKey(ip);
      const full = (cap: number, map: Map<string, number>, key: string) => cap > 0 && (map.get(key) ?? 0) >= cap;
      if (draining || held >= caps.perNode || full(caps.perToken, tokens, tokenHash) || full(caps.perAddress, addresses, address)) return null;
      held++;
      count(tokens, tokenHash, 1);
      count(addresses, address, 1);
      let taken = true;
      return () => {
        if (!taken) return;
        taken = false;
        held--;
        count(tokens, tokenHash, -1);
        count(addresses, address, -1);
      };
    },

    async listen(room) {
      const ear: Ear = { woken: draining, resolve: undefined };
      let ears = rooms.get(room);
      if (!ears) {
        rooms.set(room, (ears = new Set()));
        await nsp.adapter.addAll(memberOf(room), new Set([room]));
      }
      ears.add(ear);
      await adapter?.subscribed(room);
      let open = true;
      return {
        next(ms, signal) {
          if (ear.woken || draining) {
            ear.woken = false;
            return Promise.resolve(draining ? "drain" : "event");
          }
          if (signal.aborted) return Promise.resolve("closed");
          return new Promise<WakeReason>((resolve) => {
            const done = (why: WakeReason) => {
              clearTimeout(timer);
              signal.removeEventListener("abort", onAbort);
              ear.resolve = undefined;
              ear.woken = false;
              resolve(why);
            };
            const onAbort = () => done("closed");
            const timer = setTimeout(() => done("timeout"), Math.max(0, ms));
            signal.addEventListener("abort", onAbort, { once: true });
            ear.resolve = done;
          });
        },
        close() {
          if (!open) return;
          open = false;
          ear.resolve?.("closed");
          const set = rooms.get(room);
          set?.delete(ear);
          if (set && set.size === 0) {
            rooms.delete(room);
            nsp.adapter.delAll(memberOf(room));
          }
        },
      };
    },

    wakeAll() {
      for (const ears of rooms.values()) wake(ears, "event");
    },

    drain() {
      draining = true;
      for (const ears of rooms.values()) wake(ears, "drain");
    },

    get held() {
      return held;
    },
  };
}
