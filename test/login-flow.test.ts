import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { challengeOfToken, seedChallenge } from "./support/delivery.js";
import { expectContractError } from "./support/contract.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, secretHeaders, useWebhook, waitForOutcome } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

let gw: TestGateway;
let receiver: WebhookReceiver;
let n = 0;
const email = () => `user${++n}-${Date.now()}@example.com`;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-test-signing-secret-0123").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** Account → L2 (QR) → enroll → L2 again → the push of that second login arrives. */
async function enrolledLogin(phone = new TestPhone()) {
  const user = email();
  await createAccount(gw, user);
  const first = await login(gw, user);
  expect(first.status).toBe(200);
  const qr = first.body.SecondFactorAuthentication.PushQRCodeDetails!;
  // LoginRadius's isRegistered, and (ext) what the app needs to name the account and check what it receives.
  expect((await phone.enroll(qr.Url)).body).toEqual({
    isRegistered: true,
    serverPublicKey: { kty: "EC", crv: "P-256", x: expect.any(String), y: expect.any(String), kid: expect.any(String) },
    appName: "Acme Authenticator",
    identifier: user,
    // The app's Message, which an app shows with a request it only pulled (no notification text with it).
    message: expect.any(String),
  });
  // The enrollment pushed the first login at once; a fresh login cancels it and pushes again. The two pushes may
  // arrive in either order, so the test takes the one carrying the second login's handle, not the last to come.
  const second = await login(gw, user);
  expect(second.status).toBe(200);
  const token = second.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const push = await pushOfLogin(gw, receiver, token);
  return { user, phone, token, push, first, second };
}

describe("the whole flow", () => {
  it("L2 returns a QR for a user without a device, and the enrollment pushes that same login", async () => {
    const user = email();
    await createAccount(gw, user);
    const res = await login(gw, user);
    expect(res.status).toBe(200);
    const sfa = res.body.SecondFactorAuthentication;
    expect(sfa.IsPushDeviceRegistered).toBe(false);
    expect(sfa.PushQRCodeDetails!.Image).toMatch(/^data:image\/png;base64,/);
    expect(sfa.PushQRCodeDetails!.AppName).toBe("Acme Authenticator");
    expect(res.body).toMatchObject({ Profile: null, access_token: "00000000-0000-0000-0000-000000000000", expires_in: "0001-01-01T00:00:00" });

    const phone = new TestPhone();
    expect((await phone.enroll(sfa.PushQRCodeDetails!.Url)).status).toBe(200);
    // No second login: the push carrying this login's handle can only have come from the enrollment.
    const push = await pushOfLogin(gw, receiver, sfa.SecondFactorAuthenticationToken);
    expect(push.data.identifier).toBe(user);
    expect(push.device.token).toBe(phone.deviceToken);
    const handle = push.data.secondfactorauthenticationtoken!;
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    expect((await ping(gw, sfa.SecondFactorAuthenticationToken)).status).toBe(200);
  });

  it("enrolls, pushes the device handle (not the browser token), approves, and the session works on L9 and L7", async () => {
    const { phone, token, push } = await enrolledLogin();
    expect(push.signatureValid).toBe(true);
    expect(push.idempotencyKey).toBe(push.id);
    const handle = push.data.secondfactorauthenticationtoken!;
    expect(handle).not.toBe(token);
    expect(Object.keys(push.data).sort()).toEqual(["apikey", "browser", "expiresAt", "identifier", "location", "secondfactorauthenticationtoken", "serverSignature", "timestamp"]);
    expect(push.data.browser).toBe("Chrome on Windows");
    expect(push.data.apikey).toBe(gw.apiKey);
    expect(push.device.token).toBe(phone.deviceToken);
    expect(push.ttlSeconds).toBeGreaterThan(100);

    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1295 });
    const answered = await phone.answer(gw.url, gw.apiKey, handle, "Yes");
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ IsPosted: true });

    const res = await ping(gw, token, "/identity/v2/auth/login/2fa/push/ping");
    expect(res.status).toBe(200);
    const body = res.body as { access_token: string; refresh_token: string; expires_in: string; Profile: { Uid: string } };
    expect(body.Profile.Uid).toMatch(/^[0-9a-f]{32}$/);
    expect(body.access_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.expires_in)).toBeGreaterThan(Date.now());
    // The same login response until the finalize window closes.
    expect((await ping(gw, token)).body).toEqual(body);

    const auth = { Authorization: `Bearer ${body.access_token}` };
    const mfa = await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey }, headers: auth });
    expect(mfa.status).toBe(200);
    expect(mfa.body).toMatchObject({ IsPushDeviceRegistered: true, IsAuthenticatorVerified: false });
    expect((mfa.body as { PushQRCodeDetails: { Url: string } }).PushQRCodeDetails.Url).toContain("/push/enroll/");

    const reset = await call(gw.url, "DELETE", "/identity/v2/auth/account/2fa/authenticator/push", { query: { apikey: gw.apiKey, access_token: body.access_token } });
    expect(reset.body).toEqual({ IsDeleted: true });
    const after = await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey }, headers: auth });
    expect(after.body).toMatchObject({ IsPushDeviceRegistered: false });
  });

  it("accepts P-256 device keys too", async () => {
    const { phone, token, push } = await enrolledLogin(new TestPhone("p256"));
    expect((await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
    expect((await ping(gw, token)).status).toBe(200);
  });
});

describe("answers and their errors", () => {
  it("denied gives 1312 on ping", async () => {
    const { phone, token, push } = await enrolledLogin();
    expect((await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No")).status).toBe(200);
    const res = await ping(gw, token);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ ErrorCode: 1312, Message: "Push Notification Verification Denied", IsProviderError: false, ProviderErrorResponse: null });
  });

  it("a wrong signature gives 1297 and the challenge stays pending", async () => {
    const { phone, token, push } = await enrolledLogin();
    const handle = push.data.secondfactorauthenticationtoken!;
    const stranger = new TestPhone();
    const bad = await phone.answer(gw.url, gw.apiKey, handle, "Yes", { signature: stranger.sign(`Yes${handle}`) });
    expect(bad.status).toBe(403);
    expect(bad.body).toMatchObject({ ErrorCode: 1297 });
    // Signed "No" but sent "Yes": the signature covers the verdict.
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes", { signature: phone.sign(`No${handle}`) })).body).toMatchObject({ ErrorCode: 1297 });
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1295 });
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
  });

  it("a second answer gives 1311", async () => {
    const { phone, push } = await enrolledLogin();
    const handle = push.data.secondfactorauthenticationtoken!;
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes")).body).toMatchObject({ ErrorCode: 1311 });
    expect((await phone.answer(gw.url, gw.apiKey, handle, "No")).body).toMatchObject({ ErrorCode: 1311 });
  });

  it("two answers racing on two connections give exactly one 200, and the login ends as that one answered", async () => {
    for (let round = 0; round < 5; round++) {
      const { phone, push, token } = await enrolledLogin();
      const handle = push.data.secondfactorauthenticationtoken!;
      const verdicts = ["Yes", "No", "Yes"] as const;
      const results = await Promise.all(verdicts.map((v) => phone.answer(gw.url, gw.apiKey, handle, v)));
      const winners = results.flatMap((r, i) => (r.status === 200 ? [verdicts[i]!] : []));
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => (r.body as { ErrorCode?: number }).ErrorCode === 1311)).toHaveLength(2);
      // Whichever answer won decides the login: its approval is the session, its denial 1312.
      const outcome = await ping(gw, token);
      if (winners[0] === "Yes") {
        expect(outcome.status, outcome.text).toBe(200);
        expect(outcome.body).toHaveProperty("access_token");
      } else {
        expect(outcome.status, outcome.text).toBe(403);
        expect(outcome.body).toMatchObject({ ErrorCode: 1312 });
      }
    }
  });

  it("an unknown token gives 1103 and an unknown handle 1296", async () => {
    expect((await ping(gw, "b1fbbba5-2a5e-41a2-96da-c216df36e6f4")).body).toMatchObject({ ErrorCode: 1103 });
    const phone = new TestPhone();
    expect((await phone.answer(gw.url, gw.apiKey, "b1fbbba5-2a5e-41a2-96da-c216df36e6f4", "Yes")).body).toMatchObject({ ErrorCode: 1296 });
  });

  it("a newer login cancels the older one: its ping gives 1104 and its handle can no longer answer", async () => {
    const { phone, push, token, user } = await enrolledLogin();
    const newer = await login(gw, user);
    expect(newer.status).toBe(200);
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1104 });
    expect((await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).body).toMatchObject({ ErrorCode: 1104 });
  });

  it("logins of one user racing each other leave exactly one pending, and cancel every other once", async () => {
    const uid = randomBytes(16).toString("hex");
    const racing = await Promise.all(Array.from({ length: 20 }, () => seedChallenge(gw.services, gw.apiKey, uid)));
    const stored = await Promise.all(racing.map((c) => gw.services.challenges.load({ appId: c.appId, uid, challengeId: c.id })));
    const pending = stored.filter((c) => c?.status === "Pending");
    expect(pending).toHaveLength(1);
    expect(stored.filter((c) => c?.status === "Cancelled")).toHaveLength(19);
    expect((await gw.services.challenges.pendingOf(gw.apiKey, uid))?.id).toBe(pending[0]!.id);
  });

  it("wrong credentials give 401 966, for a known account and an unknown one alike", async () => {
    const user = email();
    await createAccount(gw, user);
    expectContractError(await login(gw, user, "wrong password!"), "wrong password", 966);
    expectContractError(await login(gw, "nobody@example.com", "whatever"), "unknown account", 966);
    expect((await login(gw, user, "wrong password!")).status).toBe(401);
  });

  it("push switched off gives 403 1299 with the right credentials and opens no login; switched on, the login works", async () => {
    const { user, token } = await enrolledLogin();
    const switchOff = await call(gw.url, "PUT", "/v2/manage/2fa/push-notification-settings", { headers: secretHeaders(gw), json: { IsEnabled: false } });
    expect(switchOff.status, switchOff.text).toBe(200);
    try {
      const off = await login(gw, user);
      expect(off.status, off.text).toBe(403);
      expectContractError(off, "push switched off", 1299);
      expect(off.body.SecondFactorAuthentication).toBeUndefined();
      // Refused before a challenge was opened: the earlier login was not cancelled by a new one, it still waits.
      expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1295 });
    } finally {
      await useWebhook(gw, receiver);
    }
    const on = await login(gw, user);
    expect(on.status, on.text).toBe(200);
    expect((await pushOfLogin(gw, receiver, on.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).data.identifier).toBe(user);
  });
});

describe("expiry", () => {
  let short: TestGateway;
  let shortReceiver: WebhookReceiver;
  beforeAll(async () => {
    short = await startTestGateway();
    shortReceiver = await new WebhookReceiver("whsec-short-signing-secret-01").start();
    await useWebhook(short, shortReceiver, { ChallengeTtlSeconds: 30 });
  });
  afterAll(async () => {
    await short.stop();
    await shortReceiver.close();
    await deletePrefix(short.config.REDIS_PREFIX);
  });

  it("the delayed job expires the challenge at its deadline: ping gives 1104, answers give 1104", async () => {
    const user = `exp-${Date.now()}@example.com`;
    await createAccount(short, user);
    const first = await login(short, user);
    const phone = new TestPhone();
    await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url);
    const token = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const push = await pushOfLogin(short, shortReceiver, token);
    // Move the expiry job to now instead of waiting 30 s: the worker's own job does the expiring.
    const ref = await short.services.challenges.refByHandle((await import("../src/crypto/tokens.js")).hashToken(push.data.secondfactorauthenticationtoken!));
    const c = await short.services.challenges.load(ref!);
    const job = await short.services.queues.expiry.getJob(`expire.${c!.id}`);
    expect(job).toBeTruthy();
    expect(await job!.getState()).toBe("delayed");
    await short.services.challenges.update({ appId: c!.appId, uid: c!.uid, challengeId: c!.id }, { expiresAt: Date.now() });
    await job!.promote();
    const res = await waitForOutcome(short, token);
    expect(res.body).toMatchObject({ ErrorCode: 1104, Message: "Two factor authentication token has expired" });
    const stored = await short.services.challenges.load({ appId: c!.appId, uid: c!.uid, challengeId: c!.id });
    expect(stored!.status).toBe("Expired");
    expect((await phone.answer(short.url, short.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).body).toMatchObject({ ErrorCode: 1104 });
  });
});

describe("resets and resends", () => {
  it("L8 removes the user's devices and cancels the pending login", async () => {
    const { token, phone, push } = await enrolledLogin();
    const uid = (await gw.services.challenges.refByHandle((await import("../src/crypto/tokens.js")).hashToken(push.data.secondfactorauthenticationtoken!)))!.uid;
    const res = await call(gw.url, "DELETE", `/identity/v2/manage/account/2FA/authenticator/push/${uid}`, { headers: secretHeaders(gw) });
    expect(res.body).toEqual({ IsDeleted: true });
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1104 });
    expect((await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).body).toMatchObject({ ErrorCode: 1104 });
    expect((await gw.services.devices.list(gw.apiKey, uid))).toHaveLength(0);
    const unknown = await call(gw.url, "DELETE", `/identity/v2/manage/account/2FA/authenticator/push/${"0".repeat(32)}`, { headers: secretHeaders(gw) });
    expect(unknown.body).toMatchObject({ ErrorCode: 938 });
  });

  it("L3 resends at most every 20 s, answering 429 with Retry-After in between", async () => {
    const { token } = await enrolledLogin();
    const resend = () => call(gw.url, "POST", "/identity/v2/auth/login/2FA", { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: token } });
    const res = await resend();
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ ErrorCode: 429, Message: "Too many requests in a particular time frame" });
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(20);
    // 20 s later (the last send moved back instead of waiting), the resend goes out.
    const c = await challengeOfToken(gw, token);
    await gw.services.challenges.update({ appId: c.appId, uid: c.uid, challengeId: c.id }, { lastSendAt: c.lastSendAt - 20_000 });
    const again = await resend();
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ IsPosted: true });
  });
});

describe("secrets at rest", () => {
  it("after full flows, no raw token, handle, password, device token or secret is in Redis", async () => {
    const { phone, token, push } = await enrolledLogin();
    const handle = push.data.secondfactorauthenticationtoken!;
    await phone.answer(gw.url, gw.apiKey, handle, "Yes");
    const login = (await ping(gw, token)).body as { access_token: string; refresh_token: string };
    const dump = await dumpPrefix(gw.config.REDIS_PREFIX);
    expect(dump.length).toBeGreaterThan(1000);
    for (const secret of [token, handle, login.access_token, login.refresh_token, "correct horse battery", phone.deviceToken, gw.apiSecret, receiver.secret]) {
      expect(dump).not.toContain(secret);
    }
  });
});
