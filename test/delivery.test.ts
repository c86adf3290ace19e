process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  awsSettings,
  challengeOfToken,
  deviceOf,
  enrollWithoutLogin,
  gcmData,
  publishedTo,
  publishRequests,
  putSettings,
  sendId,
  settle,
  waitUntil,
  type Enrolled,
} from "./support/delivery.js";
import { FAKE_APNS_PLATFORM_ARN, FAKE_GCM_PLATFORM_ARN, startFakeSns, type FakeSns } from "./support/fake-sns.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { createAccount, login, ping, secretHeaders } from "./support/scenario.js";

let fake: FakeSns;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeSns();
  // A long backoff: the tests promote jobs waiting in backoff, so none depends on how long a wait is.
  gw = await startTestGateway({ env: { SNS_ENDPOINT: fake.url, PUSH_BACKOFF_MS: "5000" } });
  await putSettings(gw, awsSettings());
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

/** Enrolled on AWS, with the endpoint that the enrollment's job made. */
async function enrolledOnAws(g = gw, type: "android" | "ios" = "android"): Promise<Enrolled & { endpointArn: string }> {
  const e = await enrollWithoutLogin(g, { type });
  const { state } = await settle(g, `endpoint.${e.device.id}`);
  expect(state).toBe("completed");
  return { ...e, endpointArn: (await deviceOf(g, e)).endpointArn! };
}

async function loginOf(e: Enrolled, g = gw) {
  const res = await login(g, e.email);
  expect(res.status).toBe(200);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const c = await challengeOfToken(g, token);
  return { token, c, ref: { appId: c.appId, uid: c.uid, challengeId: c.id }, id: sendId(c, e.device.id) };
}

describe("AWS SNS delivery", () => {
  it("enrollment creates the device's platform endpoint, and its ARN is kept with the device", async () => {
    const e = await enrollWithoutLogin(gw);
    const { state, job } = await settle(gw, `endpoint.${e.device.id}`);
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("endpoint ready");
    const device = await deviceOf(gw, e);
    expect(device.endpointArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:endpoint\/GCM\/push-mfa\//);
    expect(device.endpointPlatformArn).toBe(FAKE_GCM_PLATFORM_ARN);
    expect(fake.endpoints.get(device.endpointArn!)).toMatchObject({ token: e.phone.deviceToken, enabled: true, platformArn: FAKE_GCM_PLATFORM_ARN });
    expect(publishedTo(fake, device.endpointArn!)).toHaveLength(0);
  });

  it("a login publishes once to that endpoint, with the device handle and a TTL of the challenge's remaining life", async () => {
    const e = await enrolledOnAws();
    const { token, ref, id } = await loginOf(e);
    const { state, job } = await settle(gw, id);
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("sent");

    const [published, ...more] = publishedTo(fake, e.endpointArn);
    expect(more).toHaveLength(0);
    const data = gcmData(published!.message);
    expect(data.identifier).toBe(e.email);
    expect(data.apikey).toBe(gw.apiKey);
    expect(data.secondfactorauthenticationtoken).not.toBe(token);
    const ttl = Number(published!.attributes["AWS.SNS.MOBILE.GCM.TTL"]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120);
    expect(published!.attributes["AWS.SNS.MOBILE.APNS.TTL"]).toBe(String(ttl));
    // Made once, at enrollment: the send used the stored ARN.
    expect(fake.requests.filter((r) => r.action === "CreatePlatformEndpoint" && r.params.Token === e.phone.deviceToken)).toHaveLength(1);
    expect((await gw.services.challenges.load(ref))!.delivery).toBe("Sent");

    expect((await e.phone.answer(gw.url, gw.apiKey, data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
    expect((await ping(gw, token)).status).toBe(200);
  });

  it("enrolling from a login's QR code pushes that login, and the token gets one endpoint", async () => {
    const email = `qr-${Date.now()}@example.com`;
    await createAccount(gw, email);
    const first = await login(gw, email);
    const phone = new TestPhone();
    expect((await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url)).status).toBe(200);
    const c = await challengeOfToken(gw, first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const [device] = await gw.services.devices.list(gw.apiKey, c.uid);
    // The enrollment's endpoint job and the login's send run side by side; CreatePlatformEndpoint is idempotent.
    const [created, sent] = await Promise.all([settle(gw, `endpoint.${device!.id}`), settle(gw, sendId(c, device!.id))]);
    expect(created.state).toBe("completed");
    expect(sent.job.returnvalue).toBe("sent");
    const arns = [...fake.endpoints].filter(([, ep]) => ep.token === phone.deviceToken).map(([arn]) => arn);
    expect(arns).toHaveLength(1);
    expect((await gw.services.devices.get(gw.apiKey, c.uid, device!.id))!.endpointArn).toBe(arns[0]);
    expect(publishedTo(fake, arns[0]!)).toHaveLength(1);
  });

  it("throttling (SNS's 429 Throttled) and an HTTP 500 are retried with backoff, and the push is published exactly once", async () => {
    const e = await enrolledOnAws();
    fake.fail("Publish", "Throttled", 1);
    fake.fail("Publish", "InternalError", 1);
    const { id } = await loginOf(e);
    const { state, job } = await settle(gw, id);
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("sent");
    expect(publishRequests(fake, e.endpointArn)).toHaveLength(3);
    expect(publishedTo(fake, e.endpointArn)).toHaveLength(1);
  });

  it("a disabled endpoint fails at once: no retry, the device is marked inactive, the page is told Failed", async () => {
    const e = await enrolledOnAws();
    fake.disableEndpoint(e.endpointArn);
    const { ref, id } = await loginOf(e);
    const { state, job } = await settle(gw, id);
    expect(state).toBe("failed");
    expect(job.failedReason).toContain("EndpointDisabled");
    expect(job.attemptsMade).toBe(1);
    expect(publishRequests(fake, e.endpointArn)).toHaveLength(1);
    expect((await deviceOf(gw, e)).active).toBe(false);
    expect((await gw.services.challenges.load(ref))!.delivery).toBe("Failed");
    // No active device left: 1313, never an enrollment QR (contract 1.1).
    expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1313 });
  });

  it("bad credentials fail fast, and L2 and L3 answer 1298 until the settings are saved again", async () => {
    const e = await enrolledOnAws();
    // A secret SNS's signature check refuses (a rotated key the admin has not pasted yet).
    await putSettings(gw, awsSettings({ AWSsettings: { AccessKeyId: "AKIATEST", SecretAccessKey: "rotated-away", Region: "us-east-1" } }));
    const { token, id } = await loginOf(e);
    const { state, job } = await settle(gw, id);
    expect(state).toBe("failed");
    expect(job.failedReason).toContain("SignatureDoesNotMatch");
    expect(job.attemptsMade).toBe(1);
    expect((await deviceOf(gw, e)).active).toBe(true);

    const l2 = await login(gw, e.email);
    expect(l2.status).toBe(403);
    expect(l2.body).toMatchObject({ ErrorCode: 1298, Message: "Push Notification configuration error" });
    const l3 = await call(gw.url, "POST", "/identity/v2/auth/login/2FA", { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: token } });
    expect(l3.body).toMatchObject({ ErrorCode: 1298 });

    // The admin fixes (here: saves again) the settings; the same user can log in and gets the push.
    await putSettings(gw, awsSettings());
    const { id: next } = await loginOf(e);
    expect((await settle(gw, next)).state).toBe("completed");
    expect(publishedTo(fake, e.endpointArn)).toHaveLength(1);
  });

  it("a disabled platform application (expired APNs certificate, revoked FCM key) fails fast as 1298, and the device stays enrolled", async () => {
    const e = await enrolledOnAws();
    fake.disablePlatformApplication(FAKE_GCM_PLATFORM_ARN);
    try {
      const { id } = await loginOf(e);
      const { state, job } = await settle(gw, id);
      expect(state).toBe("failed");
      expect(job.failedReason).toContain("PlatformApplicationDisabled");
      expect(job.attemptsMade).toBe(1);
      expect((await deviceOf(gw, e)).active).toBe(true);
      expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1298 });
    } finally {
      fake.disabledPlatformApplications.clear();
      await putSettings(gw, awsSettings());
    }
  });

  it("a device enrolled again after SNS disabled its endpoint gets the push: the endpoint SNS hands back is turned on again", async () => {
    const e = await enrolledOnAws();
    fake.disableEndpoint(e.endpointArn);
    const first = await loginOf(e);
    expect((await settle(gw, first.id)).state).toBe("failed");
    expect((await deviceOf(gw, e)).active).toBe(false);

    // Every device is dead, so the next login is refused (1313, never a QR); the user, signed in elsewhere,
    // re-enrolls the same phone (same push token) through L9, and the login still waiting is pushed to it.
    expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1313 });
    const { access_token } = await gw.services.sessions.mint({ appId: gw.apiKey, uid: e.uid });
    const mfa = await call<{ PushQRCodeDetails: { Url: string } }>(gw.url, "GET", "/identity/v2/auth/account/2fa", {
      query: { apikey: gw.apiKey }, headers: { authorization: `Bearer ${access_token}` },
    });
    expect((await e.phone.enroll(mfa.body.PushQRCodeDetails.Url)).status).toBe(200);
    const fresh = (await gw.services.devices.list(gw.apiKey, e.uid)).find((d) => d.id !== e.device.id)!;
    expect((await settle(gw, `endpoint.${fresh.id}`)).state).toBe("completed");
    expect((await settle(gw, sendId(first.c, fresh.id))).job.returnvalue).toBe("sent");

    // SNS answered the same endpoint for the token, still disabled; the gateway enabled it before publishing.
    expect((await gw.services.devices.get(gw.apiKey, e.uid, fresh.id))!.endpointArn).toBe(e.endpointArn);
    expect(fake.endpoints.get(e.endpointArn)).toMatchObject({ enabled: true, token: e.phone.deviceToken });
    expect(fake.requests.some((r) => r.action === "SetEndpointAttributes" && r.params.EndpointArn === e.endpointArn)).toBe(true);
    expect(publishedTo(fake, e.endpointArn)).toHaveLength(1);
  });

  it("a PlatformARN that SNS does not know fails at enrollment, L2 answers 1298, and the corrected settings work", async () => {
    await putSettings(gw, awsSettings({ AndroidSettings: { Enabled: true, PlatformARN: "arn:aws:sns:us-east-1:123456789012:app/GCM/no-such-app" } }));
    try {
      const e = await enrollWithoutLogin(gw);
      const { state, job } = await settle(gw, `endpoint.${e.device.id}`);
      expect(state).toBe("failed");
      expect(job.failedReason).toContain("NotFound");
      expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1298 });

      await putSettings(gw, awsSettings());
      const { id } = await loginOf(e);
      // The enrollment's endpoint job failed: the send makes the endpoint itself, under the corrected ARN.
      expect((await settle(gw, id)).state).toBe("completed");
      const device = await deviceOf(gw, e);
      expect(device.endpointPlatformArn).toBe(FAKE_GCM_PLATFORM_ARN);
      expect(publishedTo(fake, device.endpointArn!)).toHaveLength(1);
    } finally {
      await putSettings(gw, awsSettings());
    }
  });

  it("a device token SNS refuses at enrollment disables that device only: the app keeps working (no 1298)", async () => {
    fake.fail("CreatePlatformEndpoint", "InvalidParameter", 1, "Invalid parameter: Token Reason: malformed");
    const e = await enrollWithoutLogin(gw);
    const { state, job } = await settle(gw, `endpoint.${e.device.id}`);
    expect(state).toBe("failed");
    expect(job.failedReason).toContain("InvalidParameter");
    expect((await deviceOf(gw, e)).active).toBe(false);
    // This user's only device is inactive: 1313 (contract 1.1), not the app-wide 1298; other users still log in.
    expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1313 });
    const other = await enrollWithoutLogin(gw);
    expect((await login(gw, other.email)).status).toBe(200);
  });

  it("a challenge that expires while its send waits in backoff is never sent", async () => {
    const e = await enrolledOnAws();
    fake.fail("Publish", "Throttled", 1);
    const { ref, id, c } = await loginOf(e);
    const { state, job } = await settle(gw, id, {
      async onDelayed() {
        // The deadline passes during the backoff: the expiry job fires, the page hears Expired.
        await gw.services.challenges.update(ref, { expiresAt: Date.now() });
        await (await gw.services.queues.expiry.getJob(`expire.${c.id}`))!.promote();
        await waitUntil(async () => (await gw.services.challenges.load(ref))!.status === "Expired", "the challenge to expire");
      },
    });
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("skipped: challenge ended");
    expect(publishRequests(fake, e.endpointArn)).toHaveLength(1);
    expect(publishedTo(fake, e.endpointArn)).toHaveLength(0);
  });

  it("iOS switched off: an iOS device gets nothing and stays enrolled; switched on, it gets its endpoint and the push", async () => {
    const e = await enrollWithoutLogin(gw, { type: "ios" });
    const created = await settle(gw, `endpoint.${e.device.id}`);
    expect(created.job.returnvalue).toBe("skipped: platform switched off");
    const first = await loginOf(e);
    const { state, job } = await settle(gw, first.id);
    expect(state).toBe("failed");
    expect(job.failedReason).toContain("ios pushes are switched off");
    expect(await deviceOf(gw, e)).toMatchObject({ active: true });
    expect(fake.requests.filter((r) => r.params.Token === e.phone.deviceToken)).toHaveLength(0);

    await putSettings(gw, awsSettings({ IOSsettings: { Enabled: true, PlatformARN: FAKE_APNS_PLATFORM_ARN } }));
    try {
      const second = await loginOf(e);
      expect((await settle(gw, second.id)).state).toBe("completed");
      const device = await deviceOf(gw, e);
      expect(device.endpointArn).toContain(":endpoint/APNS/");
      expect(publishedTo(fake, device.endpointArn!)).toHaveLength(1);
    } finally {
      await putSettings(gw, awsSettings());
    }
  });

  it("a reset deletes the device's platform endpoint", async () => {
    const e = await enrolledOnAws();
    expect(fake.endpoints.has(e.endpointArn)).toBe(true);
    const res = await call(gw.url, "DELETE", `/identity/v2/manage/account/2FA/authenticator/push/${e.uid}`, { headers: secretHeaders(gw) });
    expect(res.body).toEqual({ IsDeleted: true });
    await waitUntil(() => !fake.endpoints.has(e.endpointArn), "the endpoint to be deleted");
    expect(fake.requests.filter((r) => r.action === "DeleteEndpoint" && r.params.EndpointArn === e.endpointArn)).toHaveLength(1);
  });
});

describe("the page hears how delivery goes (push:status Delivery.State)", () => {
  /** Log in with the queue paused, connect the page, then let the worker go: no state can be missed. */
  async function watch(e: Enrolled & { endpointArn: string }) {
    await gw.services.queues.push.pause();
    try {
      const l = await loginOf(e);
      const states: string[] = [];
      const socket: Socket = connect(gw.url, { transports: ["websocket"], auth: { apikey: gw.apiKey, secondfactorauthenticationtoken: l.token } });
      socket.on("push:status", (s: { Delivery?: { State: string } }) => {
        const state = s.Delivery?.State;
        if (state && states.at(-1) !== state) states.push(state);
      });
      await waitUntil(() => states.length > 0, "the first push:status");
      return { ...l, states, socket };
    } finally {
      await gw.services.queues.push.resume();
    }
  }

  it("Queued, Retrying, Sent", async () => {
    const e = await enrolledOnAws();
    fake.fail("Publish", "Throttled", 1);
    const { id, states, socket } = await watch(e);
    try {
      expect((await settle(gw, id)).state).toBe("completed");
      await waitUntil(() => states.at(-1) === "Sent", "Sent");
      expect(states).toEqual(["Queued", "Retrying", "Sent"]);
    } finally {
      socket.close();
    }
  });

  it("Queued, Failed", async () => {
    const e = await enrolledOnAws();
    fake.disableEndpoint(e.endpointArn);
    const { id, states, socket } = await watch(e);
    try {
      expect((await settle(gw, id)).state).toBe("failed");
      await waitUntil(() => states.at(-1) === "Failed", "Failed");
      expect(states).toEqual(["Queued", "Failed"]);
    } finally {
      socket.close();
    }
  });
});

describe("the deadline bounds the retries", () => {
  let late: TestGateway;
  beforeAll(async () => {
    // Any retry would come 5 to 10 minutes later, well after a 2-minute challenge's deadline.
    late = await startTestGateway({ env: { SNS_ENDPOINT: fake.url, PUSH_BACKOFF_MS: "600000" } });
    await putSettings(late, awsSettings());
  });
  afterAll(async () => {
    await late?.stop();
    if (late) await deletePrefix(late.config.REDIS_PREFIX);
  });

  it("a transient failure whose retry would land after the deadline fails at once instead of retrying pointlessly", async () => {
    const e = await enrolledOnAws(late);
    fake.fail("Publish", "Throttled", 1);
    const { ref, id } = await loginOf(e, late);
    const { state, job } = await settle(late, id, { promote: false });
    expect(state).toBe("failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain("after the challenge's deadline");
    expect((await late.services.challenges.load(ref))!.delivery).toBe("Failed");
    expect((await deviceOf(late, e)).active).toBe(true);
  });
});
