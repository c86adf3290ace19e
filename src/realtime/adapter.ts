import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import type { ServerOptions } from "socket.io";
import type { RedisClient } from "../redis.js";
import { roomChannel, socketChannelPrefix, type AdapterMode } from "./emitters.js";

export interface SocketAdapter {
  adapter: NonNullable<Partial<ServerOptions>["adapter"]>;
  /**
   * Resolves once the subscription to `room`'s channel is active. The sharded adapter SSUBSCRIBEs a room's channel
   * when its first socket joins, without waiting; a status read from Redis before that subscription is live could
   * miss a change published in between.
   */
  subscribed(room: string): Promise<void>;
  /**
   * Call `listener` with the room of every message this node's subscriber receives for a room of the default
   * namespace (the very messages that reach the room's sockets, from this node, another, or a worker's emitter).
   * Returns the way to stop listening.
   */
  onRoomMessage(listener: (room: string) => void): () => void;
}

/** The room of a default-namespace room channel (`<prefix>#/#<room>#`), or undefined for any other channel. */
export function roomOfChannel(prefix: string, channel: string): string | undefined {
  const head = `${prefix}#/#`;
  return channel.startsWith(head) && channel.endsWith("#") && channel.length > head.length + 1 ? channel.slice(head.length, -1) : undefined;
}

/** Listen to the subscriber's messages of one kind (`smessageBuffer` sharded, `pmessageBuffer` classic) as rooms. */
function roomListener(sub: RedisClient, prefix: string, event: "smessageBuffer" | "pmessageBuffer") {
  return (listener: (room: string) => void): (() => void) => {
    // smessageBuffer: (channel, message); pmessageBuffer: (pattern, channel, message).
    const handler = (...args: unknown[]) => {
      const channel = String(event === "smessageBuffer" ? args[0] : args[1]);
      const room = roomOfChannel(prefix, channel);
      if (room !== undefined) listener(room);
    };
    sub.on(event, handler);
    return () => void sub.off(event, handler);
  };
}

/**
 * The Socket.IO Redis adapter of contract 2.1's "any node": sharded (Redis 7 sharded pub/sub, each room on its own
 * channel, only the nodes holding the room receive) by default, or the classic one (every node receives every
 * message). Both are keyed by REDIS_PREFIX, as the worker's emitter is.
 *
 * On a Redis Cluster (REDIS_CLUSTER=1) both clients are ioredis Cluster clients: the subscriber is created with
 * `shardedSubscribers`, so each room's SSUBSCRIBE goes to the master owning the channel's slot, and SPUBLISH is
 * routed by the same slot; the classic adapter's PUBLISH reaches every node of a cluster by itself.
 */
export function createSocketAdapter(mode: AdapterMode, pub: RedisClient, sub: RedisClient, redisPrefix: string): SocketAdapter {
  const prefix = socketChannelPrefix(redisPrefix);
  if (mode === "classic") {
    // One pattern subscription made at start: nothing to wait for per room.
    return {
      adapter: createAdapter(pub, sub, { key: prefix }),
      subscribed: () => Promise.resolve(),
      onRoomMessage: roomListener(sub, prefix, "pmessageBuffer"),
    };
  }
  return {
    adapter: createShardedAdapter(pub, sub, { channelPrefix: prefix, subscriptionMode: "dynamic" }),
    subscribed: async (room) => {
      // Subscribing again to the same channel is a no-op for Redis, and its reply comes after the adapter's own
      // SSUBSCRIBE on the same connection (on a cluster: the same shard's subscriber): a barrier on either.
      await sub.ssubscribe(roomChannel(prefix, "/", room)).catch(() => undefined);
    },
    onRoomMessage: roomListener(sub, prefix, "smessageBuffer"),
  };
}
