process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectContractError } from "./support/contract.js";
import { awsSettings, challengeOfToken, deviceOf, enrollWithoutLogin, putSettings, sendId, settle, uniqueEmail, waitUntil, type Enrolled } from "./support/delivery.js";
import { FAKE_GCM_PLATFORM_ARN, startFakeSns, type FakeSns } from "./support/fake-sns.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { carriesHandleOf } from "./support/pushes.js";
import { login, secretHeaders, useWebhook } from "./support/scenario.js";
import { pull } from "./support/signed-device.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract L6: the LoginRadius Android SDK makes a new key pair on every scan but keeps its FCM token, so a phone
 * that enrolls again for the same user of the same app with the same `deviceToken` replaces its earlier device
 * instead of adding one (never for `deviceToken: "none"`); otherwise every login would push twice to one phone.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-rescan-signing-secret-01").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** The user scans a fresh QR (as L9 issues it) with `phone`. */
async function scanAgain(g: TestGateway, e: Pick<Enrolled, "uid">, phone: TestPhone) {
  const app = (await g.services.apps.get(g.apiKey))!;
  const qr = await g.services.enrollment.issue({ appId: g.apiKey, uid: e.uid }, await g.services.settings.get(app.apiKey, app.name));
  const res = await phone.enroll(qr.PushQRCodeDetails.Url);
  expect(res.status, res.text).toBe(200);
  return res;
}

/** The same phone after a re-scan: a new key, the same push token. */
const rescanned = (e: Enrolled) => new TestPhone("rsa", e.phone.deviceToken);

describe("a re-scan with the same push token (L6)", () => {
  it("replaces the earlier device: one device, one push per login; the old key can no longer answer or pull", async () => {
    const e = await enrollWithoutLogin(gw);
    const again = rescanned(e);
    await scanAgain(gw, e, again);

    const devices = await gw.services.devices.list(gw.apiKey, e.uid);
    expect(devices.map((d) => d.publicKey)).toEqual([again.publicKeyHex]);

    const res = await login(gw, e.email);
    const c = await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect(c.deviceCount).toBe(1);
    expect((await settle(gw, sendId(c, devices[0]!.id))).state).toBe("completed");
    const push = await receiver.waitForPush(carriesHandleOf(c));
    expect(receiver.pushes.filter(carriesHandleOf(c))).toEqual([push]);

    const handle = push.data.secondfactorauthenticationtoken!;
    expectContractError(await e.phone.answer(gw.url, gw.apiKey, handle, "Yes"), "the replaced key answering", 1297);
    expectContractError(await pull(gw, e.phone), "the replaced key pulling", 1313);
    expect((await again.answer(gw.url, gw.apiKey, handle, "Yes")).body).toEqual({ IsPosted: true });

    const audit = await call<{ Data: Array<{ type: string; device?: string; detail?: string }> }>(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw) });
    expect(audit.body.Data).toContainEqual(expect.objectContaining({ type: "device.removed", device: e.device.id, detail: expect.stringMatching(/replaced/) }));
  });

  it("while a login waits, the new device gets its push and the page still counts one device", async () => {
    const e = await enrollWithoutLogin(gw);
    const res = await login(gw, e.email);
    const c = await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect(c.deviceCount).toBe(1);
    const again = rescanned(e);
    await scanAgain(gw, e, again);
    const [device] = await gw.services.devices.list(gw.apiKey, e.uid);
    expect((await settle(gw, sendId(c, device!.id))).state).toBe("completed");
    expect((await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).deviceCount).toBe(1);
    const push = await receiver.waitForPush((p) => carriesHandleOf(c)(p) && p.idempotencyKey === sendId(c, device!.id));
    expect((await again.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).body).toEqual({ IsPosted: true });
  });

  it("another token, another account, or the token none never replaces a device", async () => {
    const e = await enrollWithoutLogin(gw);
    await scanAgain(gw, e, new TestPhone("rsa", "fcm-a-second-phone"));
    expect(await gw.services.devices.list(gw.apiKey, e.uid)).toHaveLength(2);

    // The same phone (same token) for another account of the app: each account keeps its own device.
    const other = await enrollWithoutLogin(gw, { email: uniqueEmail("other"), phone: rescanned(e) });
    expect(await gw.services.devices.list(gw.apiKey, other.uid)).toHaveLength(1);
    expect(await gw.services.devices.list(gw.apiKey, e.uid)).toHaveLength(2);

    const pullOnly = await enrollWithoutLogin(gw, { phone: new TestPhone("p256", "none") });
    await scanAgain(gw, pullOnly, new TestPhone("p256", "none"));
    expect(await gw.services.devices.list(gw.apiKey, pullOnly.uid)).toHaveLength(2);
  });

  it("compares tokens by a keyed hash: Redis holds neither the token nor its plain SHA-256", async () => {
    const e = await enrollWithoutLogin(gw);
    await scanAgain(gw, e, rescanned(e));
    const dump = await dumpPrefix(gw.config.REDIS_PREFIX);
    const token = e.phone.deviceToken;
    for (const form of [token, createHash("sha256").update(token).digest("hex"), createHash("sha256").update(token).digest("base64url")]) {
      expect(dump).not.toContain(form);
    }
  });
});

describe("a re-scan on AWS SNS", () => {
  let fake: FakeSns;
  let aws: TestGateway;
  const OTHER_GCM_PLATFORM_ARN = "arn:aws:sns:us-east-1:123456789012:app/GCM/push-mfa-next";
  beforeAll(async () => {
    fake = await startFakeSns();
    fake.platformApplications.add(OTHER_GCM_PLATFORM_ARN);
    aws = await startTestGateway({ env: { SNS_ENDPOINT: fake.url, PUSH_BACKOFF_MS: "5000" } });
    await putSettings(aws, awsSettings());
  });
  afterAll(async () => {
    await aws?.stop();
    await fake?.close();
    if (aws) await deletePrefix(aws.config.REDIS_PREFIX);
  });

  const deletionsOf = async (endpointArn: string) =>
    (await aws.services.queues.push.getJobs(["waiting", "delayed", "active", "completed", "failed"])).filter(
      (j) => j.name === "delete-endpoint" && j.data.endpointArn === endpointArn,
    );

  it("the endpoint both devices share (same token, same PlatformARN) is kept and enabled again; one made under another PlatformARN is deleted", async () => {
    fake.platformApplications.add(FAKE_GCM_PLATFORM_ARN);
    const e = await enrollWithoutLogin(aws);
    expect((await settle(aws, `endpoint.${e.device.id}`)).state).toBe("completed");
    const shared = (await deviceOf(aws, e)).endpointArn!;
    fake.disableEndpoint(shared);

    const second = rescanned(e);
    await scanAgain(aws, e, second);
    // The deletions are queued before L6 answers: none is for the endpoint the new device inherits.
    expect(await deletionsOf(shared)).toEqual([]);
    const [d2] = await aws.services.devices.list(aws.apiKey, e.uid);
    expect((await settle(aws, `endpoint.${d2!.id}`)).state).toBe("completed");
    expect((await aws.services.devices.get(aws.apiKey, e.uid, d2!.id))!.endpointArn).toBe(shared);
    expect(fake.endpoints.get(shared)).toMatchObject({ token: e.phone.deviceToken, enabled: true });

    // The app moves to another platform application: the next re-scan's endpoint is a new one, the old is stale.
    await putSettings(aws, awsSettings({ AndroidSettings: { Enabled: true, PlatformARN: OTHER_GCM_PLATFORM_ARN } }));
    await scanAgain(aws, e, rescanned(e));
    const [d3] = await aws.services.devices.list(aws.apiKey, e.uid);
    expect((await settle(aws, `endpoint.${d3!.id}`)).state).toBe("completed");
    const moved = (await aws.services.devices.get(aws.apiKey, e.uid, d3!.id))!.endpointArn!;
    expect(moved).not.toBe(shared);
    expect(fake.endpoints.get(moved)).toMatchObject({ token: e.phone.deviceToken, platformArn: OTHER_GCM_PLATFORM_ARN, enabled: true });
    expect(await deletionsOf(shared)).toHaveLength(1);
    await waitUntil(() => !fake.endpoints.has(shared), "the stale endpoint deleted");

    const res = await login(aws, e.email);
    const c = await challengeOfToken(aws, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect((await settle(aws, sendId(c, d3!.id))).state).toBe("completed");
  });
});
