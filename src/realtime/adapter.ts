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
    return { adapter: createAdapter(pub, sub, { key: prefix }), subscribed: () => Promise.resolve() };
  }
  return {
    adapter: createShardedAdapter(pub, sub, { channelPrefix: prefix, subscriptionMode: "dynamic" }),
    subscribed: async (room) => {
      // Subscribing again to the same channel is a no-op for Redis, and its reply comes after the adapter's own
      // SSUBSCRIBE on the same connection (on a cluster: the same shard's subscriber): a barrier on either.
      await sub.ssubscribe(roomChannel(prefix, "/", room)).catch(() => undefined);
    },
  };
}
