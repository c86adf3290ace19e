import { createHash } from "node:crypto";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Config } from "./config.js";

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /**
   * Blocking clients (BullMQ workers, adapter subscribers) wait forever for a command; request-path clients
   * must fail fast so a request answers an error instead of hanging while Redis is down.
   * @default false
   */
  blocking?: boolean;
}

/** A new Redis client for this deployment (a Cluster client when REDIS_CLUSTER is set). */
export function createRedis(config: Pick<Config, "REDIS_URL" | "REDIS_CLUSTER">, options: RedisClientOptions = {}): RedisClient {
  const base: RedisOptions = {
    maxRetriesPerRequest: options.blocking ? null : 2,
    // A failover leaves clients talking to a replica: reconnect and resend instead of failing every write.
    reconnectOnError: (err) => err.message.startsWith("READONLY"),
    retryStrategy: (times) => Math.min(times * 200, 2000),
    connectTimeout: 2000,
    commandTimeout: options.blocking ? undefined : 2000,
    lazyConnect: false,
  };
  if (config.REDIS_CLUSTER) {
    const url = new URL(config.REDIS_URL);
    return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      redisOptions: { ...base, password: url.password || undefined, username: url.username || undefined },
      enableReadyCheck: true,
    });
  }
  return new Redis(config.REDIS_URL, base);
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
