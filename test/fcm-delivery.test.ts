import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PushProvider } from "../src/delivery/push-provider.js";
import type { SendJob } from "../src/delivery/queues.js";
import { createOutboundGuard } from "../src/outbound/outbound-guard.js";
import { createRedis, type RedisClient } from "../src/redis.js";
import { createFcmProvider, type FcmProvider } from "../workers/providers/fcm.js";
import { createProviderSelector } from "../workers/providers/select-provider.js";
import { startWorkers, type RunningWorkers } from "../workers/start-workers.js";
import { expectContractError } from "./support/contract.js";
import { challengeOfToken, enrollWithoutLogin, seedChallenge, sendId, settle, uniqueEmail } from "./support/delivery.js";
import { startFakeFcm, type FakeFcm } from "./support/fake-fcm.js";
import { startFakeOAuthToken, type FakeOAuthToken, type ServiceAccountJson } from "./support/fake-oauth-token.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { TestPhone } from "./support/phone.js";
import { login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * FCM sends through the real send processor: BullMQ workers on the real Redis, one job per (challenge, device,
 * send number), the stand-ins of fcm-provider.test.ts behind them. Until the app's settings route Android to FCM
 * (issue 13, part A), the workers here take their provider from a selector that answers the FCM provider for
 * every send; everything else (retries, dead devices, the 1298 mark) is the product's own.
 */

const PROJECT = "acme-mfa";

let oauth: FakeOAuthToken;
let fcm: FakeFcm;
let account: ServiceAccountJson;
let gw: TestGateway;
let receiver: WebhookReceiver;
let blocking: RedisClient;
let workers: RunningWorkers;
const guard = createOutboundGuard({ allowPrivate: true });
/** The provider every send uses; a test may swap it. */
let current: FcmProvider;

beforeAll(async () => {
  oauth = await startFakeOAuthToken();
  fcm = await startFakeFcm(oauth);
  account = oauth.newServiceAccount(PROJECT);
  // A short base backoff, so that a wait of 2 s or more can only be FCM's Retry-After.
  gw = await startTestGateway({ worker: false, env: { PUSH_BACKOFF_MS: "100", PUSH_RATE_PER_APP: "0" } });
  receiver = await new WebhookReceiver("whsec-fcm-delivery-signing-secret").start();
  await useWebhook(gw, receiver);
  current = createFcmProvider({ serviceAccount: account, endpoint: fcm.url, guard });
  const selector = createProviderSelector({ allowPrivateWebhooks: true, fcmEndpoint: fcm.url });
  blocking = createRedis(gw.config, { blocking: true });
  workers = startWorkers(gw.services, blocking, { ...selector, forDevice: (): PushProvider => current }, { concurrency: 5 });
});

afterAll(async () => {
  await workers?.close();
  await blocking?.quit();
  current?.close();
  guard.destroy();
  await gw?.stop();
  await receiver?.close();
  await fcm?.close();
  await oauth?.close();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

beforeEach(() => {
  oauth.reset();
  fcm.reset();
});

/** A user with one Android device whose FCM token is `token`, a pending challenge, and its first send queued. */
async function queuedSend(token: string, ttlMs = 120_000): Promise<{ job: SendJob; jobId: string }> {
  const s = gw.services;
  const uid = randomBytes(16).toString("hex");
  const device = await s.devices.add(gw.apiKey, uid, { name: "Pixel", type: "android", publicKey: "00", token });
  const c = await seedChallenge(s, gw.apiKey, uid, ttlMs);
  const job: SendJob = { appId: gw.apiKey, uid, challengeId: c.id, deviceId: device.id, sendNo: 1 };
  await s.queues.enqueueSends([job]);
  return { job, jobId: `send.${c.id}.${device.id}.1` };
}

const retryLogs = (challengeId: string) =>
  gw.logs
    .map((line) => JSON.parse(line) as { msg?: string; challenge?: string; delayMs?: number })
    .filter((l) => l.msg === "push failed, retrying" && l.challenge === challengeId);

describe("FCM through the send processor", () => {
  it("a 503 with Retry-After is retried once, no sooner than FCM asked, and delivered", async () => {
    const token = fcm.registerDevice(PROJECT);
    fcm.fail("UNAVAILABLE", { retryAfter: "4" });
    const { job, jobId } = await queuedSend(token);
    const { state, job: ended } = await settle(gw, jobId);

    expect(state).toBe("completed");
    expect(ended.returnvalue).toBe("sent");
    expect(fcm.requests.map((r) => `${r.status}`)).toEqual(["503", "200"]);
    expect(fcm.delivered.map((d) => d.body.message.token)).toEqual([token]);
    const [retry, ...more] = retryLogs(job.challengeId);
    expect(more).toHaveLength(0);
    expect(retry?.delayMs).toBeGreaterThanOrEqual(4000);
    // Both attempts used the one token the provider fetched.
    expect(oauth.requests).toHaveLength(1);
  });

  it("a Retry-After that ends after the challenge's deadline is not waited for: the send fails now, after one request", async () => {
    const token = fcm.registerDevice(PROJECT);
    fcm.fail("QUOTA_EXCEEDED", { retryAfter: "600" });
    const { job, jobId } = await queuedSend(token, 60_000);
    const { state, job: ended } = await settle(gw, jobId);

    expect(state).toBe("failed");
    expect(ended.failedReason).toContain("FCM answered 429");
    expect(ended.failedReason).toContain("after the challenge's deadline");
    expect(fcm.requests).toHaveLength(1);
    expect(retryLogs(job.challengeId)).toHaveLength(0);
  });

  it("an uninstalled app's token marks the device inactive after one request, and the next login gets 1313, not a QR", async () => {
    const token = fcm.registerDevice(PROJECT);
    fcm.unregister(token);
    const e = await enrollWithoutLogin(gw, { email: uniqueEmail("fcm-dead"), phone: new TestPhone("rsa", token) });
    const first = await login(gw, e.email);
    expect(first.status).toBe(200);
    const c = await challengeOfToken(gw, first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const { state, job: ended } = await settle(gw, sendId(c, e.device.id));

    expect(state).toBe("failed");
    expect(ended.attemptsMade).toBe(1);
    expect(fcm.requests.map((r) => r.errorCode)).toEqual(["UNREGISTERED"]);
    expect((await gw.services.devices.get(gw.apiKey, e.uid, e.device.id))?.active).toBe(false);
    expect(await gw.services.redis.exists(gw.services.keys.providerBroken(gw.apiKey))).toBe(0);
    // Whoever has the password does not get an enrollment QR for an account whose device died.
    const again = await login(gw, e.email);
    expectContractError(again, "L2 after the only device's token died", 1313);
    expect(again.text).not.toContain("PushQRCode");
  });

  it("a token of another Firebase project marks only that device inactive, never the app (no 1298 mark)", async () => {
    const foreign = fcm.registerDevice("someone-elses-project");
    const { job, jobId } = await queuedSend(foreign);
    expect((await settle(gw, jobId)).state).toBe("failed");
    expect((await gw.services.devices.get(gw.apiKey, job.uid, job.deviceId))?.active).toBe(false);
    expect(await gw.services.redis.exists(gw.services.keys.providerBroken(gw.apiKey))).toBe(0);
  });

  it("a service account FCM refuses marks the app misconfigured (1298) and keeps the device", async () => {
    const previous = current;
    current = createFcmProvider({ serviceAccount: { ...account, project_id: "not-our-project" }, endpoint: fcm.url, guard });
    try {
      const token = fcm.registerDevice(PROJECT);
      const { job, jobId } = await queuedSend(token);
      const { state, job: ended } = await settle(gw, jobId);
      expect(state).toBe("failed");
      expect(ended.attemptsMade).toBe(1);
      expect(await gw.services.redis.get(gw.services.keys.providerBroken(gw.apiKey))).toContain("403 PERMISSION_DENIED");
      expect((await gw.services.devices.get(gw.apiKey, job.uid, job.deviceId))?.active).toBe(true);
    } finally {
      current.close();
      current = previous;
      await gw.services.redis.del(gw.services.keys.providerBroken(gw.apiKey));
    }
  });
});
