import { randomBytes, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Cluster, Redis } from "ioredis";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { startRuntime, type Runtime } from "../../src/runtime/start-runtime.js";
import { workerRole } from "../../workers/worker-role.js";
import type { RunningWorkers } from "../../workers/start-workers.js";
import type { RateLimitOptions } from "../../src/rate-limits.js";
import { Arrivals } from "./arrivals.js";

/**
 * The Redis the tests run against: the local one, or what `PMG_TEST_REDIS_URL` names, a cluster seed when
 * `PMG_TEST_REDIS_CLUSTER=1` (`npm run test:cluster` sets both).
 */
export const REDIS_URL = process.env.PMG_TEST_REDIS_URL || "redis://127.0.0.1:6379";
export const REDIS_CLUSTER = process.env.PMG_TEST_REDIS_CLUSTER === "1";

/** A plain client of the test Redis, for tests that read or publish beside the product (quit it yourself). */
export function testRedis(): Redis | Cluster {
  if (!REDIS_CLUSTER) return new Redis(REDIS_URL);
  const url = new URL(REDIS_URL);
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }]);
}

/** Run `fn` on every node holding keys: the one server, or each master of the cluster. */
async function eachMaster(fn: (node: Redis) => Promise<void>): Promise<void> {
  const redis = testRedis();
  try {
    if (redis instanceof Cluster) {
      await new Promise<void>((resolve, reject) => {
        redis.once("ready", () => resolve());
        redis.once("error", reject);
      });
      for (const node of redis.nodes("master")) await fn(node);
    } else {
      await fn(redis);
    }
  } finally {
    await redis.quit();
  }
}

/** A key prefix of its own for each test run, so runs share one Redis without seeing each other. */
export const testPrefix = (): string => `pmgtest-${randomBytes(4).toString("hex")}`;

export interface TestGateway extends Runtime<RunningWorkers> {
  config: Config;
  apiKey: string;
  apiSecret: string;
  /** Everything the process logged, as raw lines. */
  logs: string[];
  /** The first log line, already written or to come, that satisfies `pred` (bounded). */
  waitForLog(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Stop the runtime (keys stay, so a second node can share them). */
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  /**
   * The process's mode, said out loud as operators say it: "production" (the product's default, here with a
   * MASTER_KEY) or "development" (demo pages, CORS "*"; what `npm start` runs). @default "production"
   */
  mode?: "development" | "production";
  prefix?: string;
  gateway?: boolean;
  worker?: boolean;
  env?: Record<string, string>;
  rateLimits?: Partial<RateLimitOptions>;
  /** Share credentials with another node of the same deployment. */
  apiKey?: string;
  apiSecret?: string;
  masterKey?: string;
  /** The APNs stand-in's CA (PEM), trusted by the worker's APNs providers (WorkerRoleOptions.apnsCa). */
  apnsCa?: string;
  /** The Web Push stand-in's CA (PEM), trusted for push endpoints (WorkerRoleOptions.webPushCa). */
  webPushCa?: string;
}

/** Generous limits so a test's many calls from 127.0.0.1 are not refused, unless a test is about limits. */
export const relaxedLimits: RateLimitOptions = {
  loginPerIp: 10_000, loginPerAccount: 10_000, pingPerToken: 10_000, answerFailuresPerHandleIp: 10_000, strangerPerIp: 100_000, handshakePerIp: 100_000,
  failedGuessesPerIp: 100_000,
};

/**
 * A real gateway (and worker) on port 0 against the real Redis, with its own prefix, master key and bootstrap app,
 * in production mode unless `mode` says otherwise. Private webhooks are allowed (the receivers are on 127.0.0.1).
 */
export async function startTestGateway(o: TestGatewayOptions = {}): Promise<TestGateway> {
  const apiKey = o.apiKey ?? randomUUID();
  const apiSecret = o.apiSecret ?? randomBytes(24).toString("base64url");
  const config = loadConfig({
    NODE_ENV: o.mode ?? "production",
    PORT: "0",
    HOST: "127.0.0.1",
    REDIS_URL,
    ...(REDIS_CLUSTER && { REDIS_CLUSTER: "1" }),
    REDIS_PREFIX: o.prefix ?? testPrefix(),
    MASTER_KEY: o.masterKey ?? TEST_MASTER_KEY,
    BOOTSTRAP_API_KEY: apiKey,
    BOOTSTRAP_API_SECRET: apiSecret,
    ALLOW_PRIVATE_WEBHOOKS: "true",
    LOG_LEVEL: "debug",
    ...o.env,
  });
  const logs: string[] = [];
  const logArrivals = new Arrivals();
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      logArrivals.arrived();
      cb();
    },
  });
  const waitForLog = (pred: (line: string) => boolean, timeoutMs = 10_000) =>
    logArrivals.first(logs, pred, timeoutMs, () => `no matching log line among ${logs.length}`);
  const runtime = await startRuntime(config, {
    gateway: o.gateway ?? true,
    worker: (o.worker ?? true) ? workerRole({ apnsCa: o.apnsCa, webPushCa: o.webPushCa }) : undefined,
    logger: createLogger(config.LOG_LEVEL, sink),
    rateLimits: { ...relaxedLimits, ...o.rateLimits },
  });
  return { ...runtime, config, apiKey, apiSecret, logs, waitForLog, stop: () => runtime.close() };
}

export const TEST_MASTER_KEY = randomBytes(32).toString("base64");

/** Delete every key of a prefix (SCAN, never KEYS; on a cluster, on every master, one key per DEL). */
export async function deletePrefix(prefix: string): Promise<void> {
  await eachMaster(async (redis) => {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await keys.reduce((p, key) => p.unlink(key), redis.pipeline()).exec();
    } while (cursor !== "0");
  });
}

/** Every key and value under a prefix, as text, for "no secret in Redis" scans. */
export async function dumpPrefix(prefix: string): Promise<string> {
  return (await dumpEntries(prefix)).flat().join("\n");
}

/** Every key under a prefix with its value as text. */
export async function dumpEntries(prefix: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  await eachMaster(async (redis) => {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === "string" ? ((await redis.get(key)) ?? "")
          // A hash's field order means nothing (a lookup may advance Redis's incremental rehash and change it).
          : type === "hash" ? JSON.stringify(Object.entries(await redis.hgetall(key)).sort(([a], [b]) => a.localeCompare(b)))
          : type === "list" ? JSON.stringify(await redis.lrange(key, 0, -1))
          : type === "set" ? JSON.stringify((await redis.smembers(key)).sort())
          : type === "zset" ? JSON.stringify(await redis.zrange(key, "0", "-1", "WITHSCORES"))
          : type === "stream" ? JSON.stringify(await redis.xrange(key, "-", "+"))
          : "";
        out.push([key, value]);
      }
    } while (cursor !== "0");
  });
  return out;
}
