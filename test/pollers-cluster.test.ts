import { randomUUID } from "node:crypto";
import { afterAll, expect, it } from "vitest";
import type { AppRecord } from "../src/apps/app-store.js";
import { createChallengeStore } from "../src/challenge/challenge-store.js";
import type { Sealer } from "../src/crypto/sealed.js";
import { hashToken } from "../src/crypto/tokens.js";
import { createGuessBudget } from "../src/guess-budget.js";
import { createKeys } from "../src/keys.js";
import { ping } from "../src/login/ping.js";
import { createRateLimits, defaultRateLimits } from "../src/rate-limits.js";
import { createRedis, isRedisUnavailable, waitForRedis, type RedisClient } from "../src/redis.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";

/**
 * The pollers' client asks for auto-pipelining, which a cluster client must not take: ioredis does not follow a
 * MOVED slot for a batch holding a write that succeeded (every poll's counter is one), so polls in a moved slot
 * failed with a raw MOVED (500) until the slot map refreshed. Two cluster nodes of its own (never 6379); right
 * after a slot moves, every poll answers as L4 does (1103 for these unknown tokens) or a retryable 503.
 */
const nodes: RedisServer[] = [];
let redis: RedisClient | undefined;
afterAll(async () => {
  await redis?.quit();
  await Promise.all(nodes.map((n) => n.stop()));
});

it("on a cluster, L4 polls through the pollers' client follow a slot that moved", async () => {
  for (let i = 0; i < 2; i++) nodes.push(await startRedisServer({ args: ["--cluster-enabled", "yes"] }));
  const [a, b] = nodes as [RedisServer, RedisServer];
  const bId = await b.command("CLUSTER", "MYID");
  await a.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
  await a.command("CLUSTER", "MEET", "127.0.0.1", String(b.port));
  await expect.poll(() => b.command("CLUSTER", "INFO"), { timeout: 10_000 }).toMatch(/cluster_state:ok[\s\S]*cluster_known_nodes:2/);

  // As the runtime builds the pollers' client and stores.
  redis = createRedis({ REDIS_URL: a.url, REDIS_CLUSTER: true }, { autoPipelined: true });
  await waitForRedis(redis, 5000);
  const keys = createKeys(`pc${Date.now()}`);
  const deps = {
    challenges: createChallengeStore(redis, keys, { points: 120, windowMs: 60_000 }),
    guesses: createGuessBudget(createRateLimits(redis, keys, defaultRateLimits).failedGuessesPerIp),
    sealer: {} as Sealer,
    now: Date.now,
  };
  await redis.get("warm-up");

  const tokens = Array.from({ length: 8 }, () => randomUUID());
  const slot = await a.command("CLUSTER", "KEYSLOT", keys.tokenPolls(hashToken(tokens[0]!)));
  await b.command("CLUSTER", "SETSLOT", slot, "NODE", bId);
  await a.command("CLUSTER", "SETSLOT", slot, "NODE", bId);

  const app = { apiKey: randomUUID() } as AppRecord;
  const results = await Promise.allSettled(tokens.map((t, i) => ping(deps, app, t, `203.0.113.${i + 1}`)));
  const seen = results.map((r) => (r.status === "fulfilled" ? r.value : isRedisUnavailable(r.reason) ? 503 : String(r.reason)));
  for (const r of seen) expect(r === 503 || (typeof r === "object" && "error" in r && r.error === 1103), JSON.stringify(seen)).toBe(true);
});
