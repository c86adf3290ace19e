import type { Job } from "bullmq";
import type { Challenge } from "../../src/challenge/challenge.js";
import { hashToken, newToken } from "../../src/crypto/tokens.js";
import { serverSignatureOf } from "../../src/delivery/push-content.js";
import type { PushMessage } from "../../src/delivery/push-provider.js";
import type { Device, DeviceType } from "../../src/devices/device-store.js";
import type { Services } from "../../src/services.js";
import { FAKE_GCM_PLATFORM_ARN, type FakeSns } from "./fake-sns.js";
import type { TestGateway } from "./gateway.js";
import { call } from "./http.js";
import { TestPhone } from "./phone.js";
import { createAccount, secretHeaders } from "./scenario.js";

/** Helpers of the delivery tests: AWS settings, enrollment without a login, jobs driven to their end. */

export const awsSettings = (extra: Record<string, unknown> = {}) => ({
  IsEnabled: true,
  CustomAppName: "Acme Authenticator",
  NotificationService: "AWS",
  AWSsettings: { AccessKeyId: "AKIATEST", SecretAccessKey: "secret", Region: "us-east-1" },
  AndroidSettings: { Enabled: true, PlatformARN: FAKE_GCM_PLATFORM_ARN },
  IOSsettings: { Enabled: false, PlatformARN: "" },
  ...extra,
});

/** L10 PUT; throws unless 200. Saving the settings also clears a "provider broken" mark (1298). */
export async function putSettings(gw: TestGateway, body: Record<string, unknown>) {
  const res = await call(gw.url, "PUT", "/v2/manage/2fa/push-notification-settings", { headers: secretHeaders(gw), json: body });
  if (res.status !== 200) throw new Error(`settings refused: ${res.text}`);
  return res.body;
}

/** Poll `check` until it returns a value other than undefined/false (bounded). */
export async function waitUntil<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let counter = 0;
export const uniqueEmail = (tag: string) => `${tag}-${++counter}-${Date.now()}@example.com`;

export interface Enrolled {
  email: string;
  uid: string;
  phone: TestPhone;
  device: Device;
}

/**
 * An account with one enrolled device and no login waiting: the enrollment URL is issued as L9 would issue it,
 * so nothing is pushed at enrollment and a test's first login makes exactly one send per device.
 */
export async function enrollWithoutLogin(gw: TestGateway, o: { type?: DeviceType; phone?: TestPhone; email?: string } = {}): Promise<Enrolled> {
  const email = o.email ?? uniqueEmail("dlv");
  const { Uid: uid } = await createAccount(gw, email);
  const app = (await gw.services.apps.get(gw.apiKey))!;
  const settings = await gw.services.settings.get(app.apiKey, app.name);
  const qr = await gw.services.enrollment.issue({ appId: gw.apiKey, uid }, settings);
  const phone = o.phone ?? new TestPhone();
  const res = await phone.enroll(qr.PushQRCodeDetails.Url, "Test phone", o.type ?? "android");
  if (res.status !== 200) throw new Error(`enrollment refused: ${res.text}`);
  const [device] = await gw.services.devices.list(gw.apiKey, uid);
  return { email, uid, phone, device: device! };
}

export const deviceOf = async (gw: TestGateway, e: Enrolled) => (await gw.services.devices.get(gw.apiKey, e.uid, e.device.id))!;

export const challengeOfToken = async (gw: TestGateway, token: string) => (await gw.services.challenges.findByToken(hashToken(token)))!;

export const sendId = (c: Challenge, deviceId: string, sendNo = 1) => `send.${c.id}.${deviceId}.${sendNo}`;

export type FinalState = "completed" | "failed";

/**
 * Wait until the job has ended, promoting it whenever it waits in backoff (so tests never sleep through a
 * backoff, whatever PUSH_BACKOFF_MS is). `onDelayed` runs once, the first time the job is seen waiting.
 */
export async function settle(gw: TestGateway, jobId: string, o: { promote?: boolean; onDelayed?: (job: Job) => Promise<void> } = {}): Promise<{ state: FinalState; job: Job }> {
  let sawDelayed = false;
  return waitUntil(async () => {
    const job = await gw.services.queues.push.getJob(jobId);
    if (!job) return undefined;
    const state = await job.getState();
    // Read the job again: the copy fetched before it ended lacks its return value or failure reason.
    if (state === "completed" || state === "failed") return { state, job: (await gw.services.queues.push.getJob(jobId))! } as const;
    if (state === "delayed") {
      if (!sawDelayed) {
        sawDelayed = true;
        await o.onDelayed?.(job);
      }
      if (o.promote !== false) await job.promote().catch(() => undefined);
    }
    return undefined;
  }, `job ${jobId} to end`);
}

/** Publish requests the fake SNS received for one endpoint (faulted ones included). */
export const publishRequests = (fake: FakeSns, endpointArn: string) =>
  fake.requests.filter((r) => r.action === "Publish" && r.params.TargetArn === endpointArn);

export const publishedTo = (fake: FakeSns, endpointArn: string) => fake.published.filter((p) => p.targetArn === endpointArn);

/** The data keys of contract 1.4 inside a published SNS message (its GCM payload). */
export function gcmData(message: unknown): Record<string, string> {
  const gcm = JSON.parse((message as { GCM: string }).GCM) as { fcmV1Message: { message: { data: Record<string, string> } } };
  return gcm.fcmV1Message.message.data;
}

/**
 * A pending challenge written straight to the store (no scrypt login), for tests that need many sends.
 * Returns the challenge; its handle is sealed and its push data signed as a login would.
 */
export async function seedChallenge(s: Services, appId: string, uid: string, ttlMs = 120_000): Promise<Challenge> {
  const now = s.now();
  const c: Challenge = {
    id: newToken(),
    appId,
    uid,
    kind: "login",
    message: "",
    context: "",
    status: "Pending",
    createdAt: now,
    expiresAt: now + ttlMs,
    tokenHash: hashToken(newToken()),
    handleHash: hashToken(newToken()),
    handleSealed: "",
    identifier: `${uid}@example.com`,
    browser: "Firefox on Linux",
    location: "127.0.0.1",
    number: "",
    numberOptions: "",
    numberMode: "Off",
    sends: 1,
    lastSendAt: now,
    delivery: "Queued",
    deviceCount: 0,
    loginSealed: "",
    finalizeUntil: 0,
    endedAt: 0,
    reason: "",
    serverSignature: "",
  };
  c.handleSealed = s.sealer.seal(newToken(), `handle:${c.id}`);
  c.serverSignature = await serverSignatureOf(s, c);
  await s.challenges.create(c, ttlMs + 60_000);
  return c;
}

/** A push as a provider receives it, for tests that call a provider directly (the values mean nothing). */
export const samplePushMessage: PushMessage = {
  deliveryId: "send.c1.d1.1",
  device: { token: "fcm-token", type: "android" },
  data: {
    secondfactorauthenticationtoken: "handle",
    identifier: "ada@example.com",
    browser: "Firefox on Linux",
    location: "Paris",
    timestamp: "1700000000",
    apikey: "k",
    expiresAt: "2026-01-01T00:00:00.000Z",
  },
  notification: { title: "Acme", body: "Approve?" },
  ttlSeconds: 60,
};

/** What `p` rejects with; an Error saying so when it resolves instead. */
export const rejectionOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(() => new Error("expected a rejection"), (err: unknown) => err);
