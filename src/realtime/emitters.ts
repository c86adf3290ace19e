import { Emitter } from "@socket.io/redis-emitter";
import { createKeys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import type { RoomEmitter } from "./notifier.js";

/** A room emitter that can also address another namespace (`/device`). */
export interface NamespacedEmitter extends RoomEmitter {
  of(nsp: string): RoomEmitter;
}

export type AdapterMode = "sharded" | "classic";

/**
 * The channel prefix both the adapter and the emitters use, keyed by the deployment's REDIS_PREFIX so that two
 * deployments (or two test runs) on one Redis never hear each other (built in keys.ts, as every key is).
 */
export const socketChannelPrefix = (redisPrefix: string): string => createKeys(redisPrefix).socketChannels();

/** The sharded adapter's channel of one public room ("dynamic" subscription mode). */
export const roomChannel = (channelPrefix: string, nsp: string, room: string): string => `${channelPrefix}#${nsp}#${room}#`;

/**
 * How a process without a Socket.IO server (the worker) reaches rooms on every gateway node: through Redis, in
 * the format the configured adapter listens to.
 */
export function createRoomEmitter(redis: RedisClient, mode: AdapterMode, redisPrefix: string): NamespacedEmitter {
  const prefix = socketChannelPrefix(redisPrefix);
  if (mode === "sharded") return createShardedEmitter(redis, { channelPrefix: prefix });
  // @socket.io/redis-emitter speaks only the classic adapter's channels (PUBLISH on `key#nsp#room#`).
  return new Emitter(redis, { key: prefix }) as unknown as NamespacedEmitter;
}

export interface ShardedEmitterOptions {
  /** The sharded adapter's `channelPrefix`. */
  channelPrefix: string;
  /** @default "/" */
  nsp?: string;
}

/** socket.io-adapter's ClusterAdapter MessageType.BROADCAST and socket.io-parser's PacketType.EVENT. */
const BROADCAST = 3;
const EVENT = 2;
/** The uid the cluster adapter sees; any value other than a node's own uid is taken as "another member". */
const EMITTER_UID = "emitter";

/**
 * @socket.io/redis-emitter for the sharded adapter (`createShardedAdapter`, @socket.io/redis-adapter 8.3), which
 * the official emitter does not speak. The adapter, in its default "dynamic" subscription mode, SSUBSCRIBEs each
 * public room on `<channelPrefix>#<nsp>#<room>#` and decodes a message as JSON when its first byte is `{`
 * (notepack otherwise), then hands `{ uid, nsp, type: BROADCAST, data: { opts, packet } }` to
 * ClusterAdapter#onMessage. That is exactly what is SPUBLISHed here. Payloads must be JSON (no binary).
 */
export function createShardedEmitter(redis: RedisClient, o: ShardedEmitterOptions): NamespacedEmitter {
  const nsp = o.nsp ?? "/";
  return {
    to(room) {
      // A 20-character room is taken for a socket id and published on the namespace's main channel instead.
      if (room.length === 20) throw new Error("room names of exactly 20 characters are reserved for socket ids");
      return {
        emit(event: string, ...args: unknown[]) {
          const message = {
            uid: EMITTER_UID,
            nsp,
            type: BROADCAST,
            data: {
              opts: { rooms: [room], except: [], flags: {} },
              packet: { type: EVENT, data: [event, ...args], nsp },
            },
          };
          // Keyed by the channel: on a Redis Cluster, ioredis sends it to the master owning the channel's slot.
          const sent = redis.spublish(roomChannel(o.channelPrefix, nsp, room), JSON.stringify(message));
          // Fire-and-forget callers (the notifier) must not crash the process on a Redis blip; awaiting ones see it.
          sent.catch(() => undefined);
          return sent;
        },
      };
    },
    of(other) {
      return createShardedEmitter(redis, { ...o, nsp: other.startsWith("/") ? other : `/${other}` });
    },
  };
}
