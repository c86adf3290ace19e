import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Challenge } from "../src/challenge/challenge.js";
import { hashToken, newToken } from "../src/crypto/tokens.js";
import type { Services } from "../src/services.js";
import { defaultPushSettings } from "../src/settings/push-settings.js";
import { deletePrefix, REDIS_CLUSTER, REDIS_URL, startTestGateway, TEST_MASTER_KEY, testPrefix, type TestGateway } from "./support/gateway.js";
import { startStormClients, type StormClients, type StormStats } from "./support/storm-clients.js";
import { startStormNode, type NodeMemory, type StormNode } from "./support/storm-node.js";

/**
 * A reconnect storm: 5,000 waiting pages (in two client processes) connect at once to one gateway node (a process
 * of its own), as they would when the node they were on died. The node admits SOCKET_HANDSHAKES_PER_SECOND and
 * refuses the rest with 429 and a RetryAfter hint; the clients wait at least that long, with jitter
 * (reconnect-backoff.ts). Asserted: every page connects while its login is still pending (before the seeded
 * challenges' deadline, a login's default lifetime after seeding: a page that gets in later is of no use), every
 * refusal carried the hint and was honoured, and the node's heap after the pages left is back within 10% of its
 * level before the storm. Printed, not asserted (timing thresholds do not belong in tests): how long the storm
 * took, and L4 ping latency p99 during the storm vs idle.
 */

const PAGES = 5000;
const CLIENT_PROCESSES = 2;
const RATE = Number(process.env.STORM_RATE ?? 500);
/** The seeded logins live as long as a login does by default: the storm must be over before they expire. */
const LOGIN_LIFETIME_MS = defaultPushSettings("").ChallengeTtlSeconds * 1000;

let prefix: string;
let apiKey: string;
let seeder: TestGateway;
let node: StormNode;
const clients: StormClients[] = [];
let tokens: string[] = [];
/** When the first seeded login expires (every other one expires later). */
let loginsExpireAt: number;
/** Time left before the seeded logins expire: how long a storm may take to be of any use. */
const untilLoginsExpire = () => loginsExpireAt - seeder.services.now();

/** A pending challenge straight in the store (no scrypt login), with a browser token the test keeps. */
async function seedPending(s: Services, uid: string): Promise<string> {
  const token = newToken();
  const now = s.now();
  const c: Challenge = {
    id: newToken(), appId: apiKey, uid, kind: "login", message: "", context: "", status: "Pending", createdAt: now, expiresAt: now + LOGIN_LIFETIME_MS,
    tokenHash: hashToken(token), handleHash: hashToken(newToken()), handleSealed: "", identifier: `${uid}@example.com`,
    browser: "Firefox on Linux", location: "127.0.0.1", number: "", numberOptions: "", numberMode: "Off", sends: 1,
    lastSendAt: now, delivery: "Sent", deviceCount: 1, loginSealed: "", finalizeUntil: 0, endedAt: 0, reason: "",
    // Pages only: nothing is pushed, so there is no push data to sign.
    serverSignature: "",
  };
  await s.challenges.create(c, LOGIN_LIFETIME_MS + 60_000);
  return token;
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? NaN;

/** L4 pings one after another until `stop` resolves; their latencies in ms. */
async function pingWhile(stop: Promise<unknown>, token: string, maxCount = Infinity): Promise<number[]> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const url = `${node.url}/login/2fa/push/ping?apikey=${apiKey}&secondfactorauthenticationtoken=${token}`;
  const out: number[] = [];
  while (!stopped && out.length < maxCount) {
    const t = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    out.push(performance.now() - t);
    // A pending challenge: 403 1295, every time, storm or not.
    if (res.status !== 403) throw new Error(`ping answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return out;
}

beforeAll(async () => {
  prefix = testPrefix();
  apiKey = randomUUID();
  const apiSecret = randomBytes(24).toString("base64url");
  // A process with neither role: this test's hands on the deployment's stores, to seed the pages' challenges.
  seeder = await startTestGateway({ prefix, apiKey, apiSecret, gateway: false, worker: false });
  const uids = Array.from({ length: PAGES + 1 }, () => randomBytes(16).toString("hex"));
  loginsExpireAt = seeder.services.now() + LOGIN_LIFETIME_MS;
  for (let i = 0; i < uids.length; i += 500) tokens.push(...(await Promise.all(uids.slice(i, i + 500).map((u) => seedPending(seeder.services, u)))));
  node = await startStormNode({
    NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", REDIS_URL, ...(REDIS_CLUSTER && { REDIS_CLUSTER: "1" }), REDIS_PREFIX: prefix,
    MASTER_KEY: TEST_MASTER_KEY, BOOTSTRAP_API_KEY: apiKey, BOOTSTRAP_API_SECRET: apiSecret, LOG_LEVEL: "warn",
    SOCKET_HANDSHAKES_PER_SECOND: String(RATE),
    // Every page comes from loopback: the per-address socket cap would refuse all but 200 of them.
    SOCKETS_PER_ADDRESS: "0",
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.stop()));
  await node?.stop();
  await seeder?.stop();
  await deletePrefix(prefix);
});

describe("a reconnect storm on one node", () => {
  it(`${PAGES} pages at once: all connect while their logins are pending, the refused ones were told when and waited, memory comes back`, async () => {
    const probe = tokens.pop()!;
    const share = Math.ceil(tokens.length / CLIENT_PROCESSES);
    const groups = Array.from({ length: CLIENT_PROCESSES }, (_, i) => tokens.slice(i * share, (i + 1) * share));

    // Warm the node up (code paths and their JIT, the refusal path included, pools) with a smaller wave that comes
    // and goes, then measure it idle: the baseline is a node that has seen a storm, not a cold one.
    const WARM = Math.round(RATE * 1.5);
    const warm = await startStormClients({ url: node.url, apikey: apiKey, tokens: groups[0]!.slice(0, WARM) });
    expect((await warm.storm(untilLoginsExpire())).everConnected).toBe(WARM);
    await warm.close();
    await warm.stop();
    await expect.poll(async () => (await node.memory()).sockets, { timeout: 10_000 }).toBe(0);
    const before: NodeMemory = await node.memory();
    const idle = await pingWhile(new Promise(() => undefined), probe, 200);

    clients.push(...(await Promise.all(groups.map((g) => startStormClients({ url: node.url, apikey: apiKey, tokens: g })))));
    const storm = Promise.all(clients.map((c) => c.storm(untilLoginsExpire())));
    const during = await pingWhile(storm, probe);
    const stats: StormStats[] = await storm;

    const sum = (f: (s: StormStats) => number) => stats.reduce((a, s) => a + f(s), 0);
    const report = {
      pages: PAGES,
      connected: sum((s) => s.connected),
      refused: sum((s) => s.refused),
      refusedWithHint: sum((s) => s.refusedWithHint),
      minSlackMs: Math.min(...stats.map((s) => s.minSlackMs)),
      maxAttempts: Math.max(...stats.map((s) => s.maxAttempts)),
      allConnectedMs: Math.max(...stats.map((s) => s.allConnectedMs)),
      connectP50Ms: Math.max(...stats.map((s) => s.connectP50Ms)),
      connectP99Ms: Math.max(...stats.map((s) => s.connectP99Ms)),
      otherErrors: stats.map((s) => s.otherErrors),
      dropped: sum((s) => s.dropped),
      pingP99IdleMs: +p99(idle).toFixed(1),
      pingP99StormMs: +p99(during).toFixed(1),
      pingP99Ratio: +(p99(during) / p99(idle)).toFixed(1),
      pingsDuringStorm: during.length,
    };
    const held = await node.memory();
    console.log(`reconnect storm (${RATE} handshakes/s admitted): ${JSON.stringify(report)}`);

    // Every page is connected before the logins' deadline, each on its own socket, and none was dropped once in.
    expect(report.connected).toBe(PAGES);
    expect(held.sockets).toBe(PAGES);
    expect(report.dropped).toBe(0);
    // The node shed the storm: refusals happened, each with the 429 body and a RetryAfter, each honoured.
    expect(report.refused).toBeGreaterThan(0);
    expect(report.refusedWithHint).toBe(report.refused);
    expect(report.minSlackMs).toBeGreaterThanOrEqual(0);

    await Promise.all(clients.map((c) => c.close()));
    await expect.poll(async () => (await node.memory()).sockets, { timeout: 15_000 }).toBe(0);
    const after = await node.memory();
    console.log(
      `node memory (after GC): heapUsed ${mb(before.heapUsed)} before, ${mb(held.heapUsed)} with ${PAGES} pages, ${mb(after.heapUsed)} after they left` +
        ` (${pct(after.heapUsed, before.heapUsed)}); rss ${mb(before.rss)} / ${mb(held.rss)} / ${mb(after.rss)} (${pct(after.rss, before.rss)})`,
    );
    expect(after.heapUsed).toBeLessThanOrEqual(before.heapUsed * 1.1);
    // The storms end by the logins' deadline at the latest; then the pages leave (bounded by the polls above).
  }, LOGIN_LIFETIME_MS + 60_000);
});

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
const pct = (a: number, b: number) => `${a >= b ? "+" : ""}${(((a - b) / b) * 100).toFixed(1)}%`;
