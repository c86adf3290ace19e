import type { KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Challenge } from "../src/challenge/challenge.js";
import { makeApnsTestPki, type ApnsTestPki } from "./support/apns-pki.js";
import { TestPage } from "./support/cluster.js";
import { expectContractError } from "./support/contract.js";
import { challengeOfToken, putSettings, uniqueEmail } from "./support/delivery.js";
import { startFakeApns, type FakeApns } from "./support/fake-apns.js";
import { startFakeFcm, type FakeFcm } from "./support/fake-fcm.js";
import { startFakeOAuthToken, type FakeOAuthToken, type ServiceAccountJson } from "./support/fake-oauth-token.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { carriesHandleOf } from "./support/pushes.js";
import { createAccount, login, secretHeaders } from "./support/scenario.js";
import { serverKey, serverSignatureHolds, updateToken } from "./support/signed-device.js";

/**
 * Issue 13 end to end: Native delivery through a real gateway and its worker, the way a customer runs it. The
 * settings are PUT in LoginRadius's shape (a Firebase service account whose token_uri is the OAuth stand-in, an
 * APNs .p8 key or .p12 certificate), phones enroll through the QR (L6) and answer (L5), the page waits on
 * socket.io-client (2.1), and the pushes land on stand-ins as strict as FCM and APNs (test/support/fake-*.ts),
 * which check the access token, the provider JWT or client certificate, the topic and the message's shape.
 * FCM_ENDPOINT and APNS_ENDPOINT point the worker at them; the APNs stand-in's CA reaches the worker's APNs
 * providers through WorkerRoleOptions.apnsCa (a test seam: no environment variable sets it).
 */

const PROJECT = "acme-native-e2e";
const BUNDLE = "com.acme.authenticator";
const KEY_ID = "NATIVEKEY1";
const TEAM = "TEAM123456";
const PASSWORD = "p12-e2e-Password";
const APP_NAME = "Acme Authenticator";
const MESSAGE = "Acme: approve your sign-in";
const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
/** The data keys of contract 1.4 a login without number matching carries, serverSignature (2.9) included. */
const DATA_KEYS = ["apikey", "browser", "expiresAt", "identifier", "location", "secondfactorauthenticationtoken", "serverSignature", "timestamp"];

let oauth: FakeOAuthToken;
let fcm: FakeFcm;
let account: ServiceAccountJson;
let pki: ApnsTestPki;
let apns: FakeApns;
let p8: { pem: string; publicKey: KeyObject };
let certificate: Buffer;
let gw: TestGateway;
/** Pages opened by a test, closed after it. */
const pages: TestPage[] = [];
/** Every device token a phone of this file held: none may reach a log line or Redis in clear. */
const deviceTokens = new Set<string>();
/** Every provider JWT the worker sent APNs in this file, for the same check. */
const providerJwts = new Set<string>();

/** Native in LoginRadius's shape (plus the ext token-based APNs fields): FCM for Android, APNs with a .p8 key for iOS. */
const nativeSettings = () => ({
  IsEnabled: true,
  NotificationService: "Native",
  CustomAppName: APP_NAME,
  Message: MESSAGE,
  QRCodeWidth: 240,
  AndroidSettings: { Enabled: true, ServiceJson: JSON.stringify(account, null, 2) },
  IOSsettings: {
    Enabled: true,
    BundleId: BUNDLE,
    Environment: "Sandbox",
    ApnsKey: p8.pem,
    ApnsKeyId: KEY_ID,
    ApnsTeamId: TEAM,
    ApnsCertificate: null,
    ApnsCertificatePassword: null,
  },
  NativeSettings: { WebhookUrl: "", SigningSecret: "" },
});

beforeAll(async () => {
  oauth = await startFakeOAuthToken();
  fcm = await startFakeFcm(oauth);
  account = oauth.newServiceAccount(PROJECT);
  pki = makeApnsTestPki();
  apns = await startFakeApns({ pki });
  p8 = pki.signingKey();
  // What uploading the .p8 to Apple's developer account does: APNs knows its public key, for the app's topic.
  apns.addSigningKey({ keyId: KEY_ID, teamId: TEAM, publicKey: p8.publicKey, topics: [BUNDLE] });
  certificate = pki.pushCertificate(BUNDLE, { passphrase: PASSWORD });
  gw = await startTestGateway({
    env: { FCM_ENDPOINT: fcm.url, APNS_ENDPOINT: apns.url, ALLOW_PRIVATE_WEBHOOKS: "true" },
    apnsCa: pki.caPem,
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await apns?.close();
  await fcm?.close();
  await oauth?.close();
  pki?.remove();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

beforeEach(async () => {
  // Each test starts from the same settings (saving them also clears a 1298 mark) and empty stand-in records.
  await putSettings(gw, nativeSettings());
  oauth.reset();
  fcm.reset();
  apns.reset();
});

afterEach(() => {
  for (const p of pages.splice(0)) p.close();
  for (const r of apns.requests) if (r.headers.authorization) providerJwts.add(r.headers.authorization.replace(/^bearer /, ""));
});

/** The login page of contract 2.1, waiting on the login whose browser token is `token`. */
function pageOf(token: string): TestPage {
  const page = TestPage.open(gw, token);
  pages.push(page);
  return page;
}

const sent = (page: TestPage) => page.waitFor((s) => s.Delivery?.State === "Sent");

/** Resolves with the provider that sent the push of challenge `c` to the device, when the worker logs it. */
async function sentBy(c: Challenge, deviceId: string): Promise<string> {
  const line = await gw.waitForLog((l) => {
    const entry = JSON.parse(l) as { msg?: string; challenge?: string; device?: string };
    return entry.msg === "push sent" && entry.challenge === c.id && entry.device === deviceId;
  });
  return (JSON.parse(line) as { provider: string }).provider;
}

/**
 * A new account and its phone, enrolled as a user does: L2 answers the QR (no device yet), the phone POSTs the
 * enrollment URL (L6), and the enrollment pushes that same login.
 */
async function userWithPhone(type: "android" | "ios", pushToken: string) {
  deviceTokens.add(pushToken);
  const email = uniqueEmail(`native-${type}`);
  const { Uid: uid } = await createAccount(gw, email);
  const first = await login(gw, email);
  expect(first.status, first.text).toBe(200);
  const sfa = first.body.SecondFactorAuthentication;
  const phone = new TestPhone("rsa", pushToken);
  const enrolled = await phone.enroll(sfa.PushQRCodeDetails!.Url, type === "android" ? "Pixel 8" : "iPhone 15", type);
  expect(enrolled.status, enrolled.text).toBe(200);
  return { email, uid, phone, token: sfa.SecondFactorAuthenticationToken };
}

/** The access token of an approved login, from the page's Approved status (contract 2.1: Login comes with it). */
async function approvedLogin(page: TestPage): Promise<string> {
  const approved = await page.waitFor((s) => s.Status === "Approved");
  expect(approved.Login?.access_token).toMatch(/^[0-9a-f-]{36}$/);
  return approved.Login!.access_token;
}

const fcmTokenFor = () => fcm.registerDevice(PROJECT);
const apnsTokenFor = () => apns.registerDevice(BUNDLE);

describe("Native delivery through the gateway's worker: FCM for Android, APNs for iOS", () => {
  it("an Android phone gets the login through FCM and an iPhone through APNs (.p8 token), each with the signed data, the notification and the deadline; the phone's answer reaches the page as Approved", async () => {
    const jwk = await serverKey(gw);
    const androidToken = fcmTokenFor();
    const beforeFirst = Date.now();
    const user = await userWithPhone("android", androidToken);
    const first = await challengeOfToken(gw, user.token);
    const page = pageOf(user.token);
    await sent(page);
    const afterFirst = Date.now();

    // FCM: one message, authorised by an access token the service account's own token_uri granted for FCM.
    expect(fcm.delivered).toHaveLength(1);
    const delivery = fcm.delivered[0]!;
    expect(delivery.project).toBe(PROJECT);
    expect(oauth.requests).toMatchObject([{ status: 200, claims: { iss: account.client_email, aud: account.token_uri, scope: FCM_SCOPE } }]);
    expect(oauth.lookup(delivery.accessToken)).toMatchObject({ email: account.client_email, projectId: PROJECT, scopes: [FCM_SCOPE] });
    const message = delivery.body.message;
    expect(message.token).toBe(androidToken);
    expect(message.notification).toEqual({ title: APP_NAME, body: MESSAGE });
    expect(message.android?.priority).toBe("HIGH");
    // The TTL is the challenge's remaining life when the worker sent it: between what was left before the login
    // and what was left once the page heard Sent.
    const ttl = Number(/^(\d+)s$/.exec(message.android?.ttl ?? "")?.[1]);
    expect(ttl).toBeGreaterThanOrEqual(Math.ceil((first.expiresAt - afterFirst) / 1000));
    expect(ttl).toBeLessThanOrEqual(Math.ceil((first.expiresAt - beforeFirst) / 1000));
    const data = message.data!;
    expect(Object.keys(data).sort()).toEqual(DATA_KEYS);
    expect(carriesHandleOf(first)({ data })).toBe(true);
    expect(data.secondfactorauthenticationtoken).not.toBe(user.token);
    expect(data).toMatchObject({ identifier: user.email, apikey: gw.apiKey, expiresAt: new Date(first.expiresAt).toISOString() });
    expect(serverSignatureHolds(jwk, data)).toBe(true);

    // The phone answers with the handle FCM brought it; the page hears Approved with the login.
    expect((await user.phone.answer(gw.url, gw.apiKey, data.secondfactorauthenticationtoken!, "Yes")).body).toEqual({ IsPosted: true });
    const accessToken = await approvedLogin(page);

    // Signed in, the user adds an iPhone through L9's QR.
    const mfa = await call<{ PushQRCodeDetails: { Url: string } }>(gw.url, "GET", "/identity/v2/auth/account/2fa", {
      query: { apikey: gw.apiKey },
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(mfa.status, mfa.text).toBe(200);
    const iosToken = apnsTokenFor();
    deviceTokens.add(iosToken);
    const iphone = new TestPhone("rsa", iosToken);
    expect((await iphone.enroll(mfa.body.PushQRCodeDetails.Url, "iPhone 15", "ios")).status).toBe(200);
    const devices = await gw.services.devices.list(gw.apiKey, user.uid);
    expect(devices.map((d) => d.type).sort()).toEqual(["android", "ios"]);

    // The next login goes to both: Android through FCM, iOS through APNs.
    oauth.reset();
    fcm.reset();
    apns.reset();
    const next = await login(gw, user.email);
    expect(next.status, next.text).toBe(200);
    const nextToken = next.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const c = await challengeOfToken(gw, nextToken);
    const nextPage = pageOf(nextToken);
    const providers = await Promise.all(devices.map(async (d) => [d.type, await sentBy(c, d.id)]));
    expect(Object.fromEntries(providers)).toEqual({ android: "fcm", ios: "apns" });
    // The worker's FCM provider kept its access token: no second grant.
    expect(oauth.requests).toHaveLength(0);

    expect(apns.requests).toHaveLength(1);
    const push = apns.requests[0]!;
    expect(push).toMatchObject({ method: "POST", path: `/3/device/${iosToken}`, auth: "token", status: 200 });
    expect(push.headers).toMatchObject({ "apns-topic": BUNDLE, "apns-push-type": "alert", "apns-priority": "10", "apns-collapse-id": c.id });
    // The deadline in Unix seconds (rounded either way by the second the worker computed it in).
    const expiration = Number(push.headers["apns-expiration"]);
    expect(expiration).toBeGreaterThanOrEqual(Math.floor(c.expiresAt / 1000));
    expect(expiration).toBeLessThanOrEqual(Math.ceil(c.expiresAt / 1000));
    const jwt = push.headers.authorization!.replace(/^bearer /, "");
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: "ES256", kid: KEY_ID });
    expect(decodeJwt(jwt)).toMatchObject({ iss: TEAM });
    const { aps, ...apnsData } = push.payload as { aps: unknown } & Record<string, string>;
    expect(aps).toEqual({ alert: { title: APP_NAME, body: MESSAGE }, sound: "default" });
    // Beside `aps`, the very data FCM carried, signed once for the login (2.9).
    expect(apnsData).toEqual(fcm.delivered[0]!.body.message.data);
    expect(carriesHandleOf(c)({ data: apnsData })).toBe(true);
    expect(serverSignatureHolds(jwk, apnsData)).toBe(true);

    expect((await iphone.answer(gw.url, gw.apiKey, apnsData.secondfactorauthenticationtoken!, "Yes")).body).toEqual({ IsPosted: true });
    await approvedLogin(nextPage);
  });

  it("APNs with a .p12 certificate instead: the push goes over TLS client authentication, with no provider token, and is approved", async () => {
    await putSettings(gw, {
      IOSsettings: { ApnsKey: null, ApnsKeyId: null, ApnsTeamId: null, ApnsCertificate: certificate.toString("base64"), ApnsCertificatePassword: PASSWORD },
    });
    const iosToken = apnsTokenFor();
    const user = await userWithPhone("ios", iosToken);
    const c = await challengeOfToken(gw, user.token);
    const page = pageOf(user.token);
    await sent(page);

    expect(apns.requests).toHaveLength(1);
    const push = apns.requests[0]!;
    expect(push).toMatchObject({ path: `/3/device/${iosToken}`, auth: "certificate", status: 200 });
    expect(push.headers.authorization).toBeUndefined();
    expect(push.headers).toMatchObject({ "apns-topic": BUNDLE, "apns-collapse-id": c.id });
    const { aps, ...data } = push.payload as { aps: unknown } & Record<string, string>;
    expect(aps).toEqual({ alert: { title: APP_NAME, body: MESSAGE }, sound: "default" });
    expect(serverSignatureHolds(await serverKey(gw), data)).toBe(true);

    expect((await user.phone.answer(gw.url, gw.apiKey, data.secondfactorauthenticationtoken!, "Yes")).body).toEqual({ IsPosted: true });
    await approvedLogin(page);
  });
});

/** How one provider reports a token whose app was uninstalled, and what it delivered. */
interface DeadTokenCase {
  type: "android" | "ios";
  newToken(): string;
  uninstall(token: string): void;
  /** Every answer the stand-in gave since its reset, as "status reason". */
  answers(): string[];
  /** The device tokens pushes were delivered to since the reset, and the data each carried. */
  delivered(): Array<{ token: string; data: Record<string, string> }>;
  reset(): void;
}

const FCM_CASE: DeadTokenCase = {
  type: "android",
  newToken: fcmTokenFor,
  uninstall: (token) => fcm.unregister(token),
  answers: () => fcm.requests.map((r) => `${r.status} ${r.errorCode}`),
  delivered: () => fcm.delivered.map((d) => ({ token: d.body.message.token!, data: d.body.message.data! })),
  reset: () => fcm.reset(),
};

const APNS_CASE: DeadTokenCase = {
  type: "ios",
  newToken: apnsTokenFor,
  uninstall: (token) => {
    apns.devices.get(token)!.unregisteredAt = Date.now();
  },
  answers: () => apns.requests.map((r) => `${r.status} ${r.reason ?? ""}`.trim()),
  delivered: () =>
    apns.requests
      .filter((r) => r.status === 200)
      .map((r) => {
        const { aps: _aps, ...data } = r.payload as { aps: unknown } & Record<string, string>;
        return { token: r.path.replace("/3/device/", ""), data };
      }),
  reset: () => apns.reset(),
};

/**
 * A phone whose app was uninstalled: the provider's answer marks its device inactive after one request, the next
 * L2 answers 1313 with no QR (enrollment is not handed to whoever has the password), and the phone's signed
 * push-token update (2.8) brings the device back, the next login's push reaching the new token.
 */
async function deadTokenComesBack(k: DeadTokenCase, dead: string): Promise<void> {
  const oldToken = k.newToken();
  const user = await userWithPhone(k.type, oldToken);
  await sent(pageOf(user.token));

  k.uninstall(oldToken);
  k.reset();
  const doomed = await login(gw, user.email);
  expect(doomed.status, doomed.text).toBe(200);
  await pageOf(doomed.body.SecondFactorAuthentication.SecondFactorAuthenticationToken).waitFor((s) => s.Delivery?.State === "Failed");
  expect(k.answers()).toEqual([dead]);

  const refused = await login(gw, user.email);
  expectContractError(refused, "L2 once the only device's token died", 1313);
  expect(refused.text).not.toContain("PushQRCode");

  const newToken = k.newToken();
  deviceTokens.add(newToken);
  expect((await updateToken(gw, user.phone, newToken)).body).toEqual({ IsPosted: true });
  k.reset();
  const revived = await login(gw, user.email);
  expect(revived.status, revived.text).toBe(200);
  expect(revived.body.SecondFactorAuthentication.PushQRCode).toBeNull();
  const token = revived.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const c = await challengeOfToken(gw, token);
  const page = pageOf(token);
  await sent(page);
  const [push, ...more] = k.delivered();
  expect(more).toHaveLength(0);
  expect(push!.token).toBe(newToken);
  expect(carriesHandleOf(c)({ data: push!.data })).toBe(true);
  expect((await user.phone.answer(gw.url, gw.apiKey, push!.data.secondfactorauthenticationtoken!, "Yes")).body).toEqual({ IsPosted: true });
  await approvedLogin(page);
}

describe("a dead push token, and the phone's push-token update", () => {
  it("FCM's UNREGISTERED marks the Android device inactive: the next L2 answers 1313 with no QR, and the push-token update brings it back", async () => {
    await deadTokenComesBack(FCM_CASE, "404 UNREGISTERED");
  });

  it("APNs's 410 Unregistered marks the iOS device inactive: the next L2 answers 1313 with no QR, and the push-token update brings it back", async () => {
    await deadTokenComesBack(APNS_CASE, "410 Unregistered");
  });
});

describe("a platform enabled without its credentials", () => {
  it("iOS enabled with no APNs key or certificate and no webhook: the settings save, L2 answers 1298 for a user whose devices are all iPhones, and Android users still sign in", async () => {
    const iphoneUser = await userWithPhone("ios", apnsTokenFor());
    await sent(pageOf(iphoneUser.token));
    const androidUser = await userWithPhone("android", fcmTokenFor());
    await sent(pageOf(androidUser.token));

    const saved = await call<{ IOSsettings: Record<string, unknown> }>(gw.url, "PUT", "/v2/manage/2fa/push-notification-settings", {
      headers: secretHeaders(gw),
      json: { IOSsettings: { Enabled: true, ApnsKey: null, ApnsKeyId: null, ApnsTeamId: null } },
    });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.IOSsettings).toMatchObject({ Enabled: true, ApnsKey: "", ApnsCertificate: "" });

    const refused = await login(gw, iphoneUser.email);
    expectContractError(refused, "L2 for a user whose only device is on an unconfigured platform", 1298);
    expect(refused.text).not.toContain("PushQRCode");
    fcm.reset();
    const android = await login(gw, androidUser.email);
    expect(android.status, android.text).toBe(200);
    await sent(pageOf(android.body.SecondFactorAuthentication.SecondFactorAuthenticationToken));
    expect(fcm.delivered).toHaveLength(1);
  });
});

describe("secrets", () => {
  it("no device token, access token, provider JWT, private key or certificate password in a log line or in Redis in clear", async () => {
    const logs = gw.logs.join("\n");
    const redis = await dumpPrefix(gw.config.REDIS_PREFIX);
    const keyLine = (pem: string) => pem.split("\n")[1]!;
    const secrets = [
      ...deviceTokens,
      ...oauth.issued.keys(),
      ...providerJwts,
      keyLine(account.private_key),
      keyLine(p8.pem),
      PASSWORD,
    ];
    expect(secrets.length).toBeGreaterThan(8);
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(redis).not.toContain(secret);
    }
  });
});
