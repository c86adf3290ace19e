import { UnrecoverableError, type Job } from "bullmq";
import { refOf } from "../src/challenge/challenge-store.js";
import type { Challenge } from "../src/challenge/challenge.js";
import { pushChallengeValue } from "../src/challenge/number-matching.js";
import type { Device } from "../src/devices/device-store.js";
import { sendJobId, type SendJob } from "../src/push/queues.js";
import type { PushSettings } from "../src/settings/push-settings.js";
import type { Services } from "../src/services.js";
import {
  ConfigDeliveryError,
  PermanentDeliveryError,
  type PushMessage,
  type PushProvider,
} from "./providers/provider.js";
import type { ProviderSelector } from "./providers/select-provider.js";

export interface SendPushDeps {
  services: Services;
  providers: ProviderSelector;
  /** Providers tried before the app's own, e.g. the device's open socket. Null when it cannot take this device. */
  preferred?: (device: Device) => PushProvider | null;
}

export type SendOutcome = "sent" | "skipped: challenge ended" | "skipped: device gone" | "skipped: push disabled";

/**
 * Send one push of one challenge to one device. Nothing is sent, or retried, once the challenge ended or its
 * deadline passed; transient failures throw (BullMQ retries with backoff); permanent ones mark the device
 * inactive; a broken provider configuration is flagged so L2 and L3 answer 1298 until the settings change.
 */
export async function sendPush(d: SendPushDeps, job: Job<SendJob>, signal: AbortSignal): Promise<SendOutcome> {
  const s = d.services;
  const j = job.data;
  const c = await s.challenges.load({ appId: j.appId, uid: j.uid, challengeId: j.challengeId });
  if (!c || c.status !== "Pending" || s.now() >= c.expiresAt) return "skipped: challenge ended";
  const device = await s.devices.get(j.appId, j.uid, j.deviceId);
  if (!device?.active) return "skipped: device gone";
  const app = await s.apps.get(j.appId);
  const settings = app ? await s.settings.get(app.apiKey, app.name) : null;
  if (!settings?.IsEnabled) return "skipped: push disabled";

  const provider = d.preferred?.(device) ?? d.providers.forSettings(j.appId, settings);
  const remainingMs = c.expiresAt - s.now();
  // The deadline cancels a send still in flight when the challenge expires.
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(remainingMs)]);
  try {
    const target = provider.name === "sns" ? await withEndpoint(d, c, device, settings) : device;
    await provider.send(buildMessage(s, c, target, settings, job), deadline);
  } catch (err) {
    await onFailure(d, c, device, job, err);
    throw err instanceof PermanentDeliveryError || err instanceof ConfigDeliveryError ? new UnrecoverableError(err.message) : err;
  }
  await setDelivery(s, c, "Sent");
  s.logger.info({ challenge: c.id, device: device.id, provider: provider.name, sendNo: j.sendNo, attempt: job.attemptsMade + 1 }, "push sent");
  return "sent";
}

function buildMessage(s: Services, c: Challenge, device: Device, settings: PushSettings, job: Job<SendJob>): PushMessage {
  const challenge = pushChallengeValue(c.numberMode, c.numberOptions);
  return {
    deliveryId: sendJobId(job.data),
    device: {
      token: s.devices.openToken(c.appId, c.uid, device),
      type: device.type,
      ...(device.endpointArn && { endpointArn: device.endpointArn }),
    },
    data: {
      secondfactorauthenticationtoken: s.sealer.open(c.handleSealed, `handle:${c.id}`),
      identifier: c.identifier,
      browser: c.browser,
      location: c.location,
      timestamp: String(Math.floor(c.createdAt / 1000)),
      apikey: c.appId,
      expiresAt: new Date(c.expiresAt).toISOString(),
      ...(challenge !== undefined && { challenge }),
    },
    notification: { title: settings.CustomAppName, body: `Approve the sign-in from ${c.browser}?` },
    ttlSeconds: Math.max(1, Math.ceil((c.expiresAt - s.now()) / 1000)),
  };
}

/**
 * SNS needs a platform endpoint per device: made once, with the PlatformARN of the device's platform, and kept
 * with the device. Returns the device with its endpoint.
 */
async function withEndpoint(d: SendPushDeps, c: Challenge, device: Device, settings: PushSettings): Promise<Device> {
  if (device.endpointArn) return device;
  const platform = device.type === "ios" ? settings.IOSsettings : settings.AndroidSettings;
  if (!platform.Enabled) throw new PermanentDeliveryError(`${device.type} is not enabled in the app's settings`);
  if (!platform.PlatformARN) throw new ConfigDeliveryError(`no PlatformARN for ${device.type}`);
  const s = d.services;
  const endpointArn = await d.providers.sns(c.appId, settings).createEndpoint(platform.PlatformARN, s.devices.openToken(c.appId, c.uid, device));
  const updated = { ...device, endpointArn };
  await s.devices.update(c.appId, c.uid, updated);
  return updated;
}

async function onFailure(d: SendPushDeps, c: Challenge, device: Device, job: Job<SendJob>, err: unknown): Promise<void> {
  const s = d.services;
  const reason = err instanceof Error ? err.message : String(err);
  if (err instanceof PermanentDeliveryError) {
    await s.devices.update(c.appId, c.uid, { ...device, active: false });
  } else if (err instanceof ConfigDeliveryError) {
    await s.redis.set(s.keys.providerBroken(c.appId), reason.slice(0, 200), "EX", 24 * 3600);
  }
  const attemptsLeft = (job.opts.attempts ?? 1) - (job.attemptsMade + 1);
  const final = err instanceof PermanentDeliveryError || err instanceof ConfigDeliveryError || attemptsLeft <= 0;
  s.logger.warn({ challenge: c.id, device: device.id, attempt: job.attemptsMade + 1, final, reason }, "push failed");
  await setDelivery(s, c, final ? "Failed" : "Retrying");
}

/** Tell the page how delivery goes. A device that got the push keeps the state "Sent" whatever another one does. */
async function setDelivery(s: Services, c: Challenge, state: "Sent" | "Retrying" | "Failed"): Promise<void> {
  const current = await s.challenges.load(refOf(c));
  if (!current || current.status !== "Pending") return;
  if (state !== "Sent" && current.delivery === "Sent") return;
  if (current.delivery === state) return;
  if (await s.challenges.update(refOf(c), { delivery: state })) s.notifier.notify({ ...current, delivery: state });
}
