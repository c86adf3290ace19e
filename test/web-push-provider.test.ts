import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentDeliveryError } from "../src/delivery/delivery-errors.js";
import { createOutboundGuard } from "../src/outbound/outbound-guard.js";
import { createWebPushProvider } from "../workers/providers/web-push.js";
import { MAX_PLAINTEXT_BYTES, webPushPayloadOf } from "../workers/providers/web-push-payload.js";
import { makeApnsTestPki, type ApnsTestPki } from "./support/apns-pki.js";
import { TestPage } from "./support/cluster.js";
import { expectContractError } from "./support/contract.js";
import { challengeOfToken, putSettings, rejectionOf, samplePushMessage, sendId, settle, uniqueEmail } from "./support/delivery.js";
import { FakePushService, type PushRequest } from "./support/fake-push-service.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { createAccount, login } from "./support/scenario.js";
import { serverKey, serverSignatureHolds } from "./support/signed-device.js";
import type { WebSubscriber } from "./support/web-subscriber.js";

/**
 * Web Push delivery (contract 2.7) end to end: a browser's subscription enrolled through the real L6, a local
 * push service that verifies the VAPID token and decrypts the `aes128gcm` body as a browser's would, and the
 * push service's answers classified (410 → device inactive, 429 → retried, 413 → dead letter).
 */

let pki: ApnsTestPki;
let service: FakePushService;
let gw: TestGateway;

beforeAll(async () => {
  pki = makeApnsTestPki();
  service = await new FakePushService(pki.server).start();
  gw = await startTestGateway({ webPushCa: pki.caPem });
  // Push on, and nothing configured for any platform: web devices need nothing.
  await putSettings(gw, { IsEnabled: true, CustomAppName: "Acme Web", NotificationService: "Native" });
  const vapid = await call<{ PublicKey: string }>(gw.url, "GET", "/identity/v2/auth/push/vapid-public-key", { query: { apikey: gw.apiKey } });
  service.expectedKey = vapid.body.PublicKey;
}, 60_000);
afterAll(async () => {
  await gw?.stop();
  await service?.close();
  pki?.remove();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

/** An account whose browser subscribed at the stand-in and enrolled (L6) through the QR of its first login. */
async function browserUser(): Promise<{ email: string; uid: string; phone: TestPhone; sub: WebSubscriber; firstToken: string }> {
  const email = uniqueEmail("wp");
  const { Uid: uid } = await createAccount(gw, email);
  const first = await login(gw, email);
  expect(first.status, first.text).toBe(200);
  const sub = service.subscribe();
  const phone = new TestPhone("p256", sub.deviceToken);
  const enrolled = await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url, "Authenticator", "web");
  expect(enrolled.status, enrolled.text).toBe(200);
  return { email, uid, phone, sub, firstToken: first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken };
}

const expectClean = (r: PushRequest) => expect(r.problem, r.problem).toBeUndefined();
const topicOf = (challengeId: string) => createHash("sha256").update(challengeId).digest("base64url").slice(0, 32);

describe("Web Push end to end", () => {
  it("the login waiting at enrollment is pushed: VAPID verified, body decrypted, headers right, data signed; the P-256 answer approves the page", async () => {
    const { sub, phone, firstToken } = await browserUser();
    const page = TestPage.open(gw, firstToken);
    try {
      const r = await service.nthRequestTo(sub);
      expectClean(r);
      const c = await challengeOfToken(gw, firstToken);
      expect(r.headers.urgency).toBe("high");
      expect(r.headers.topic).toBe(topicOf(c.id));
      const ttl = Number(r.headers.ttl);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(Math.ceil((c.expiresAt - c.createdAt) / 1000));
      expect(r.bodyBytes).toBeLessThanOrEqual(4096);
      expect(r.payload!.notification.title).toBe("Acme Web");
      const data = r.payload!.data;
      expect(serverSignatureHolds(await serverKey(gw), data)).toBe(true);
      expect(data.apikey).toBe(gw.apiKey);
      // The device handle, not the page's token.
      expect(data.secondfactorauthenticationtoken).not.toBe(firstToken);
      const handle = data.secondfactorauthenticationtoken!;
      // WebCrypto's ECDSA signature (r||s), as the authenticator app signs.
      const answer = await phone.answer(gw.url, gw.apiKey, handle, "Yes", { signature: phone.sign(`Yes${handle}`, "ieee-p1363") });
      expect(answer.status, answer.text).toBe(200);
      expect((await page.waitFor((s) => s.Status === "Approved")).Login).toBeDefined();
    } finally {
      page.close();
    }
  });

  it("410 Gone: the device is marked inactive, the push is a dead letter, and the next L2 answers 1313", async () => {
    const { email, uid, sub, firstToken } = await browserUser();
    // The first push (for the enrollment's login) is accepted; the next is answered 410.
    expectClean(await service.nthRequestTo(sub));
    service.answerNext({ status: 410 });
    const token = (await login(gw, email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    expect(token).not.toBe(firstToken);
    const [device] = await gw.services.devices.list(gw.apiKey, uid);
    const { state } = await settle(gw, sendId(await challengeOfToken(gw, token), device!.id));
    expect(state).toBe("failed");
    expect((await gw.services.devices.get(gw.apiKey, uid, device!.id))!.active).toBe(false);
    expectContractError(await login(gw, email), "only device gone", 1313);
  });

  it("429 with Retry-After: retried no sooner than asked, then delivered", async () => {
    const { email, uid, sub } = await browserUser();
    expectClean(await service.nthRequestTo(sub));
    service.answerNext({ status: 429, headers: { "Retry-After": "30" } });
    const token = (await login(gw, email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const [device] = await gw.services.devices.list(gw.apiKey, uid);
    let delayed = 0;
    const { state } = await settle(gw, sendId(await challengeOfToken(gw, token), device!.id), {
      onDelayed: async (job) => {
        delayed = job.delay;
      },
    });
    expect(state).toBe("completed");
    expect(delayed).toBeGreaterThanOrEqual(30_000);
    expect(service.requestsTo(sub).map((r) => r.status)).toEqual([201, 429, 201]);
    expectClean(service.requestsTo(sub)[2]!);
  });

  it("500: retried; 413: a dead letter with the reason, the device stays active", async () => {
    const { email, uid, sub } = await browserUser();
    expectClean(await service.nthRequestTo(sub));
    service.answerNext({ status: 500 }, { status: 413 });
    const token = (await login(gw, email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const [device] = await gw.services.devices.list(gw.apiKey, uid);
    const { state, job } = await settle(gw, sendId(await challengeOfToken(gw, token), device!.id));
    expect(state).toBe("failed");
    expect(job.failedReason).toMatch(/413/);
    expect(service.requestsTo(sub).map((r) => r.status)).toEqual([201, 500, 413]);
    expect((await gw.services.devices.get(gw.apiKey, uid, device!.id))!.active).toBe(true);
    const dead = await call<Array<{ FailedReason: string }>>(gw.url, "GET", "/v2/manage/push/dead-letters", { query: { apikey: gw.apiKey, apisecret: gw.apiSecret } });
    expect(JSON.stringify(dead.body)).toContain("413");
  });
});

describe("the stand-in is a real check", () => {
  it("a VAPID key other than the published one is refused 400 by the stand-in: a dead letter, the device stays active", async () => {
    const { email, uid, sub } = await browserUser();
    expectClean(await service.nthRequestTo(sub));
    const published = service.expectedKey;
    service.expectedKey = Buffer.alloc(65, 4).toString("base64url");
    try {
      const token = (await login(gw, email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
      const [device] = await gw.services.devices.list(gw.apiKey, uid);
      const { state, job } = await settle(gw, sendId(await challengeOfToken(gw, token), device!.id));
      expect(state).toBe("failed");
      expect(job.failedReason).toMatch(/400/);
      expect(service.requestsTo(sub)[1]!.problem).toMatch(/not the key the gateway publishes/);
      expect((await gw.services.devices.get(gw.apiKey, uid, device!.id))!.active).toBe(true);
    } finally {
      service.expectedKey = published;
    }
  });
});

describe("the provider alone", () => {
  it("refuses at connect time an endpoint that is an internal address (SSRF guard), as the device's fault", async () => {
    const sub = service.subscribe();
    const provider = createWebPushProvider({
      vapid: () => gw.services.vapid.get(),
      subject: "mailto:ops@example.com",
      guard: createOutboundGuard({ allowPrivate: false }, { ca: pki.caPem }),
    });
    const message = { ...samplePushMessage, device: { token: JSON.stringify(sub.subscription), type: "web" as const } };
    const err = await rejectionOf(provider.send(message, AbortSignal.timeout(5000)));
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(service.requestsTo(sub)).toHaveLength(0);
  });

  it("keeps the payload within 4096 bytes: shortens the notification text, never the signed data", () => {
    const long = { ...samplePushMessage, notification: { title: "名".repeat(64), body: "😀".repeat(1000) } };
    const fitted = webPushPayloadOf(long)!;
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(MAX_PLAINTEXT_BYTES);
    expect(fitted.data).toEqual(samplePushMessage.data);
    expect(fitted.notification.title).toBe(long.notification.title);
    expect(fitted.notification.body.endsWith("…")).toBe(true);
    const hopeless = { ...samplePushMessage, data: { ...samplePushMessage.data, browser: "x".repeat(5000) } };
    expect(webPushPayloadOf(hopeless)).toBeNull();
  });
});
