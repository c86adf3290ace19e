import { randomBytes, randomUUID } from "node:crypto";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../src/crypto/tokens.js";
import { createKeys } from "../../src/keys.js";
import { TestPage } from "../support/cluster.js";
import { deletePrefix, REDIS_CLUSTER, startTestGateway, testPrefix, testRedis, type TestGateway } from "../support/gateway.js";
import { TestPhone } from "../support/phone.js";
import { pushOfLogin } from "../support/pushes.js";
import { createAccount, login, ping, useWebhook } from "../support/scenario.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { startWorkerProcess, workerEnv, type WorkerProcess } from "../support/worker-process.js";

/**
 * Scale-out as `npm run test:cluster` runs it: two gateway nodes and two worker processes of one deployment on a
 * Redis Cluster (PMG_TEST_REDIS_CLUSTER=1). Logins on either node, pages on the other, phones answering on either,
 * every push sent by one of the two workers, expiry fired by a worker; and the deployment's keys really spread
 * over the masters, each user's keys in one slot.
 */
let A: TestGateway, B: TestGateway;
let receiver: WebhookReceiver;
const workers: WorkerProcess[] = [];
const pages: TestPage[] = [];

beforeAll(async () => {
  const common = { prefix: testPrefix(), apiKey: randomUUID(), apiSecret: randomBytes(24).toString("base64url"), worker: false };
  A = await startTestGateway(common);
  B = await startTestGateway(common);
  workers.push(...(await Promise.all([startWorkerProcess(workerEnv(A)), startWorkerProcess(workerEnv(A))])));
  receiver = await new WebhookReceiver("whsec-scale-out-signing-secret-01").start();
  await useWebhook(A, receiver);
}, 60_000);

afterAll(async () => {
  for (const p of pages) p.close();
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));
  await Promise.allSettled([A?.stop(), B?.stop()]);
  await receiver?.close();
  if (A) await deletePrefix(A.config.REDIS_PREFIX);
});

let n = 0;
async function enrolledUser() {
  const email = `scale${++n}-${Date.now()}@example.com`;
  await createAccount(A, email);
  const first = await login(B, email);
  const phone = new TestPhone();
  await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url);
  // Users enroll side by side: wait for this one's push, not for any push.
  await pushOfLogin(A, receiver, first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
  return { email, phone };
}

describe("two gateways and two workers on one deployment", () => {
  it("logins on either node are approved through the other, the pages hear it wherever they wait", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => enrolledUser()));
    for (const [i, { email, phone }] of users.entries()) {
      const [loginNode, pageNode] = i % 2 ? [A, B] : [B, A];
      const res = await login(loginNode, email);
      expect(res.status).toBe(200);
      const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
      const page = TestPage.open(pageNode, token);
      pages.push(page);
      await page.waitFor((s) => s.Status === "Pending");
      const handle = (await pushOfLogin(A, receiver, token)).data.secondfactorauthenticationtoken!;
      expect((await phone.answer(loginNode.url, loginNode.apiKey, handle, "Yes")).status).toBe(200);
      const approved = await page.waitFor((s) => s.Status === "Approved");
      expect((await ping(pageNode, token)).body).toEqual(approved.Login);
    }
    // Every push went through one of the two worker processes (none runs in this process): each of the 12 sends
    // (6 enrollments' logins, 6 logins) completed, and each names one of them as its processor.
    const done = await A.services.queues.push.getJobs(["completed"], 0, 1000);
    expect(done.length).toBeGreaterThanOrEqual(12);
    const names = workers.map((w) => w.name);
    expect(done.map((j) => j.processedBy).filter((name) => !names.includes(name ?? ""))).toEqual([]);
  });

  it("an expiry fired by a worker process reaches the page on the other node", async () => {
    const { email } = await enrolledUser();
    const res = await login(A, email);
    const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const page = TestPage.open(B, token);
    pages.push(page);
    await page.waitFor((s) => s.Status === "Pending");
    const ch = (await A.services.challenges.findByToken(hashToken(token)))!;
    await A.services.challenges.update({ appId: ch.appId, uid: ch.uid, challengeId: ch.id }, { expiresAt: Date.now() });
    await (await A.services.queues.expiry.getJob(`expire.${ch.id}`))!.promote();
    expect((await page.waitFor((s) => s.Status === "Expired")).Error).toMatchObject({ ErrorCode: 1104 });
  });

  it.runIf(REDIS_CLUSTER)("the deployment's keys spread over the masters, and each user's keys share one slot", async () => {
    const redis = testRedis() as Cluster;
    try {
      await new Promise<void>((resolve) => (redis.status === "ready" ? resolve() : redis.once("ready", () => resolve())));
      const masters = redis.nodes("master");
      expect(masters.length).toBeGreaterThanOrEqual(3);
      const prefix = A.config.REDIS_PREFIX;
      const perMaster = await Promise.all(
        masters.map(async (node) => {
          const found: string[] = [];
          let cursor = "0";
          do {
            const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
            cursor = next;
            found.push(...keys);
          } while (cursor !== "0");
          return found;
        }),
      );
      expect(perMaster.filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
      // A user's profile, devices and challenges: one hash tag, one slot (the Lua scripts and MULTIs rely on it).
      const keys = createKeys(prefix);
      const userKeys = perMaster.flat().filter((k) => k.includes(":{u:"));
      const uid = userKeys[0]!.split(":{u:")[1]!.split("}")[0]!.split(":")[1]!;
      const slots = new Set(
        await Promise.all(
          [keys.profile(A.apiKey, uid), keys.devices(A.apiKey, uid), keys.pending(A.apiKey, uid), keys.challenge(A.apiKey, uid, "x")].map((k) =>
            redis.cluster("KEYSLOT", k),
          ),
        ),
      );
      expect(slots.size).toBe(1);
    } finally {
      await redis.quit();
    }
  });
});
