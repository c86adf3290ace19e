import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { secretHeaders } from "./support/scenario.js";

let gw: TestGateway;
const path = "/v2/manage/2fa/push-notification-settings";
const put = (json: unknown) => call(gw.url, "PUT", path, { headers: secretHeaders(gw), json });
const get = () => call(gw.url, "GET", path, { headers: secretHeaders(gw) });

beforeAll(async () => {
  gw = await startTestGateway({ env: { ALLOW_PRIVATE_WEBHOOKS: "false" } });
});
afterAll(async () => {
  await gw.stop();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

describe("L10 push settings", () => {
  it("starts switched off with the contract's fields", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ IsEnabled: false, NotificationService: "Native", ChallengeTtlSeconds: 120, NumberMatching: "Off", QRCodeWidth: 200 });
    expect(Object.keys(res.body).sort()).toEqual(
      ["AWSsettings", "AndroidSettings", "ChallengeTtlSeconds", "CustomAppName", "IOSsettings", "IsEnabled", "Message", "NativeSettings", "NotificationService", "NumberMatching", "QRCodeWidth"],
    );
  });

  it("stores AWS settings, reads the secret back masked, and keeps it when the mask is sent back", async () => {
    const aws = { AccessKeyId: "AKIAEXAMPLE123", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Region: "eu-west-1" };
    const res = await put({
      IsEnabled: true,
      CustomAppName: "Acme Authenticator",
      NotificationService: "AWS",
      AWSsettings: aws,
      AndroidSettings: { Enabled: true, PlatformARN: "arn:aws:sns:eu-west-1:123456789012:app/GCM/acme", PlaystoreUrl: "https://play.google.com/store/apps/details?id=acme" },
      IOSsettings: { Enabled: false },
      NumberMatching: "PickOne",
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ AWSsettings: { AccessKeyId: aws.AccessKeyId, SecretAccessKey: "****", Region: "eu-west-1" } });
    expect((await get()).body).toMatchObject({ AWSsettings: { SecretAccessKey: "****" }, NumberMatching: "PickOne" });
    expect(await dumpPrefix(gw.config.REDIS_PREFIX)).not.toContain(aws.SecretAccessKey);

    expect((await put({ AWSsettings: { ...aws, SecretAccessKey: "****" }, CustomAppName: "Renamed" })).status).toBe(200);
    const stored = await gw.services.settings.get(gw.apiKey, "x");
    expect(stored.AWSsettings.SecretAccessKey).toBe(aws.SecretAccessKey);
    expect(stored.CustomAppName).toBe("Renamed");
  });

  it("names every invalid field, and changes nothing", async () => {
    const before = (await get()).body;
    const res = await put({ IsEnabled: "yes", ChallengeTtlSeconds: 5, NumberMatching: "Sometimes", AWSsettings: { Region: "mars" }, Extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ErrorCode: 965 });
    const fields = (res.body as { Errors: Array<{ FieldName: string }> }).Errors.map((e) => e.FieldName);
    expect(fields).toEqual(expect.arrayContaining(["IsEnabled", "ChallengeTtlSeconds", "NumberMatching", "AWSsettings.Region"]));
    expect((await get()).body).toEqual(before);
  });

  it("requires the chosen service's settings once push is on", async () => {
    const aws = await put({ NotificationService: "AWS", AWSsettings: { AccessKeyId: "", SecretAccessKey: "", Region: "" } });
    expect(aws.status).toBe(400);
    const awsFields = (aws.body as { Errors: Array<{ FieldName: string }> }).Errors.map((e) => e.FieldName);
    expect(awsFields).toEqual(expect.arrayContaining(["AWSsettings.AccessKeyId", "AWSsettings.SecretAccessKey", "AWSsettings.Region"]));
    // Native's webhook is optional (FCM and APNs may carry every push), but a webhook needs its signing secret.
    const res = await put({ NotificationService: "Native", NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "" } });
    expect(res.status).toBe(400);
    const fields = (res.body as { Errors: Array<{ FieldName: string }> }).Errors.map((e) => e.FieldName);
    expect(fields).toEqual(["NativeSettings.SigningSecret"]);
  });

  it("refuses webhook URLs on loopback or private addresses unless ALLOW_PRIVATE_WEBHOOKS (SSRF guard)", async () => {
    for (const url of ["http://127.0.0.1:8080/push", "http://localhost/push", "http://10.1.2.3/push", "http://[::1]/push", "http://169.254.169.254/latest"]) {
      const res = await put({ NotificationService: "Native", NativeSettings: { WebhookUrl: url, SigningSecret: "a-long-enough-signing-secret" } });
      expect(res.status, url).toBe(400);
      expect((res.body as { Errors: Array<{ FieldName: string }> }).Errors[0]!.FieldName).toBe("NativeSettings.WebhookUrl");
    }
    const ok = await put({ NotificationService: "Native", NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "a-long-enough-signing-secret" } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "****" } });
  });
});
