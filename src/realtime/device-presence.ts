import type { RedisClient } from "../redis.js";
import { createKeys } from "../keys.js";

/** One open socket of one device. */
export interface PresenceEntry {
  appId: string;
  deviceId: string;
  socketId: string;
}

/**
 * Which devices have an open `/device` socket, on any gateway node, as the push worker needs to know. Each socket
 * is a member of the device's sorted set scored with the time it lapses; gateway nodes refresh their sockets
 * every `ttlMs / 3`, so a node that dies takes its sockets' presence with it within `ttlMs`.
 */
export interface DevicePresence {
  readonly ttlMs: number;
  mark(entries: PresenceEntry[]): Promise<void>;
  clear(entries: PresenceEntry[]): Promise<void>;
  /** Connected right now, and not muted. */
  isOnline(appId: string, deviceId: string): Promise<boolean>;
  /**
   * The device left a push unacknowledged: do not count on its socket for `muteMs` (the next sends take the
   * app's own provider), whatever the heartbeats say, until it connects again.
   */
  mute(appId: string, deviceId: string): Promise<void>;
  /** A fresh connection of the device lifts the mute. */
  unmute(appId: string, deviceId: string): Promise<void>;
}

export interface DevicePresenceOptions {
  /** @default 30_000 */
  ttlMs?: number;
  /** @default 120_000 */
  muteMs?: number;
  now?: () => number;
}

export function createDevicePresence(redis: RedisClient, redisPrefix: string, o: DevicePresenceOptions = {}): DevicePresence {
  const keys = createKeys(redisPrefix);
  const ttlMs = o.ttlMs ?? 30_000;
  const now = o.now ?? Date.now;
  return {
    ttlMs,
    async mark(entries) {
      const t = now();
      // One MULTI per device key (never across keys), so this runs on a Redis Cluster too.
      await Promise.all(
        entries.map((e) => {
          const key = keys.devicePresence(e.appId, e.deviceId);
          return redis.multi().zremrangebyscore(key, "-inf", t).zadd(key, t + ttlMs, e.socketId).pexpire(key, ttlMs).exec();
        }),
      );
    },
    async clear(entries) {
      await Promise.all(entries.map((e) => redis.zrem(keys.devicePresence(e.appId, e.deviceId), e.socketId)));
    },
    async isOnline(appId, deviceId) {
      const [sockets, muted] = await Promise.all([
        redis.zcount(keys.devicePresence(appId, deviceId), `(${now()}`, "+inf"),
        redis.exists(keys.deviceMuted(appId, deviceId)),
      ]);
      return sockets > 0 && muted === 0;
    },
    async mute(appId, deviceId) {
      await redis.set(keys.deviceMuted(appId, deviceId), "1", "PX", o.muteMs ?? 120_000);
    },
    async unmute(appId, deviceId) {
      await redis.del(keys.deviceMuted(appId, deviceId));
    },
  };
}
