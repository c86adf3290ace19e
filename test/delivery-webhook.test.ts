import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LookupAddress } from "node:dns";
import { createOutboundGuard, globalOnlyLookup, type Resolver } from "../src/outbound/outbound-guard.js";
import { ConfigDeliveryError, TransientDeliveryError } from "../src/delivery/delivery-errors.js";
import { signWebhook } from "../src/delivery/webhook-signature.js";
import { createWebhookProvider } from "../workers/providers/webhook.js";
import { challengeOfToken, deviceOf, enrollWithoutLogin, rejectionOf, samplePushMessage, sendId, settle } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

const SECRET = "whsec-delivery-signing-secret-01";
let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // A long backoff: the tests promote jobs waiting in backoff, so none depends on how long a wait is.
  gw = await startTestGateway({ env: { PUSH_BACKOFF_MS: "5000" } });
  receiver = await new WebhookReceiver(SECRET).start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** An enrolled user's login: its challenge and the id of its one send. */
async function loginOnce() {
  const e = await enrollWithoutLogin(gw);
  const res = await login(gw, e.email);
  expect(res.status).toBe(200);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const c = await challengeOfToken(gw, token);
  return { e, token, c, id: sendId(c, e.device.id) };
}

const requestsOf = (id: string) => receiver.requests.filter((r) => r.id === id);
const pushesOf = (id: string) => receiver.pushes.filter((p) => p.id === id);

describe("the Native webhook (contract 2.2)", () => {
  it("posts the push signed, with the delivery id as idempotency key and the challenge's remaining life as TTL", async () => {
    const { e, c, id } = await loginOnce();
    const { state, job } = await settle(gw, id);
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("sent");
    const [push] = pushesOf(id);
    expect(Object.keys(push!).sort()).toEqual(["data", "device", "id", "idempotencyKey", "notification", "signatureValid", "ttlSeconds"]);
    expect(push!.signatureValid).toBe(true);
    expect(push!.idempotencyKey).toBe(id);
    expect(push!.device).toEqual({ token: e.phone.deviceToken, type: "android" });
    expect(push!.notification.title).toBe("Acme Authenticator");
    expect(push!.data.identifier).toBe(e.email);
    expect(push!.ttlSeconds).toBeGreaterThan(0);
    expect(push!.ttlSeconds).toBeLessThanOrEqual(120);
    expect((await gw.services.challenges.load({ appId: c.appId, uid: c.uid, challengeId: c.id }))!.delivery).toBe("Sent");
  });

  it("retries 503, 429 and 408 with backoff: every attempt carries the same delivery id and idempotency key, and one push is delivered", async () => {
    receiver.script.push(503, 429, 408);
    const { id } = await loginOnce();
    const { state, job } = await settle(gw, id);
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("sent");
    const attempts = requestsOf(id);
    expect(attempts.map((r) => r.status)).toEqual([503, 429, 408, 200]);
    for (const a of attempts) {
      expect(a.idempotencyKey).toBe(id);
      expect(a.signatureValid).toBe(true);
    }
    expect(pushesOf(id)).toHaveLength(1);
  });

  it("a 4xx answer fails at once: no retry, the device is marked inactive, the page is told Failed", async () => {
    receiver.script.push(410);
    const { e, c, id } = await loginOnce();
    const { state, job } = await settle(gw, id);
    expect(state).toBe("failed");
    expect(job.failedReason).toContain("webhook answered 410");
    expect(requestsOf(id)).toHaveLength(1);
    expect((await deviceOf(gw, e)).active).toBe(false);
    expect((await gw.services.challenges.load({ appId: c.appId, uid: c.uid, challengeId: c.id }))!.delivery).toBe("Failed");
    // No active device left: the next login is refused (1313), never offered an enrollment QR (contract 1.1).
    const again = await login(gw, e.email);
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ ErrorCode: 1313 });
  });

  it("a refused signature (401) is the app's misconfiguration: L2 and L3 answer 1298 until the settings are saved", async () => {
    receiver.script.push(401);
    const { e, token, id } = await loginOnce();
    const { state } = await settle(gw, id);
    expect(state).toBe("failed");
    expect((await deviceOf(gw, e)).active).toBe(true);
    expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1298 });
    const resend = await call(gw.url, "POST", "/identity/v2/auth/login/2FA", { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: token } });
    expect(resend.body).toMatchObject({ ErrorCode: 1298 });
    await useWebhook(gw, receiver);
    const fixed = await login(gw, e.email);
    expect(fixed.status).toBe(200);
    const c = await challengeOfToken(gw, fixed.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect((await settle(gw, sendId(c, e.device.id))).state).toBe("completed");
  });

  it("a push signed with another secret is refused by the receiver (401), never counts as delivered, and reads as 1298", async () => {
    await useWebhook(gw, receiver, { NativeSettings: { WebhookUrl: receiver.url, SigningSecret: "whsec-not-the-receivers-secret-1" } });
    try {
      const { e, id } = await loginOnce();
      const { state, job } = await settle(gw, id);
      expect(state).toBe("failed");
      expect(job.failedReason).toContain("refused our signature");
      expect(requestsOf(id)).toMatchObject([{ status: 401, signatureValid: false }]);
      expect(pushesOf(id)).toHaveLength(0);
      expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1298 });
    } finally {
      await useWebhook(gw, receiver);
    }
  });

  it("the receiver refuses, as the customer's service must, a forged signature, a tampered body and a replayed old signature", async () => {
    const body = JSON.stringify({ id: "forged-1", device: { token: "t", type: "android" }, data: {}, notification: { title: "x", body: "y" }, ttlSeconds: 60 });
    const now = Math.floor(Date.now() / 1000);
    const post = (raw: string, signature: string) => call(receiver.url, "POST", receiver.url, { raw, headers: { "x-pushmfa-signature": signature } });
    const forged = await post(body, signWebhook("whsec-guessed-secret", body, now));
    const tampered = await post(body.replace("forged-1", "forged-2"), signWebhook(SECRET, body, now));
    const replayed = await post(body, signWebhook(SECRET, body, now - 3600));
    const unsigned = await call(receiver.url, "POST", receiver.url, { raw: body });
    expect([forged.status, tampered.status, replayed.status, unsigned.status]).toEqual([401, 401, 401, 401]);
    expect(receiver.pushes.filter((p) => p.id.startsWith("forged-"))).toHaveLength(0);
    // Signed right, it is taken: the refusals above are the signature's, not the body's.
    expect((await post(body, signWebhook(SECRET, body, now))).status).toBe(200);
    expect(receiver.pushes.filter((p) => p.id === "forged-1")).toHaveLength(1);
  });

  it("when the attempts are used up the job stays failed with its last reason, and the page is told Failed", async () => {
    receiver.script.push(500, 500, 500, 500, 500);
    const { c, id } = await loginOnce();
    const { state, job } = await settle(gw, id);
    expect(state).toBe("failed");
    expect(job.attemptsMade).toBe(gw.config.PUSH_ATTEMPTS);
    expect(job.failedReason).toBe("webhook answered 500");
    expect(requestsOf(id)).toHaveLength(gw.config.PUSH_ATTEMPTS);
    expect((await gw.services.challenges.load({ appId: c.appId, uid: c.uid, challengeId: c.id }))!.delivery).toBe("Failed");
  });
});

describe("the webhook provider on its own", () => {
  const message = samplePushMessage;
  const never = () => new AbortController().signal;
  const failure = rejectionOf;

  it("gives up on a receiver that does not answer in time (AbortSignal), as a transient failure", async () => {
    const release = receiver.hold();
    try {
      const before = receiver.requests.length;
      const provider = createWebhookProvider({ url: receiver.url, signingSecret: SECRET, guard: createOutboundGuard({ allowPrivate: true }), timeoutMs: 100 });
      expect(await failure(provider.send(message, never()))).toBeInstanceOf(TransientDeliveryError);
      expect(receiver.requests.length).toBe(before + 1);
    } finally {
      release();
    }
  });

  it("the SSRF guard refuses loopback and private URLs unless ALLOW_PRIVATE_WEBHOOKS, before any request", async () => {
    const before = receiver.requests.length;
    for (const url of [receiver.url, receiver.url.replace("127.0.0.1", "localhost"), "http://10.1.2.3/push", "http://[::1]:9/push", "http://169.254.169.254/latest"]) {
      const provider = createWebhookProvider({ url, signingSecret: SECRET, guard: createOutboundGuard({ allowPrivate: false }) });
      expect(await failure(provider.send(message, never()))).toBeInstanceOf(ConfigDeliveryError);
    }
    expect(receiver.requests.length).toBe(before);
  });

  it("the SSRF guard checks the address it connects to: a name that resolves inside is refused", async () => {
    const before = receiver.requests.length;
    const port = new URL(receiver.url).port;
    const rebinding: Resolver = (_host, _o, cb) => cb(null, [{ address: "127.0.0.1", family: 4 }]);
    const provider = createWebhookProvider({ url: `http://rebind.example.test:${port}/push`, signingSecret: SECRET, guard: createOutboundGuard({ allowPrivate: false, resolve: rebinding }) });
    const err = await failure(provider.send(message, never()));
    expect(err).toBeInstanceOf(ConfigDeliveryError);
    expect(String(err)).toContain("internal address");
    expect(receiver.requests.length).toBe(before);
  });

  it("the guarded lookup hands public addresses through, in both the single and the `all` forms", async () => {
    const resolver: Resolver = (_host, _o, cb) => cb(null, [{ address: "93.184.216.34", family: 4 }, { address: "2606:2800:220:1::1", family: 6 }]);
    const lookup = globalOnlyLookup(resolver);
    const one = await new Promise<[string, number | undefined]>((resolve, reject) =>
      lookup("example.test", {}, (err, address, family) => (err ? reject(err) : resolve([address as string, family]))));
    expect(one).toEqual(["93.184.216.34", 4]);
    const all = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup("example.test", { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses as LookupAddress[]))));
    expect(all.map((a) => a.address)).toEqual(["93.184.216.34", "2606:2800:220:1::1"]);
    const mixed: Resolver = (_host, _o, cb) => cb(null, [{ address: "93.184.216.34", family: 4 }, { address: "10.0.0.7", family: 4 }]);
    const refused = await new Promise<unknown>((resolve) => globalOnlyLookup(mixed)("example.test", {}, (err) => resolve(err)));
    expect(String(refused)).toContain("internal address");
  });
});
