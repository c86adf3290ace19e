import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeOfToken, sendId, settle } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { expectContractError, hostileString, hostileValue, redisState } from "./support/contract.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import { ADMIN_PASSWORD, approveOnPhone, approvedAccessToken, makeAdmin, postSignIn } from "./support/console-admins.js";
import { WebSubscriber } from "./support/web-subscriber.js";
import { freshTimestamp, removalText } from "./support/signed-device.js";

/**
 * Every endpoint, fed malformed, missing, oversized and hostile input: it answers the contract's error body with
 * the code the spoiled part calls for, never a 500, never a hang, and writes nothing to Redis when it refuses.
 *
 * Each case starts from a request the contract accepts (checked at the end of the file, in "controls") and spoils
 * part of it: a credential or token replaced by a hostile string or left out, or the body replaced by one the
 * contract refuses. So every generated case must be refused, and for the spoiled part's reason.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
/** A user with an enrolled phone, a session, and a login waiting on the phone. */
let uid: string;
let phone: TestPhone;
let accessToken: string;
let token: string;
let handle: string;
/** The enrollment URL of another user's login, a user with no device yet, and the phone that would enroll. */
let enrollUrl: string;
let newcomer: TestPhone;
/** A console admin's approved sign-in, whose access token the console session endpoint takes. */
let adminAccessToken: string;
/** That user's uid, the 2FA token of their waiting login (its QR reference too), and one of their backup codes. */
let victimUid: string;
let victimToken: string;
let victimCode: string;
/** An enrollment URL (no login waiting) for a browser's web device (contract 2.7), and its subscription. */
let webEnrollUrl: string;
const browser = new TestPhone("p256");
const subscription = new WebSubscriber("https://push.example.net/wpush/v2/hostile");
/** A phone enrolled for a user of its own, that removes itself (ext) in the controls. */
const leaver = new TestPhone("p256");

const PASSWORD = "correct horse battery";

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-hostile-signing-secret-1").start();
  // The longest challenge life: no expiry fires while the file runs and changes what "nothing written" compares.
  await useWebhook(gw, receiver, { ChallengeTtlSeconds: 900 });

  victimUid = (await createAccount(gw, "victim@example.com")).Uid;
  const victim = (await login(gw, "victim@example.com")).body.SecondFactorAuthentication;
  enrollUrl = victim.PushQRCodeDetails!.Url;
  victimToken = victim.SecondFactorAuthenticationToken;
  [victimCode] = await gw.services.backupCodes.issue(gw.apiKey, victimUid) as [string];
  newcomer = new TestPhone();
  const browserUid = (await createAccount(gw, "browser@example.com")).Uid;
  const settings = await gw.services.settings.get(gw.apiKey, (await gw.services.apps.get(gw.apiKey))!.name);
  webEnrollUrl = (await gw.services.enrollment.issue({ appId: gw.apiKey, uid: browserUid }, settings)).PushQRCodeDetails.Url;

  const leaverUid = (await createAccount(gw, "leaver@example.com")).Uid;
  expect((await leaver.enroll((await gw.services.enrollment.issue({ appId: gw.apiKey, uid: leaverUid }, settings)).PushQRCodeDetails.Url)).status).toBe(200);

  uid = (await createAccount(gw, "user@example.com", PASSWORD)).Uid;
  phone = new TestPhone();
  const first = (await login(gw, "user@example.com", PASSWORD)).body.SecondFactorAuthentication;
  expect((await phone.enroll(first.PushQRCodeDetails!.Url)).status).toBe(200);
  const firstPush = await pushOfLogin(gw, receiver, first.SecondFactorAuthenticationToken);
  expect((await phone.answer(gw.url, gw.apiKey, firstPush.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
  accessToken = ((await ping(gw, first.SecondFactorAuthenticationToken)).body as { access_token: string }).access_token;

  token = (await login(gw, "user@example.com", PASSWORD)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  handle = (await pushOfLogin(gw, receiver, token)).data.secondfactorauthenticationtoken!;
  // Both sends must have ended (their jobs completed, the challenge marked Sent) before any "before" is taken.
  const [device] = await gw.services.devices.list(gw.apiKey, uid);
  for (const t of [first.SecondFactorAuthenticationToken, token]) {
    expect((await settle(gw, sendId(await challengeOfToken(gw, t), device!.id))).state).toBe("completed");
  }

  await makeAdmin(gw, "admin@example.com", "viewer");
  const adminSignIn = await postSignIn(gw, "admin@example.com");
  await approveOnPhone(gw, new TestPhone("p256"), adminSignIn.body);
  adminAccessToken = await approvedAccessToken(gw, adminSignIn.body);
  // The admin's push was skipped by the worker (pull only): its job must have ended before any "before" is taken.
  const adminChallenge = await challengeOfToken(gw, adminSignIn.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
  const [adminDevice] = await gw.services.devices.list(adminChallenge.appId, adminChallenge.uid);
  expect((await settle(gw, sendId(adminChallenge, adminDevice!.id))).state).toBe("completed");
  // That sign-in's signed pull left its timestamp's record (kept 120 s against replays): on a slow run it expired in
  // the middle of a "writes nothing" check. Nothing here replays the setup's requests, so it goes now.
  const setupTimestamps = await gw.services.redis.keys(gw.services.keys.signedTimestamp("*", "*"));
  if (setupTimestamps.length) await gw.services.redis.del(...setupTimestamps);
}, 60_000);
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** What spoiling each parameter is refused with, left out or replaced by something invalid. */
const APIKEY = [922, 920, 901];
const APISECRET = [923, 902];
const ACCESS_TOKEN = [1060, 905];
/** A body the contract refuses: 965. */
const BAD_BODY = 965;

interface Endpoint {
  name: string;
  method: string;
  path: () => string;
  /** The query of a valid call: every credential and token is sent in the query, so each can be spoiled. */
  query: () => Record<string, string>;
  /** For each parameter of `query`, the codes that may refuse it spoiled or left out. */
  refusedWith: Record<string, number[]>;
  /** For endpoints that read a body: one the contract accepts, and bodies it refuses. */
  body?: { valid: () => unknown; invalid: fc.Arbitrary<unknown> };
  /** The unspoiled call's answer, as the contract gives it. */
  accepted: (res: ApiResponse) => void;
  /** Headers every call sends (the console's own Origin, for its cookie endpoints). */
  headers?: () => Record<string, string>;
}

/** Values of a type no field of these bodies has (null only where it does not mean "remove the field"). */
const notText = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }));
/** Bodies that are not an object at all. */
const notAnObject = fc.oneof(fc.array(hostileValue, { maxLength: 3 }), hostileString, fc.integer(), fc.boolean(), fc.constant(null));
const FIELDS = ["email", "password", "verify", "signature", "number", "reason", "deviceName", "deviceType", "publicKey", "deviceToken", "Email", "Password", "IsEnabled", "NotificationService", "NativeSettings", "AWSsettings", "Uid", "Context", "__proto__", "constructor"];

/** A body the contract refuses: not an object, or a valid one with hostile extras and `field` set to a bad value. */
const refusedBody = (valid: () => Record<string, unknown>, field: string, bad: fc.Arbitrary<unknown>) =>
  fc.oneof(
    notAnObject,
    fc.tuple(fc.dictionary(fc.constantFrom(...FIELDS), hostileValue, { maxKeys: 4 }), bad).map(([extra, value]) => ({ ...valid(), ...extra, [field]: value })),
  );
const textOtherThan = (...allowed: string[]) => fc.oneof(notText, hostileString.filter((v) => !allowed.includes(v)));

const userQuery = () => ({ apikey: gw.apiKey, access_token: accessToken });
const adminQuery = () => ({ apikey: gw.apiKey, apisecret: gw.apiSecret });
const ok = (body?: unknown) => (res: ApiResponse) => {
  expect(res.status, res.text).toBe(200);
  if (body !== undefined) expect(res.body).toEqual(body);
};

const endpoints: Endpoint[] = [
  {
    name: "L1 create account", method: "POST", path: () => "/identity/v2/manage/account", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    body: (() => {
      const valid = () => ({ Email: [{ Type: "Primary", Value: "fresh@example.com" }], Password: PASSWORD });
      return { valid, invalid: refusedBody(valid, "Password", fc.oneof(notText, fc.constant(null))) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ Email: [{ Type: "Primary", Value: "fresh@example.com" }] });
    },
  },
  {
    name: "L2 login", method: "POST", path: () => "/identity/v2/auth/login/2fa", query: () => ({ apikey: gw.apiKey }),
    refusedWith: { apikey: APIKEY },
    body: (() => {
      const valid = () => ({ email: "user@example.com", password: PASSWORD });
      return { valid, invalid: refusedBody(valid, "password", fc.oneof(notText, fc.constant(null))) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toHaveProperty("SecondFactorAuthentication.SecondFactorAuthenticationToken");
    },
  },
  {
    // Without the token this is L2, whose body is then missing: 965.
    name: "L3 resend", method: "POST", path: () => "/identity/v2/auth/login/2FA", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: token }),
    refusedWith: { apikey: APIKEY, secondfactorauthenticationtoken: [1103, BAD_BODY] },
    accepted: ok({ IsPosted: true }),
  },
  {
    // A valid poll of a login still waiting is answered 1295: the only answer that says "pending".
    name: "L4 ping", method: "GET", path: () => "/login/2fa/push/ping", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: token }),
    refusedWith: { apikey: APIKEY, secondfactorauthenticationtoken: [1103] },
    accepted: (res) => expectContractError(res, "L4 pending", 1295),
  },
  {
    name: "L4 ping (alias)", method: "GET", path: () => "/identity/v2/auth/login/2fa/push/ping", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: token }),
    refusedWith: { apikey: APIKEY, secondfactorauthenticationtoken: [1103] },
    accepted: (res) => expectContractError(res, "L4 pending", 1295),
  },
  {
    // Contract 2.11: the same poll held up to `wait` seconds; a valid one of a login still waiting ends its second
    // pending. `wait` left out is plain L4 (pending, 1295); anything else that is not 1–30 is 908.
    name: "L4 long poll", method: "GET", path: () => "/login/2fa/push/ping", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: token, wait: "1" }),
    refusedWith: { apikey: APIKEY, secondfactorauthenticationtoken: [1103], wait: [908, 1295] },
    accepted: (res) => expectContractError(res, "L4 long poll pending", 1295),
  },
  {
    name: "L5 answer", method: "PUT", path: () => "/identity/v2/auth/login/2fa/verification/push", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: handle }),
    refusedWith: { apikey: APIKEY, secondfactorauthenticationtoken: [1296] },
    body: (() => {
      const valid = () => ({ verify: "Yes", signature: phone.sign(`Yes${handle}`) });
      return { valid, invalid: refusedBody(valid, "verify", fc.oneof(textOtherThan("Yes", "No"), fc.constant(null))) };
    })(),
    accepted: ok({ IsPosted: true }),
  },
  {
    name: "L6 enroll", method: "POST", path: () => new URL(enrollUrl).pathname, query: () => ({ apikey: gw.apiKey }),
    refusedWith: { apikey: APIKEY },
    body: (() => {
      const valid = () => ({ deviceName: "Hostile phone", deviceType: "android", publicKey: newcomer.publicKeyHex, deviceToken: newcomer.deviceToken });
      return { valid, invalid: refusedBody(valid, "deviceType", fc.oneof(textOtherThan("android", "ios", "web"), fc.constant(null))) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ isRegistered: true });
    },
  },
  {
    // Contract 2.7: a web device's token is a PushSubscription's JSON; anything else is refused 965.
    name: "L6 enroll (web)", method: "POST", path: () => new URL(webEnrollUrl).pathname, query: () => ({ apikey: gw.apiKey }),
    refusedWith: { apikey: APIKEY },
    body: (() => {
      const valid = () => ({ deviceName: "Authenticator", deviceType: "web", publicKey: browser.publicKeyHex, deviceToken: subscription.deviceToken });
      const good = subscription.subscription;
      const badSubscriptions = [
        { ...good, endpoint: "http://push.example.net/x" },
        { ...good, endpoint: "not a url" },
        { ...good, keys: { ...good.keys, p256dh: Buffer.alloc(65, 4).toString("base64url") } },
        { ...good, keys: { ...good.keys, p256dh: good.keys.p256dh.slice(0, 40) } },
        { ...good, keys: { ...good.keys, auth: Buffer.alloc(15).toString("base64url") } },
        { ...good, keys: null },
        { endpoint: good.endpoint },
        { ...good, pad: "x".repeat(5000) },
      ].map((b) => JSON.stringify(b));
      const badToken = fc.oneof(notText, fc.constant(null), hostileString.filter((v) => v !== "none"), fc.constantFrom(...badSubscriptions));
      return { valid, invalid: refusedBody(valid, "deviceToken", badToken) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ isRegistered: true, appName: "Acme Authenticator", identifier: "browser@example.com" });
    },
  },
  {
    // (ext) A phone removes itself, signed with its key as 2.8's push-token update is; the signature is checked
    // only once the body fits, so a body spoiled in its signature's type is 965.
    name: "device self-removal", method: "DELETE", path: () => "/identity/v2/auth/account/2fa/push/device", query: () => ({ apikey: gw.apiKey }),
    refusedWith: { apikey: APIKEY },
    body: (() => {
      const valid = () => {
        const timestamp = freshTimestamp();
        return { publicKey: leaver.publicKeyHex, timestamp, signature: leaver.sign(removalText(gw.apiKey, timestamp)) };
      };
      return { valid, invalid: refusedBody(valid, "signature", fc.oneof(notText, fc.constant(null))) };
    })(),
    accepted: ok({ IsDeleted: true }),
  },
  {
    // Contract 2.7: the deployment's VAPID key, for any app.
    name: "VAPID public key", method: "GET", path: () => "/identity/v2/auth/push/vapid-public-key", query: () => ({ apikey: gw.apiKey }),
    refusedWith: { apikey: APIKEY },
    accepted: (res) => {
      ok()(res);
      expect(Buffer.from((res.body as { PublicKey: string }).PublicKey, "base64url")).toHaveLength(65);
    },
  },
  {
    name: "L7 reset own", method: "DELETE", path: () => "/identity/v2/auth/account/2fa/authenticator/push", query: userQuery,
    refusedWith: { apikey: APIKEY, access_token: ACCESS_TOKEN },
    accepted: ok({ IsDeleted: true }),
  },
  {
    name: "L8 reset by admin", method: "DELETE", path: () => `/identity/v2/manage/account/2FA/authenticator/push/${uid}`, query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: ok({ IsDeleted: true }),
  },
  {
    name: "L9 MFA settings", method: "GET", path: () => "/identity/v2/auth/account/2fa", query: userQuery,
    refusedWith: { apikey: APIKEY, access_token: ACCESS_TOKEN },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toHaveProperty("IsPushDeviceRegistered");
    },
  },
  {
    name: "L12 step-up", method: "GET", path: () => "/identity/v2/auth/account/reauth/2fa", query: userQuery,
    refusedWith: { apikey: APIKEY, access_token: ACCESS_TOKEN },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toHaveProperty("SecondFactorAuthenticationToken");
    },
  },
  {
    // Any text of at most 120 characters is a fine Message: a bad Uid is what spoils this body.
    name: "2.12 own challenge", method: "POST", path: () => "/v2/manage/push/challenge", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    body: (() => {
      const valid = () => ({ Uid: uid, Message: "Approve the transfer?", Context: { Amount: "10 EUR" } });
      const badUid = fc.oneof(notText, fc.constant(null), hostileString.filter((v) => !/^[0-9a-fA-F]{32}$/.test(v)));
      return { valid, invalid: refusedBody(valid, "Uid", badUid) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ IsPushDeviceRegistered: true, SecondFactorAuthenticationToken: expect.any(String) });
    },
  },
  {
    // Any short text is a token that is simply not valid (200 IsValid false): only a token that is no text, or too long, is refused.
    name: "2.12 validate", method: "POST", path: () => "/v2/manage/push/challenge/validate", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    body: (() => {
      const valid = () => ({ SecondFactorValidationToken: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" });
      return { valid, invalid: refusedBody(valid, "SecondFactorValidationToken", fc.oneof(notText, fc.constant(null), fc.string({ minLength: 65, maxLength: 300 }))) };
    })(),
    accepted: ok({ IsValid: false }),
  },
  {
    name: "L10 get settings", method: "GET", path: () => "/v2/manage/2fa/push-notification-settings", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ IsEnabled: true, NotificationService: "Native" });
    },
  },
  {
    // null removes a field (contract 1.5), so a bad NumberMatching is anything but null and its three names.
    name: "L10 put settings", method: "PUT", path: () => "/v2/manage/2fa/push-notification-settings", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    body: (() => {
      const valid = () => ({ IsEnabled: true, CustomAppName: "Acme Authenticator" });
      return { valid, invalid: refusedBody(valid, "NumberMatching", textOtherThan("Off", "PickOne", "Typed")) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ IsEnabled: true, CustomAppName: "Acme Authenticator" });
    },
  },
  {
    // Contract 2.14: no credential in the query (the admin app is the gateway's own); everything is in the body.
    name: "console admin sign-in", method: "POST", path: () => "/console/api/sign-in", query: () => ({}), headers: () => ({ Origin: gw.url }),
    refusedWith: {},
    body: (() => {
      const valid = () => ({ Email: "admin@example.com", Password: ADMIN_PASSWORD });
      return { valid, invalid: refusedBody(valid, "Password", fc.oneof(notText, fc.constant(null))) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toHaveProperty("SecondFactorAuthentication.SecondFactorAuthenticationToken");
    },
  },
  {
    name: "console admin session", method: "POST", path: () => "/console/api/session", query: () => ({}), headers: () => ({ Origin: gw.url }),
    refusedWith: {},
    body: (() => {
      const valid = () => ({ AccessToken: adminAccessToken });
      return { valid, invalid: refusedBody(valid, "AccessToken", fc.oneof(notText, fc.constant(null))) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ Email: "admin@example.com", Role: "viewer" });
      expect(res.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/);
    },
  },
  // The console's admin reads (issue 16): only their credentials are spoiled here (a hostile search text or
  // filter is often a valid one); their own parameters are refused in console-ops-api.test.ts.
  {
    name: "console user search", method: "GET", path: () => "/v2/manage/push/users", query: () => ({ ...adminQuery(), q: "user@" }),
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ Data: [{ Uid: uid, Email: "user@example.com" }] });
    },
  },
  {
    name: "console user overview", method: "GET", path: () => `/v2/manage/account/${uid}/push/overview`, query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ Uid: uid, Email: "user@example.com" });
    },
  },
  {
    name: "console stats", method: "GET", path: () => "/v2/manage/push/stats", query: () => ({ ...adminQuery(), range: "day" }),
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ Range: "day", BucketSeconds: 3600 });
    },
  },
  {
    name: "console audit lines", method: "GET", path: () => "/v2/manage/push/audit/lines", query: () => ({ ...adminQuery(), outcome: "approved" }),
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toHaveProperty("Next");
    },
  },
  {
    name: "console audit export", method: "GET", path: () => "/v2/manage/push/audit/export", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    },
  },
  {
    name: "console session", method: "GET", path: () => "/v2/manage/push/console-session", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ Admin: "app secret" });
    },
  },
  {
    // The victim's enrollment is open until the L6 control uses it; no `size` (a number is a valid one).
    name: "L11 QR image", method: "GET", path: () => "/identity/v2/auth/qr-code", query: () => ({ apikey: gw.apiKey, token: victimToken }),
    refusedWith: { apikey: APIKEY, token: [1103] },
    accepted: (res) => {
      ok()(res);
      expect(res.headers.get("content-type")).toBe("image/png");
    },
  },
  {
    name: "L13 backup codes", method: "GET", path: () => "/identity/v2/auth/account/2fa/backupcode", query: userQuery,
    refusedWith: { apikey: APIKEY, access_token: ACCESS_TOKEN },
    accepted: (res) => {
      ok()(res);
      expect((res.body as { BackUpCodes: string[] }).BackUpCodes).toHaveLength(10);
    },
  },
  {
    name: "L14 backup codes reset", method: "GET", path: () => "/identity/v2/auth/account/2fa/backupcode/reset", query: userQuery,
    refusedWith: { apikey: APIKEY, access_token: ACCESS_TOKEN },
    accepted: (res) => {
      ok()(res);
      expect((res.body as { BackUpCodes: string[] }).BackUpCodes).toHaveLength(10);
    },
  },
  {
    name: "L15 backup codes by admin", method: "GET", path: () => "/identity/v2/manage/account/2fa/backupcode", query: () => ({ ...adminQuery(), uid }),
    refusedWith: { apikey: APIKEY, apisecret: APISECRET, uid: [908, 938] },
    accepted: (res) => {
      ok()(res);
      expect((res.body as { BackUpCodes: string[] }).BackUpCodes).toHaveLength(10);
    },
  },
  {
    name: "L15 backup codes reset by admin", method: "GET", path: () => "/identity/v2/manage/account/2fa/backupcode/reset", query: () => ({ ...adminQuery(), uid }),
    refusedWith: { apikey: APIKEY, apisecret: APISECRET, uid: [908, 938] },
    accepted: (res) => {
      ok()(res);
      expect((res.body as { BackUpCodes: string[] }).BackUpCodes).toHaveLength(10);
    },
  },
  {
    // A wrong code (a string) is 1066 and counts toward the lockout: a write. The refused bodies here are not text.
    name: "L16 backup code login", method: "PUT", path: () => "/identity/v2/auth/login/2fa/verification/backupcode",
    query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: victimToken }),
    refusedWith: { apikey: APIKEY, secondfactorauthenticationtoken: [1103] },
    body: (() => {
      const valid = () => ({ backupcode: victimCode });
      return { valid, invalid: refusedBody(valid, "backupcode", fc.oneof(notText, fc.constant(null))) };
    })(),
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ Profile: { Uid: victimUid }, access_token: expect.any(String) });
    },
  },
  {
    name: "L17 appinfo", method: "GET", path: () => "/ciam/appinfo", query: () => ({ apikey: gw.apiKey }),
    refusedWith: { apikey: APIKEY },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toMatchObject({ TwoFactorAuthentication: { IsPushAuthenticator: true } });
    },
  },
  {
    name: "1.6 management token", method: "POST", path: () => "/v2/manage/token", query: adminQuery,
    refusedWith: { apikey: APIKEY, apisecret: APISECRET },
    accepted: (res) => {
      ok()(res);
      expect(res.body).toEqual({ access_token: expect.stringMatching(/^mgt_/), expires_in: expect.any(String) });
    },
  },
];

const state = () => redisState(gw);
/** A parameter left out. */
const DROPPED = null;

function send(ep: Endpoint, o: { query?: Record<string, string>; json?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const json = o.raw !== undefined ? undefined : "json" in o ? o.json : ep.body?.valid();
  const headers = { ...ep.headers?.(), ...o.headers };
  return call(gw.url, ep.method, ep.path(), {
    query: o.query ?? ep.query(),
    ...(Object.keys(headers).length && { headers }),
    ...(json !== undefined && { json }),
    ...(o.raw !== undefined && { raw: o.raw }),
  });
}

/** The query with some parameters replaced (a string) or left out (DROPPED). */
function spoil(query: Record<string, string>, spoiled: Array<[string, string | null]>): Record<string, string> {
  const out = { ...query };
  for (const [k, v] of spoiled) {
    if (v === DROPPED) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * Node refuses a request line and headers over 16 KiB before the gateway sees them; the gateway answers that 908
 * (a parameter not formatted correctly). Hostile values of thousands of characters, percent-encoded, get there.
 */
const NODE_MAX_HEADER_BYTES = 16_384;
const tooLongForNode = (ep: Endpoint, query: Record<string, string>): boolean => {
  const url = new URL(ep.path(), gw.url);
  for (const [k, v] of Object.entries(query)) url.searchParams.append(k, v);
  return url.href.length > NODE_MAX_HEADER_BYTES - 1024;
};

/** The codes a request with these parts spoiled may be refused with: each spoiled part's, whichever is checked first. */
const codesFor = (ep: Endpoint, params: string[], badBody: boolean, query: Record<string, string> = ep.query()): number[] => [
  ...params.flatMap((k) => ep.refusedWith[k]!),
  ...(badBody ? [BAD_BODY] : []),
  ...(tooLongForNode(ep, query) ? [908] : []),
];

function expectRefused(res: ApiResponse, label: string, codes: number[]): void {
  expectContractError(res, label);
  expect(codes, `${label}: ${res.text.slice(0, 200)}`).toContain((res.body as { ErrorCode: number }).ErrorCode);
}

describe.each(endpoints)("$name", (ep) => {
  // The query's parameter names (read here, before the gateway exists: each has its refusal codes).
  const keys = Object.keys(ep.refusedWith);
  // An endpoint with no credential in its query (the console's) is spoiled through its body alone.
  const spoiledParams = keys.length
    ? fc.uniqueArray(fc.tuple(fc.constantFrom(...keys), fc.option(hostileString, { nil: DROPPED })), { selector: ([k]) => k, maxLength: keys.length })
    : fc.constant<Array<[string, string | null]>>([]);
  const cases = fc
    .record({ params: spoiledParams, body: ep.body ? fc.option(ep.body.invalid, { nil: undefined }) : fc.constant(undefined) })
    .filter((c) => c.params.length > 0 || c.body !== undefined);

  it("refuses hostile parameters and bodies with the spoiled part's error, and each refusal writes nothing", async () => {
    const before = await state();
    await fc.assert(
      fc.asyncProperty(cases, async ({ params, body }) => {
        const label = `${ep.name} ${JSON.stringify(params).slice(0, 100)} ${String(JSON.stringify(body)).slice(0, 100)}`;
        const query = spoil(ep.query(), params);
        const res = await send(ep, { query, ...(body !== undefined && { json: body }) });
        expectRefused(res, label, codesFor(ep, params.map(([k]) => k), body !== undefined, query));
        expect(await state(), label).toBe(before);
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });

  // Not for GET endpoints: a GET carries no request body (HTTP gives it no meaning and fetch refuses to send one).
  // The endpoints that take no body still parse what is sent as JSON; a form body they simply do not read.
  it.skipIf(ep.method === "GET")("refuses bad JSON, oversized bodies and (where a body is read) other content types: 965", async () => {
    const before = await state();
    for (const raw of ["{", "{\"a\":", "[1,2", "\"just a string", "nul", "{\"a\":1}}"]) expectContractError(await send(ep, { raw }), `${ep.name} raw ${raw}`, BAD_BODY);
    expectContractError(await send(ep, { raw: JSON.stringify({ pad: "x".repeat(100_000) }) }), `${ep.name} oversized`, BAD_BODY);
    if (ep.body) expectContractError(await send(ep, { raw: "email=a&password=b", headers: { "content-type": "application/x-www-form-urlencoded" } }), `${ep.name} form`, BAD_BODY);
    expect(await state()).toBe(before);
  });

  // Skipped for the calls that take no credential or token in the query or headers (the console's sign-in and
  // session exchange: their email, password and access token are in the body, refused by the body cases here).
  it.skipIf(!keys.length)("refuses each credential and token missing, empty, malformed, unknown or oversized with its own error", async () => {
    const before = await state();
    const variants: Array<[string[], Record<string, string>]> = [[keys, {}]];
    for (const k of keys) {
      for (const v of ["", "not-a-guid", "b1fbbba5-2a5e-41a2-96da-c216df36e6f4", "x".repeat(5000), DROPPED]) variants.push([[k], spoil(ep.query(), [[k, v]])]);
    }
    for (const [spoiled, query] of variants) {
      const label = `${ep.name} ${JSON.stringify(query).slice(0, 120)}`;
      expectRefused(await send(ep, { query }), label, codesFor(ep, spoiled, false, query));
    }
    expect(await state()).toBe(before);
  });

  it("answers a parameter given twice (or twice in different case) 403 908 naming it, and writes nothing", async () => {
    const before = await state();
    for (const k of keys) {
      for (const again of [k, k.toUpperCase()]) {
        const url = new URL(ep.path(), gw.url);
        for (const [name, value] of Object.entries(ep.query())) url.searchParams.append(name, value);
        url.searchParams.append(again, ep.query()[k]!);
        const body = ep.body?.valid();
        const res = await fetch(url, { method: ep.method, headers: { "content-type": "application/json", ...ep.headers?.() }, ...(body !== undefined && { body: JSON.stringify(body) }) });
        const label = `${ep.name} ${k} and ${again}`;
        expect(res.status, label).toBe(403);
        expect(await res.json(), label).toMatchObject({ ErrorCode: 908, Errors: [{ FieldName: k }] });
      }
    }
    expect(await state()).toBe(before);
  });
});

describe("routes and credentials", () => {
  it("an unknown route answers JSON 404 with the error body", async () => {
    const res = await call(gw.url, "GET", "/nope/nothing-here");
    expect(res.status).toBe(404);
    expectContractError(res, "404");
  });

  // Header names need no such test: Node hands them to the gateway lowercased whatever the client sent.
  it("paths and query names match case-insensitively, as LoginRadius clients send them", async () => {
    const res = await call(gw.url, "GET", "/LOGIN/2FA/PUSH/PING", { query: { ApiKey: gw.apiKey, SecondFactorAuthenticationToken: token } });
    expect(res.body, res.text).toMatchObject({ ErrorCode: 1295 });
    // The LoginRadius Node SDK's spelling (apiKey), and others.
    for (const [key, secret] of [["apiKey", "apiSecret"], ["APIKEY", "APISECRET"]] as const) {
      const s = await call(gw.url, "GET", "/v2/manage/2fa/push-notification-settings", { query: { [key]: gw.apiKey, [secret]: gw.apiSecret } });
      expect(s.status, `${key} ${secret}: ${s.text}`).toBe(200);
    }
    const mfa = await call(gw.url, "GET", "/Identity/V2/Auth/Account/2FA", { query: { ApiKey: gw.apiKey, Access_Token: accessToken } });
    expect(mfa.status, mfa.text).toBe(200);
  });

  it("answers 922, 920, 901, 923 and 902 for each credential problem", async () => {
    const path = "/v2/manage/2fa/push-notification-settings";
    expect((await call(gw.url, "GET", path)).body).toMatchObject({ ErrorCode: 922 });
    expect((await call(gw.url, "GET", path, { query: { apikey: "nope" } })).body).toMatchObject({ ErrorCode: 920 });
    expect((await call(gw.url, "GET", path, { query: { apikey: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" } })).body).toMatchObject({ ErrorCode: 901 });
    expect((await call(gw.url, "GET", path, { query: { apikey: gw.apiKey } })).body).toMatchObject({ ErrorCode: 923 });
    const wrong = await call(gw.url, "GET", path, { query: { apikey: gw.apiKey, apisecret: "wrong" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ ErrorCode: 902 });
  });

  it("hostile signing headers, management bearers and X-Origin-IP values: the credential's own error, never a 500", async () => {
    const path = "/v2/manage/2fa/push-notification-settings";
    const headerText = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF -:=/+.%_ ,;PMAMsha256SHA-256".split("")), maxLength: 300 });
    const before = await state();
    await fc.assert(
      fc.asyncProperty(headerText, headerText, headerText, async (expires, digest, origin) => {
        const label = JSON.stringify([expires, digest, origin]).slice(0, 200);
        const signed = await call(gw.url, "GET", path, { query: { apikey: gw.apiKey }, headers: { "X-Request-Expires": expires, digest, "X-Origin-IP": origin } });
        expectContractError(signed, label, 902);
        const bearer = await call(gw.url, "GET", path, { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer x${digest.replaceAll(" ", "")}`, "X-Origin-IP": origin } });
        expectContractError(bearer, label, 905);
        const origins = await call(gw.url, "GET", path, { query: { apikey: gw.apiKey, apisecret: gw.apiSecret }, headers: { "X-Origin-IP": origin } });
        expect(origins.status, label).toBe(200);
      }),
      { numRuns: 25, endOnFailure: true },
    );
    expect(await state()).toBe(before);
  });

  it("access tokens: 1060 missing, 905 unknown", async () => {
    const path = "/identity/v2/auth/account/2fa";
    expect((await call(gw.url, "GET", path, { query: { apikey: gw.apiKey } })).body).toMatchObject({ ErrorCode: 1060 });
    expect((await call(gw.url, "GET", path, { query: { apikey: gw.apiKey }, headers: { Authorization: "Bearer b1fbbba5-2a5e-41a2-96da-c216df36e6f4" } })).body).toMatchObject({ ErrorCode: 905 });
  });
});

/**
 * The unspoiled calls the cases above started from are accepted: so each refusal above was the spoiled part's
 * doing. Last, and in this order, because they change what they touch (the resend is let through by moving the
 * last send 20 s back; the answer approves the waiting login; the resets remove the phone).
 */
describe("controls: the unspoiled calls are accepted", () => {
  const order = [
    "L17 appinfo", "1.6 management token", "L10 get settings", "L10 put settings",
    "console user search", "console user overview", "console stats", "console audit lines", "console audit export", "console session",
    "L4 ping", "L4 ping (alias)", "L4 long poll", "L3 resend", "L1 create account", "L11 QR image", "L6 enroll", "L6 enroll (web)", "VAPID public key", "device self-removal",
    "L16 backup code login", "L5 answer", "L9 MFA settings", "L12 step-up",
    "2.12 own challenge", "2.12 validate", "L13 backup codes", "L14 backup codes reset", "L15 backup codes by admin",
    "L15 backup codes reset by admin", "L7 reset own", "L8 reset by admin", "L2 login", "console admin session", "console admin sign-in",
  ];
  it.each(order)("%s", async (name) => {
    const ep = endpoints.find((e) => e.name === name)!;
    if (name === "L3 resend") {
      const c = await challengeOfToken(gw, token);
      await gw.services.challenges.update({ appId: c.appId, uid: c.uid, challengeId: c.id }, { lastSendAt: c.lastSendAt - 20_000 });
    }
    ep.accepted(await send(ep));
  });
  it("covers every endpoint", () => {
    expect([...order].sort()).toEqual(endpoints.map((e) => e.name).sort());
  });
});
