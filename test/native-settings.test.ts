import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithoutLogin, settle, uniqueEmail, waitUntil } from "./support/delivery.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { makeNativeCredentials, serviceJsonWith, type NativeCredentials } from "./support/native-credentials.js";
import { TestPhone } from "./support/phone.js";
import { createAccount, login, secretHeaders } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 1.5 in LoginRadius's shape, against a real gateway and Redis: a LoginRadius-shaped PUT with real
 * credentials (made here: a service account, APNs .p12 files and a .p8 key) is accepted and read back masked; the
 * placeholders of LoginRadius's documented GET are refused naming each field; each credential is checked as it
 * will be used; `QRCodeWidth` and `Message` are what the QR and the notification show; and "where a push goes":
 * a platform without credentials saves, but its users' L2 and L3 answer 1298.
 */

const SETTINGS = "/v2/manage/2fa/push-notification-settings";
const SECRETS = ["ServiceJson", "ApnsCertificate", "ApnsCertificatePassword", "ApnsKey"] as const;

type Settings = Record<string, unknown> & {
  AndroidSettings: Record<string, unknown>;
  IOSsettings: Record<string, unknown>;
};
type Refusal = { ErrorCode: number; Errors: Array<{ FieldName: string; ErrorMessage: string }> };

const put = (gw: TestGateway, json: unknown) => call<Settings>(gw.url, "PUT", SETTINGS, { headers: secretHeaders(gw), json });
const get = (gw: TestGateway) => call<Settings>(gw.url, "GET", SETTINGS, { headers: secretHeaders(gw) });
const stored = async (gw: TestGateway) => {
  const app = (await gw.services.apps.get(gw.apiKey))!;
  return gw.services.settings.get(app.apiKey, app.name);
};

/** The 965 refusal's messages by field name. */
function refusedFields(res: ApiResponse<unknown>): Record<string, string> {
  expect(res.status, res.text).toBe(400);
  const body = res.body as Refusal;
  expect(body.ErrorCode).toBe(965);
  return Object.fromEntries(body.Errors.map((e) => [e.FieldName, e.ErrorMessage]));
}

describe("Native settings in LoginRadius's shape (SSRF guard on, as in production)", () => {
  let gw: TestGateway;
  let creds: NativeCredentials;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { ALLOW_PRIVATE_WEBHOOKS: "false" } });
    creds = makeNativeCredentials({ tokenUri: "https://oauth2.googleapis.com/token" });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    creds?.remove();
    if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
  });

  /** A body with only LoginRadius's own fields (no NativeSettings, ChallengeTtlSeconds, NumberMatching, password). */
  const loginRadiusBody = () => ({
    IsEnabled: true,
    NotificationService: "Native",
    CustomAppName: "Acme Authenticator",
    QRCodeWidth: 300,
    Message: "Acme: approve your sign-in",
    AWSsettings: { AccessKeyId: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Region: "us-east-1" },
    AndroidSettings: {
      Enabled: true,
      PlatformARN: "arn:aws:sns:us-east-1:123456789012:app/GCM/acme",
      PlaystoreUrl: "https://play.google.com/store/apps/details?id=com.acme.authenticator",
      ServiceJson: creds.serviceJson,
    },
    IOSsettings: {
      Enabled: true,
      AppstoreUrl: "https://apps.apple.com/app/id123456789",
      PlatformARN: "arn:aws:sns:us-east-1:123456789012:app/APNS/acme",
      BundleId: creds.bundleId,
      ApnsCertificate: creds.p12.noPassword.toString("base64"),
      Environment: "Sandbox",
    },
  });

  it("a new app reads back every field of contract 1.5, with QRCodeWidth 200 and a default Message", async () => {
    const res = await get(gw);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      QRCodeWidth: 200,
      Message: "Please approve the sign-in request",
      AndroidSettings: { ServiceJson: "" },
      IOSsettings: { BundleId: "", Environment: "Production", ApnsCertificate: "", ApnsCertificatePassword: "", ApnsKey: "", ApnsKeyId: "", ApnsTeamId: "" },
    });
  });

  it("accepts a PUT in LoginRadius's own shape with real values, stores the secrets sealed and reads them back masked", async () => {
    const body = loginRadiusBody();
    const res = await put(gw, body);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      IsEnabled: true,
      QRCodeWidth: 300,
      Message: body.Message,
      AndroidSettings: { ServiceJson: "****", PlatformARN: body.AndroidSettings.PlatformARN },
      IOSsettings: { ApnsCertificate: "****", ApnsCertificatePassword: "", BundleId: creds.bundleId, Environment: "Sandbox" },
    });
    expect((await get(gw)).body).toEqual(res.body);

    const s = await stored(gw);
    expect(s.AndroidSettings.ServiceJson).toBe(creds.serviceJson);
    expect(s.IOSsettings.ApnsCertificate).toBe(body.IOSsettings.ApnsCertificate);
    // Sealed in Redis: neither the file nor a piece of its key is there in clear.
    const dump = await dumpPrefix(gw.config.REDIS_PREFIX);
    for (const secret of [creds.serviceJson, creds.serviceAccount.private_key!.split("\n")[1]!, creds.serviceAccount.client_email!, body.IOSsettings.ApnsCertificate.slice(0, 64)]) {
      expect(dump).not.toContain(secret);
    }
    for (const line of gw.logs) expect(line).not.toContain(creds.serviceAccount.private_key_id);
  });

  it("refuses the body of LoginRadius's documented GET (its placeholders), naming each field, and changes nothing", async () => {
    const before = (await get(gw)).body;
    const documented = {
      IsEnabled: true,
      NotificationService: "Native",
      CustomAppName: "app-name",
      QRCodeWidth: 200,
      Message: "message",
      AWSsettings: { AccessKeyId: "access-key-id", SecretAccessKey: "secret-access-key", Region: "region" },
      AndroidSettings: { Enabled: true, PlatformARN: "platform-arn", PlaystoreUrl: "playstore-url", ServiceJson: "service-json" },
      IOSsettings: { Enabled: true, AppstoreUrl: "appstore-url", PlatformARN: "platform-arn", BundleId: "bundle-id", ApnsCertificate: "base64-encoded-cert", Environment: "Production" },
    };
    const fields = refusedFields(await put(gw, documented));
    expect(Object.keys(fields)).toEqual(
      expect.arrayContaining([
        "AndroidSettings.ServiceJson",
        "IOSsettings.ApnsCertificate",
        "IOSsettings.BundleId",
        "AndroidSettings.PlatformARN",
        "IOSsettings.PlatformARN",
        "AndroidSettings.PlaystoreUrl",
        "IOSsettings.AppstoreUrl",
        "AWSsettings.AccessKeyId",
        "AWSsettings.Region",
      ]),
    );
    expect(fields["IOSsettings.ApnsCertificate"]).toMatch(/PKCS#12.*base64/);
    expect(fields["AndroidSettings.ServiceJson"]).toMatch(/service-account JSON/);
    expect((await get(gw)).body).toEqual(before);
  });

  it("keeps every stored secret when the masks are sent back, and removes a field sent as null", async () => {
    const before = await stored(gw);
    const masked = (await get(gw)).body;
    expect((await put(gw, masked)).status).toBe(200);
    expect(await stored(gw)).toEqual(before);

    // A password and a key added beside the certificate: each read back masked, each kept on the mask.
    const withKey = await put(gw, {
      IOSsettings: {
        ApnsCertificate: creds.p12.modern.toString("base64"),
        ApnsCertificatePassword: creds.password,
        ApnsKey: creds.p8,
        ApnsKeyId: "ABCDE12345",
        ApnsTeamId: "TEAM123456",
      },
    });
    expect(withKey.status, withKey.text).toBe(200);
    expect(withKey.body.IOSsettings).toMatchObject({ ApnsCertificate: "****", ApnsCertificatePassword: "****", ApnsKey: "****", ApnsKeyId: "ABCDE12345" });
    const full = await stored(gw);
    expect((await put(gw, { IOSsettings: Object.fromEntries(SECRETS.slice(1).map((f) => [f, "****"])), AndroidSettings: { ServiceJson: "****" } })).status).toBe(200);
    expect(await stored(gw)).toEqual(full);
    expect(full.IOSsettings.ApnsKey).toBe(creds.p8);
    expect(full.IOSsettings.ApnsCertificatePassword).toBe(creds.password);
    const dump = await dumpPrefix(gw.config.REDIS_PREFIX);
    expect(dump).not.toContain(creds.password);
    expect(dump).not.toContain(creds.p8.split("\n")[1]!);

    // null removes: the key goes (the certificate stays), QRCodeWidth returns to its default.
    const removed = await put(gw, { IOSsettings: { ApnsKey: null, ApnsKeyId: null, ApnsTeamId: null }, QRCodeWidth: null });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toMatchObject({ QRCodeWidth: 200, IOSsettings: { ApnsKey: "", ApnsKeyId: "", ApnsTeamId: "", ApnsCertificate: "****" } });
    expect((await stored(gw)).IOSsettings.ApnsKey).toBe("");
  });

  it("ServiceJson must be a service account whose key is RSA and whose token_uri is https on a public host", async () => {
    const base = creds.serviceAccount;
    const ecKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const cases: Array<[string, string, RegExp]> = [
      ["not JSON", "{ this is not json", /not JSON/],
      ["a JSON array", "[]", /object/],
      ["another kind of credential", serviceJsonWith(base, { type: "authorized_user" }), /service_account/],
      ["no private_key", serviceJsonWith(base, { private_key: undefined }), /private_key/],
      ["a P-256 private key", serviceJsonWith(base, { private_key: ecKey }), /RSA/],
      ["a broken private key", serviceJsonWith(base, { private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }), /RSA/],
      ["no client_email", serviceJsonWith(base, { client_email: undefined }), /client_email/],
      ["a project id with a slash", serviceJsonWith(base, { project_id: "acme/../other" }), /project_id/],
      ["a token_uri over plain http", serviceJsonWith(base, { token_uri: "http://oauth2.googleapis.com/token" }), /https/],
      ["a token_uri on loopback", serviceJsonWith(base, { token_uri: "https://127.0.0.1:8443/token" }), /private or loopback/],
      ["a token_uri on the metadata address", serviceJsonWith(base, { token_uri: "https://169.254.169.254/token" }), /private or loopback/],
      ["a token_uri that is not a URL", serviceJsonWith(base, { token_uri: "oauth2" }), /token_uri/],
    ];
    for (const [what, serviceJson, message] of cases) {
      const fields = refusedFields(await put(gw, { AndroidSettings: { ServiceJson: serviceJson } }));
      expect(Object.keys(fields), what).toEqual(["AndroidSettings.ServiceJson"]);
      expect(fields["AndroidSettings.ServiceJson"], what).toMatch(message);
      // The message names what is wrong, never the secret.
      expect(fields["AndroidSettings.ServiceJson"], what).not.toContain("BEGIN");
      expect(fields["AndroidSettings.ServiceJson"], what).not.toContain("this is not json");
    }
    expect((await stored(gw)).AndroidSettings.ServiceJson).toBe(creds.serviceJson);
  });

  it("ApnsCertificate must open as PKCS#12 with its password and hold a key and a valid certificate", async () => {
    const cert = (p12: Buffer, password = creds.password) => ({ IOSsettings: { ApnsCertificate: p12.toString("base64"), ApnsCertificatePassword: password } });
    const cases: Array<[string, unknown, RegExp]> = [
      ["the wrong password", cert(creds.p12.modern, "not-the-password"), /password/],
      ["no password for a file that has one", cert(creds.p12.modern, ""), /password/],
      ["a legacy (RC2/3DES) file", cert(creds.p12.legacy), /legacy.*re-export it without -legacy/],
      ["a certificate without its key", cert(creds.p12.withoutKey), /no private key/],
      ["an expired certificate", cert(creds.p12.expired), /expired on 2020-01-02/],
      ["a PEM certificate instead of a .p12", cert(Buffer.from(creds.serviceAccount.private_key!)), /not a PKCS#12/],
      ["base64url text", { IOSsettings: { ApnsCertificate: creds.p12.modern.toString("base64url") } }, /base64/],
    ];
    for (const [what, body, message] of cases) {
      const fields = refusedFields(await put(gw, body));
      expect(Object.keys(fields), what).toEqual(["IOSsettings.ApnsCertificate"]);
      expect(fields["IOSsettings.ApnsCertificate"], what).toMatch(message);
      expect(fields["IOSsettings.ApnsCertificate"], what).not.toContain(creds.password);
    }
    // A certificate is nothing without the APNs topic.
    const noTopic = refusedFields(await put(gw, { IOSsettings: { ...cert(creds.p12.modern).IOSsettings, BundleId: "" } }));
    expect(noTopic).toEqual({ "IOSsettings.BundleId": expect.stringMatching(/required/) });
    // The modern file with its password, base64 wrapped at 76 columns as `base64` writes it, is accepted.
    const wrapped = creds.p12.modern.toString("base64").replace(/.{76}/g, "$&\n");
    const ok = await put(gw, { IOSsettings: { ApnsCertificate: wrapped, ApnsCertificatePassword: creds.password } });
    expect(ok.status, ok.text).toBe(200);
    // Stored as the file's base64 without the line breaks, the form the APNs client decodes.
    expect((await stored(gw)).IOSsettings.ApnsCertificate).toBe(creds.p12.modern.toString("base64"));
  });

  it("ApnsKey must be a P-256 .p8 key, with its Key ID and Team ID", async () => {
    const pem = (pair: { privateKey: { export(o: { format: "pem"; type: "pkcs8" }): string | Buffer } }) => pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const ids = { ApnsKeyId: "ABCDE12345", ApnsTeamId: "TEAM123456" };
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ["an RSA key", { ApnsKey: pem(generateKeyPairSync("rsa", { modulusLength: 2048 })), ...ids }, "IOSsettings.ApnsKey", /P-256/],
      ["a P-384 key", { ApnsKey: pem(generateKeyPairSync("ec", { namedCurve: "secp384r1" })), ...ids }, "IOSsettings.ApnsKey", /P-256/],
      ["the key's base64 without its PEM lines", { ApnsKey: creds.p8.split("\n")[1], ...ids }, "IOSsettings.ApnsKey", /\.p8/],
      ["no Key ID", { ApnsKey: creds.p8, ApnsKeyId: "", ApnsTeamId: ids.ApnsTeamId }, "IOSsettings.ApnsKeyId", /required/],
      ["no Team ID", { ApnsKey: creds.p8, ApnsKeyId: ids.ApnsKeyId, ApnsTeamId: "" }, "IOSsettings.ApnsTeamId", /required/],
      ["a Key ID that is not Apple's shape", { ApnsKey: creds.p8, ApnsKeyId: "key-id", ApnsTeamId: ids.ApnsTeamId }, "IOSsettings.ApnsKeyId", /10-character/],
    ];
    for (const [what, ios, field, message] of cases) {
      const fields = refusedFields(await put(gw, { IOSsettings: ios }));
      expect(Object.keys(fields), what).toEqual([field]);
      expect(fields[field], what).toMatch(message);
    }
    const ok = await put(gw, { IOSsettings: { ApnsKey: creds.p8, ...ids } });
    expect(ok.status, ok.text).toBe(200);
    expect((await stored(gw)).IOSsettings).toMatchObject({ ApnsKey: creds.p8, ...ids });
  });

  it("QRCodeWidth is 100 to 1000 pixels, and Message is required text", async () => {
    for (const QRCodeWidth of [99, 1001, 250.5, "300"]) expect(Object.keys(refusedFields(await put(gw, { QRCodeWidth }))), String(QRCodeWidth)).toEqual(["QRCodeWidth"]);
    for (const Message of ["", "   ", "x".repeat(201), 42]) expect(Object.keys(refusedFields(await put(gw, { Message }))), String(Message)).toEqual(["Message"]);
  });

  it("reads an L10 body of credential files above the 16 kB every other endpoint keeps", async () => {
    // A service account with a 12 kB field Google does not write (extra fields are ignored), and the .p12: about
    // 19 kB, which the settings take and every other endpoint refuses.
    const large = serviceJsonWith(creds.serviceAccount, { notes: "n".repeat(12_000) });
    const body = {
      AndroidSettings: { ServiceJson: large },
      IOSsettings: { ApnsCertificate: creds.p12.modern.toString("base64"), ApnsCertificatePassword: creds.password },
    };
    expect(JSON.stringify(body).length).toBeGreaterThan(17_000);
    const res = await put(gw, body);
    expect(res.status, res.text).toBe(200);
    expect((await stored(gw)).AndroidSettings.ServiceJson).toBe(large);
    const elsewhere = await call(gw.url, "POST", "/identity/v2/auth/login/2fa", { query: { apikey: gw.apiKey }, json: { email: "a@example.com", password: "x".repeat(17_000) } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toMatchObject({ ErrorCode: 965, Description: "The request body is too large." });
  });
});

describe("Native settings in use: the QR's width, the notification's text, where a push goes", () => {
  let gw: TestGateway;
  let creds: NativeCredentials;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // Nothing leaves the machine: the FCM endpoint and the service account's token URL are closed local ports.
    gw = await startTestGateway({ env: { FCM_ENDPOINT: "http://127.0.0.1:9", APNS_ENDPOINT: "https://127.0.0.1:9" } });
    creds = makeNativeCredentials({ tokenUri: "https://127.0.0.1:9/token" });
    receiver = await new WebhookReceiver("whsec-native-settings-secret-01").start();
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await receiver?.close();
    creds?.remove();
    if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
  });

  const useWebhookOnly = (extra: Record<string, unknown> = {}) =>
    put(gw, {
      IsEnabled: true,
      CustomAppName: "Acme Authenticator",
      NotificationService: "Native",
      NativeSettings: { WebhookUrl: receiver.url, SigningSecret: receiver.secret },
      ...extra,
    });

  it("QRCodeWidth is the enrollment QR's width in pixels", async () => {
    expect((await useWebhookOnly({ QRCodeWidth: 333 })).status).toBe(200);
    const email = uniqueEmail("qr");
    await createAccount(gw, email);
    const res = await login(gw, email);
    expect(res.status, res.text).toBe(200);
    const qr = res.body.SecondFactorAuthentication.PushQRCodeDetails!;
    const png = Buffer.from(qr.Image.replace(/^data:image\/png;base64,/, ""), "base64");
    // The PNG's IHDR chunk: width then height, big-endian, at bytes 16 and 20.
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([333, 333]);
  });

  it("Message is the notification body (the webhook receiver sees it under the app's name)", async () => {
    expect((await useWebhookOnly({ Message: "Acme: is this you signing in?", QRCodeWidth: 200 })).status).toBe(200);
    const user = await enrollWithoutLogin(gw);
    const before = receiver.pushes.length;
    expect((await login(gw, user.email)).status).toBe(200);
    const push = (await receiver.waitFor(before + 1)).at(-1)!;
    expect(push.notification).toEqual({ title: "Acme Authenticator", body: "Acme: is this you signing in?" });
    expect(push.device.token).toBe(user.phone.deviceToken);
  });

  it("a platform without credentials falls back to the webhook; without one it saves, and L2 and L3 answer 1298 for its users", async () => {
    // iOS has no APNs credentials: its pushes go to the webhook while there is one.
    expect((await useWebhookOnly({ AndroidSettings: { ServiceJson: creds.serviceJson }, IOSsettings: { Enabled: true } })).status).toBe(200);
    const iphone = await enrollWithoutLogin(gw, { type: "ios", phone: new TestPhone("rsa", "apns-device-token-ios-1") });
    const before = receiver.pushes.length;
    const first = await login(gw, iphone.email);
    expect(first.status, first.text).toBe(200);
    const push = await receiver.waitForPush((p) => p.device.token === "apns-device-token-ios-1");
    expect(push.device.type).toBe("ios");
    expect(receiver.pushes.length).toBeGreaterThan(before);

    // No webhook any more: the settings save (Android still has its service account), iOS has no route.
    const saved = await put(gw, { NativeSettings: { WebhookUrl: "", SigningSecret: "" } });
    expect(saved.status, saved.text).toBe(200);
    const resend = await call(gw.url, "POST", "/identity/v2/auth/login/2FA", {
      query: { apikey: gw.apiKey, secondfactorauthenticationtoken: first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken },
    });
    expect(resend.status, resend.text).toBe(403);
    expect(resend.body).toMatchObject({ ErrorCode: 1298, Description: expect.stringMatching(/iOS pushes are not configured/) });
    const again = await login(gw, iphone.email);
    expect(again.status, again.text).toBe(403);
    expect(again.body).toMatchObject({ ErrorCode: 1298 });
  });

  it("a device that enrolls on a platform without a route fails its own push only: the app is not marked broken", async () => {
    // A user with no device gets the QR; an iPhone enrolls through it while iOS has no route.
    const email = uniqueEmail("unrouted");
    const { Uid: uid } = await createAccount(gw, email);
    const first = await login(gw, email);
    expect(first.status, first.text).toBe(200);
    const qr = first.body.SecondFactorAuthentication.PushQRCodeDetails!;
    expect((await new TestPhone("rsa", "apns-device-token-ios-2").enroll(qr.Url, "iPhone", "ios")).status).toBe(200);
    const [device] = await gw.services.devices.list(gw.apiKey, uid);
    const challenge = (await gw.services.challenges.pendingOf(gw.apiKey, uid))!;
    const { state, job } = await settle(gw, `send.${challenge.id}.${device!.id}.1`);
    expect(state).toBe("failed");
    expect(job.failedReason).toMatch(/iOS pushes are not configured/);
    expect(await gw.services.redis.exists(gw.services.keys.providerBroken(gw.apiKey))).toBe(0);
    await waitUntil(async () => (await gw.services.challenges.pendingOf(gw.apiKey, uid))?.delivery === "Failed", "the page told Failed");
  });

  it("a user with one reachable device still signs in while another platform has no route", async () => {
    // Last in this file: the Android push goes to the FCM provider (no FCM service runs here) and is not awaited.
    const email = uniqueEmail("mixed");
    const { Uid: uid } = await createAccount(gw, email);
    const app = (await gw.services.apps.get(gw.apiKey))!;
    for (const type of ["ios", "android"] as const) {
      const enrollment = await gw.services.enrollment.issue({ appId: gw.apiKey, uid }, await gw.services.settings.get(app.apiKey, app.name));
      expect((await new TestPhone("rsa", `${type}-mixed-token`).enroll(enrollment.PushQRCodeDetails.Url, type, type)).status).toBe(200);
    }
    const res = await login(gw, email);
    expect(res.status, res.text).toBe(200);
    expect(res.body.SecondFactorAuthentication.IsPushDeviceRegistered).toBe(true);
  });
});
