import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { createKeys, type Keys } from "../keys.js";
import { createRedis, requireRedis, type RedisClient, type RedisClientOptions } from "../redis.js";
import { createSealer, type Sealer } from "../crypto/sealed.js";
import { resolveMasterKey } from "../master-key.js";
import { createPushQueues, type PushQueues } from "../delivery/queues.js";
import { createRoomEmitter, type NamespacedEmitter } from "../realtime/emitters.js";
import { createDevicePresence, type DevicePresence } from "../realtime/device-presence.js";

/** What both roles of a process stand on: the Redis clients and what is built directly on them. */
export interface Infrastructure {
  /** The request-path client (fail-fast: no offline queue once connected, bounded commands). */
  redis: RedisClient;
  /** The pollers' client (L4): fail-fast too, and auto-pipelined (on a cluster, the request client itself). */
  pollRedis: RedisClient;
  keys: Keys;
  /** Seals secrets at rest under the master key. */
  sealer: Sealer;
  queues: PushQueues;
  /** Reaches pages and devices on every gateway node through Redis, without a Socket.IO server of its own. */
  emitter: NamespacedEmitter;
  /** Which devices have their app open on some gateway node. */
  presence: DevicePresence;
  /** One more client (the adapter's pair, a worker's blocking one), closed with the others. */
  client(options?: RedisClientOptions): RedisClient;
  /** Wait (bounded) until every client opened so far is ready; RedisUnavailableError otherwise. */
  ready(): Promise<void>;
  /** Close the queues, then every client: the one owner of both. */
  close(): Promise<void>;
}

/**
 * Connect to Redis (bounded: RedisUnavailableError when it does not answer), resolve the master key and open the
 * queues, the room emitter and device presence. On any failure what was opened is closed before the error leaves.
 */
export async function openInfrastructure(config: Config, logger: Logger): Promise<Infrastructure> {
  const clients: RedisClient[] = [];
  const client = (options: RedisClientOptions = {}) => {
    const c = createRedis(config, options);
    c.on("error", (err: Error) => logger.debug({ err: { message: err.message } }, "redis connection error"));
    clients.push(c);
    return c;
  };
  const quitAll = async () => {
    await Promise.allSettled(clients.map((c) => c.quit().catch(() => c.disconnect())));
  };

  const redis = client();
  await requireRedis([redis], 3000).catch(async (err: unknown) => {
    await quitAll();
    throw err;
  });
  const keys = createKeys(config.REDIS_PREFIX);
  const sealer = await resolveMasterKey(config, redis, keys, logger).then(createSealer, async (err: unknown) => {
    await quitAll();
    throw err;
  });
  // The producer adds jobs inside request handlers: a fail-fast client (no offline queue, 2 s timeout), so a request
  // answers 503 while Redis is down instead of waiting for it. The workers get blocking clients of their own.
  const queues = createPushQueues(client(), keys, { attempts: config.PUSH_ATTEMPTS, backoffMs: config.PUSH_BACKOFF_MS });
  // Keyed by REDIS_PREFIX, in the format of the configured adapter (sharded: SPUBLISH per room; classic: PUBLISH).
  const emitter = createRoomEmitter(client(), config.SOCKET_ADAPTER, config.REDIS_PREFIX);
  const presence = createDevicePresence(redis, config.REDIS_PREFIX);
  // On a cluster it could not be auto-pipelined (see createRedis): the request client serves the pollers too.
  const pollRedis = config.REDIS_CLUSTER ? redis : client({ autoPipelined: true });

  return {
    redis,
    pollRedis,
    keys,
    sealer,
    queues,
    emitter,
    presence,
    client,
    // Fail-fast clients refuse commands until connected: a process waits for them all before taking traffic.
    ready: () => requireRedis(clients, 5000),
    async close() {
      await queues.close();
      await quitAll();
    },
  };
}
