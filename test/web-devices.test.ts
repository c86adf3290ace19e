import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeOfToken, enrollWithoutLogin, putSettings, sendId, settle, uniqueEmail } from "./support/delivery.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError } from "./support/contract.js";
import { TestPhone } from "./support/phone.js";
import { createAccount, login } from "./support/scenario.js";
import { pull, updateToken } from "./support/signed-device.js";
import { WebSubscriber } from "./support/web-subscriber.js";

/**
 * Devices of type `web` (contract 2.7): L6 takes a browser PushSubscription's JSON (checked: https, a public host,
 * a P-256 point and a 16-byte secret) or "none"; web devices need no push settings, and a "none" one is reached
 * by the device channel and the pull only, never making L2 answer 1298.
 */

let gw: TestGateway;

beforeAll(async () => {
  // The SSRF rule as in production: private endpoints are refused.
  gw = await startTestGateway({ env: { ALLOW_PRIVATE_WEBHOOKS: "false" } });
  // Push on, Native, and nothing else configured: no webhook, no Firebase, no APNs.
  await putSettings(gw, { IsEnabled: true, CustomAppName: "Acme Web", NotificationService: "Native" });
}, 30_000);
afterAll(async () => {
  await gw?.stop();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

/** A fresh enrollment URL for a new account, as L9 would issue it. */
async function enrollmentUrl(email = uniqueEmail("web")): Promise<{ url: string; uid: string; email: string }> {
  const { Uid: uid } = await createAccount(gw, email);
  const settings = await gw.services.settings.get(gw.apiKey, (await gw.services.apps.get(gw.apiKey))!.name);
  return { url: (await gw.services.enrollment.issue({ appId: gw.apiKey, uid }, settings)).PushQRCodeDetails.Url, uid, email };
}

const enrollWeb = (url: string, phone: TestPhone, deviceToken: string) =>
  call(url, "POST", url, { json: { deviceName: "Authenticator", deviceType: "web", publicKey: phone.publicKeyHex, deviceToken } });

describe("L6 with deviceType web", () => {
  it("accepts a push subscription, answers appName and identifier, and keeps the token sealed", async () => {
    const sub = new WebSubscriber("https://push.example.net/wpush/v2/abcDEF123");
    const phone = new TestPhone("p256", sub.deviceToken);
    const { url, uid, email } = await enrollmentUrl();
    const res = await enrollWeb(url, phone, sub.deviceToken);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ isRegistered: true, appName: "Acme Web", identifier: email, serverPublicKey: { kty: "EC", crv: "P-256" } });
    const [device] = await gw.services.devices.list(gw.apiKey, uid);
    expect(device).toMatchObject({ type: "web", active: true });
    expect(JSON.parse(gw.services.devices.openToken(gw.apiKey, uid, device!))).toEqual({ endpoint: sub.endpoint, keys: sub.subscription.keys });
    const dump = await dumpPrefix(gw.config.REDIS_PREFIX);
    expect(dump).not.toContain(sub.subscription.keys.auth);
    expect(dump).not.toContain("push.example.net");
  });

  it("the same subscription enrolled again replaces the earlier device", async () => {
    const sub = new WebSubscriber("https://push.example.net/wpush/v2/again");
    const { url, uid } = await enrollmentUrl();
    expect((await enrollWeb(url, new TestPhone("p256"), sub.deviceToken)).status).toBe(200);
    const settings = await gw.services.settings.get(gw.apiKey, (await gw.services.apps.get(gw.apiKey))!.name);
    const again = (await gw.services.enrollment.issue({ appId: gw.apiKey, uid }, settings)).PushQRCodeDetails.Url;
    // The same subscription with its keys in another order and padded base64url: one token all the same.
    const reordered = JSON.stringify({ keys: { auth: `${sub.subscription.keys.auth}==`, p256dh: sub.subscription.keys.p256dh }, endpoint: sub.endpoint });
    expect((await enrollWeb(again, new TestPhone("p256"), reordered)).status).toBe(200);
    const devices = await gw.services.devices.list(gw.apiKey, uid);
    expect(devices.map((d) => d.type)).toEqual(["web"]);
  });

  it('accepts "none": L2 then works with no push settings configured, and the device gets the login by the pull', async () => {
    const phone = new TestPhone("p256", "none");
    const e = await enrollWithoutLogin(gw, { type: "web", phone });
    const res = await login(gw, e.email);
    expect(res.status, res.text).toBe(200);
    const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const c = await challengeOfToken(gw, token);
    // No provider is meant to reach it: the send job ends quietly, not as a failure or a dead letter.
    const { state, job } = await settle(gw, sendId(c, e.device.id));
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("skipped: device pulls");
    const pulled = await pull(gw, phone);
    expect(pulled.status, pulled.text).toBe(200);
    expect(pulled.body.Data).toHaveLength(1);
    expect(pulled.body.Data[0]).toHaveProperty("serverSignature");
  });

  it("an android device beside it still gets 1298 alone, but a web device makes the user reachable", async () => {
    const android = await enrollWithoutLogin(gw, { type: "android" });
    expectContractError(await login(gw, android.email), "android only, no route", 1298);
    const settings = await gw.services.settings.get(gw.apiKey, (await gw.services.apps.get(gw.apiKey))!.name);
    const url = (await gw.services.enrollment.issue({ appId: gw.apiKey, uid: android.uid }, settings)).PushQRCodeDetails.Url;
    expect((await enrollWeb(url, new TestPhone("p256"), "none")).status).toBe(200);
    expect((await login(gw, android.email)).status).toBe(200);
  });

  it('the push-token update of a web device takes a subscription or "none" and refuses anything else (965)', async () => {
    const phone = new TestPhone("p256", "none");
    const e = await enrollWithoutLogin(gw, { type: "web", phone });
    const sub = new WebSubscriber("https://push.example.net/wpush/v2/updated");
    expect((await updateToken(gw, phone, sub.deviceToken)).status).toBe(200);
    let device = (await gw.services.devices.get(gw.apiKey, e.uid, e.device.id))!;
    expect(JSON.parse(gw.services.devices.openToken(gw.apiKey, e.uid, device)).endpoint).toBe(sub.endpoint);
    expect(device.tokenTag).toBeDefined();
    const bad = await updateToken(gw, phone, JSON.stringify({ ...sub.subscription, endpoint: "http://push.example.net/x" }));
    expectContractError(bad, "http endpoint", 965);
    expect((await updateToken(gw, phone, "none")).status).toBe(200);
    device = (await gw.services.devices.get(gw.apiKey, e.uid, e.device.id))!;
    expect(device.tokenTag).toBeUndefined();
  });
});

describe("L6 refuses a web device token that is not a usable subscription: 965 naming deviceToken, nothing written", () => {
  const good = new WebSubscriber("https://push.example.net/wpush/v2/x").subscription;
  const key = (bytes: number, first = 4) => Buffer.concat([Buffer.from([first]), Buffer.alloc(bytes - 1, 7)]).toString("base64url");
  const cases: Array<[string, string]> = [
    ["not JSON", "{not json"],
    ["an array", "[]"],
    ["a bare string", JSON.stringify("https://push.example.net/x")],
    ["no endpoint", JSON.stringify({ keys: good.keys })],
    ["endpoint not a URL", JSON.stringify({ ...good, endpoint: "push service" })],
    ["http endpoint", JSON.stringify({ ...good, endpoint: "http://push.example.net/x" })],
    ["ftp endpoint", JSON.stringify({ ...good, endpoint: "ftp://push.example.net/x" })],
    ["loopback endpoint", JSON.stringify({ ...good, endpoint: "https://127.0.0.1/x" })],
    ["private endpoint", JSON.stringify({ ...good, endpoint: "https://10.1.2.3/x" })],
    ["link-local endpoint", JSON.stringify({ ...good, endpoint: "https://169.254.169.254/latest/meta-data" })],
    ["IPv6 loopback endpoint", JSON.stringify({ ...good, endpoint: "https://[::1]/x" })],
    ["localhost endpoint", JSON.stringify({ ...good, endpoint: "https://localhost:8443/x" })],
    ["endpoint with credentials", JSON.stringify({ ...good, endpoint: "https://user:pw@push.example.net/x" })],
    ["endpoint too long", JSON.stringify({ ...good, endpoint: `https://push.example.net/${"a".repeat(2100)}` })],
    ["no keys", JSON.stringify({ endpoint: good.endpoint })],
    ["p256dh too short", JSON.stringify({ ...good, keys: { ...good.keys, p256dh: key(33, 2) } })],
    ["p256dh 65 bytes but not on the curve", JSON.stringify({ ...good, keys: { ...good.keys, p256dh: key(65) } })],
    ["p256dh not base64url", JSON.stringify({ ...good, keys: { ...good.keys, p256dh: `${good.keys.p256dh.slice(0, -2)}+/` } })],
    ["auth 15 bytes", JSON.stringify({ ...good, keys: { ...good.keys, auth: Buffer.alloc(15, 1).toString("base64url") } })],
    ["auth 32 bytes", JSON.stringify({ ...good, keys: { ...good.keys, auth: Buffer.alloc(32, 1).toString("base64url") } })],
    ["auth a number", JSON.stringify({ ...good, keys: { ...good.keys, auth: 16 } })],
    ["oversized", JSON.stringify({ ...good, pad: "x".repeat(5000) })],
  ];
  it.each(cases)("%s", async (label, deviceToken) => {
    const { url, uid } = await enrollmentUrl();
    const res = await enrollWeb(url, new TestPhone("p256"), deviceToken);
    expectContractError(res, label, 965);
    expect(res.body).toMatchObject({ Errors: [{ FieldName: "deviceToken" }] });
    expect(await gw.services.devices.count(gw.apiKey, uid)).toBe(0);
    // The link was not used up: the same app enrolls with it once its token is right.
    expect((await enrollWeb(url, new TestPhone("p256"), "none")).status).toBe(200);
  });
});
