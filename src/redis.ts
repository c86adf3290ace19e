import { createHash } from "node:crypto";
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import type { Config } from "./config.js";

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /**
   * Blocking clients (BullMQ workers, the adapter's subscriber) wait for Redis to come back: their commands are
   * queued while it is away and never time out. Request-path clients (the default) fail fast instead, so a
   * request answers 503 within 2 s rather than hanging while Redis is down: on a single Redis, no offline queue
   * once first connected (a command sent while disconnected fails at once), and a 1.5 s command timeout (a Redis
   * that accepts but does not answer; on a cluster, also a command queued while the cluster reconnects).
   * @default false
   */
  blocking?: boolean;
  /**
   * A subscriber of sharded pub/sub (the Socket.IO adapter's). On a Redis Cluster, SSUBSCRIBE must reach the
   * master that owns each channel's slot: ioredis then keeps one subscriber connection per master.
   * @default false
   */
  subscriber?: boolean;
  /**
   * ioredis auto-pipelining: commands issued in the same event-loop turn leave in one socket write. For the
   * pollers' client only (L4, many small reads at once); it holds each command until the turn
   * ends, which the answer path's round trips would each pay. A single Redis only: on a cluster, ioredis 6.0 does
   * not follow a MOVED slot for a batch that also holds a write that succeeded (redis/ioredis#2075), so polls would
   * fail (500) until its slot map refreshes; a cluster client ignores it.
   * @default false
   */
  autoPipelined?: boolean;
}

/** How long a request-path command may take before it fails (the request then answers 503). */
export const COMMAND_TIMEOUT_MS = 1500;

/** A new Redis client for this deployment (a Cluster client when REDIS_CLUSTER is set). */
export function createRedis(config: Pick<Config, "REDIS_URL" | "REDIS_CLUSTER">, options: RedisClientOptions = {}): RedisClient {
  const blocking = options.blocking === true || options.subscriber === true;
  const retryStrategy = (times: number) => Math.min(times * 200, 2000);
  const base: RedisOptions = {
    maxRetriesPerRequest: blocking ? null : 1,
    // After a failover the old primary answers writes with READONLY: drop the connection and connect again (to
    // whatever the address now leads to). A blocking client also resends the refused command (2); a request
    // client has no offline queue to resend into, its request fails with 503 and the next one goes through.
    reconnectOnError: (err) => (err.message.startsWith("READONLY") ? (blocking ? 2 : 1) : false),
    connectTimeout: 2000,
    commandTimeout: blocking ? undefined : COMMAND_TIMEOUT_MS,
    lazyConnect: false,
  };
  if (config.REDIS_CLUSTER) {
    const url = new URL(config.REDIS_URL);
    const clusterOptions: ClusterOptions = {
      redisOptions: {
        ...base,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        username: url.username ? decodeURIComponent(url.username) : undefined,
        ...(url.protocol === "rediss:" && { tls: { servername: url.hostname } }),
      },
      // A Cluster client without an offline queue refuses its own CLUSTER INFO ready check while its node
      // connections are still connecting, and flaps: on a cluster, a request command is bounded by the command
      // timeout (1.5 s, then 503) instead.
      enableOfflineQueue: true,
      enableReadyCheck: true,
      clusterRetryStrategy: retryStrategy,
      // A master that moved (failover, resharding) is followed through MOVED; this refreshes the map meanwhile.
      slotsRefreshInterval: 5000,
      shardedSubscribers: options.subscriber === true,
    };
    return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], clusterOptions);
  }
  // Queue commands until the first connection (callers need not wait for "ready" before their first command),
  // then fail fast: from then on, a command sent while disconnected is refused at once.
  const client = new Redis(config.REDIS_URL, { ...base, enableOfflineQueue: true, retryStrategy, enableAutoPipelining: options.autoPipelined === true });
  if (!blocking) client.once("ready", () => (client.options.enableOfflineQueue = false));
  return client;
}

/**
 * Whether an error means "Redis is not answering right now" (down, restarting, failing over, too slow) rather than
 * a bug: such a request answers 503 with a Retry-After, and the client tries again.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === "MaxRetriesPerRequestError" || err.name === "ClusterAllFailedError") return true;
  return /^(READONLY|LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN)\b/.test(err.message) ||
    /Stream isn't writeable|Connection is closed|Command timed out|Redis connection is not ready|Cluster isn't ready|None of startup nodes is available|Failed to refresh slots cache/.test(err.message);
}

/** Resolve once the client is ready, or reject after `timeoutMs` with the connection's last error. */
export function waitForRedis(client: RedisClient, timeoutMs = 3000): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(lastError ?? new Error("timed out"));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
    };
    client.on("ready", onReady);
    client.on("error", onError);
  });
}

/** Redis did not answer at start-up: the process (gateway, worker or admin CLI) cannot run, and says so in one line. */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
}

/**
 * Wait (bounded) until every client is ready. The one place that decides Redis is unavailable at start-up: throws
 * RedisUnavailableError with the connection's last error, and leaves closing the clients to their owner.
 */
export async function requireRedis(clients: readonly RedisClient[], timeoutMs: number): Promise<void> {
  try {
    await Promise.all(clients.map((c) => waitForRedis(c, timeoutMs)));
  } catch (err) {
    throw new RedisUnavailableError((err as Error).message || "no answer");
  }
}

/**
 * Calls `listener` each time the client is ready again after it lost its connection (not at the first connect):
 * Redis restarted, failed over, or the network came back.
 */
export function onReconnected(client: RedisClient, listener: () => void): void {
  let lost = false;
  client.on("close", () => {
    lost = true;
  });
  client.on("ready", () => {
    if (!lost) return;
    lost = false;
    listener();
  });
}

/** Field-value pairs as a script's HGETALL or a stream entry returns them (field, value, field, value…), as a record. */
export function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

/**
 * A Lua script run by EVALSHA (the script body is sent only once per server, after NOSCRIPT), so hot paths
 * do not ship the source on every call.
 */
export function defineScript(lua: string) {
  const sha = createHash("sha1").update(lua).digest("hex");
  return async (client: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return client.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

/**
 * Send `write`, then `then`'s command, and answer what `then` answers once the writes are stored. On a single
 * Redis, one connection runs its commands in the order they were sent, so `then`'s command goes out at once, behind
 * the writes, in the same round trip; a cluster may route them to different masters, so there it waits for the
 * writes. On one connection `then` has run whatever the writes answered: if they failed (a stalled Redis that timed
 * them out on our side, say) they are sent once more, and only a second failure fails the call. `write` must be
 * idempotent (SETs of the same values).
 */
export async function afterWrites<T>(client: RedisClient, write: () => Promise<unknown>, then: () => Promise<T>): Promise<T> {
  if (client instanceof Cluster) {
    await write();
    return then();
  }
  const [written, result] = await Promise.allSettled([write(), then()]);
  if (result.status === "rejected") throw result.reason;
  if (written.status === "rejected") await write();
  return result.value;
}
