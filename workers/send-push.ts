import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { refOf } from "../src/challenge/challenge-store.js";
import type { Challenge } from "../src/challenge/challenge.js";
import { pushContentOf } from "../src/delivery/push-content.js";
import type { Device } from "../src/devices/device-store.js";
import { backoffDelay } from "../src/delivery/backoff.js";
import { sendJobId, type SendJob } from "../src/delivery/queues.js";
import type { PushSettings } from "../src/settings/push-settings.js";
import type { Services } from "../src/services.js";
import type { AppRateLimiter } from "./app-rate-limit.js";
import { ensureEndpoint, platformOf } from "./create-endpoint.js";
import { isFinal, markFailure } from "./mark-failure.js";
import type { PushMessage, PushProvider } from "../src/delivery/push-provider.js";
import type { ProviderSelector } from "./providers/select-provider.js";
import { backoffBase, RetryAfter } from "./retry-policy.js";
import { together } from "../src/together.js";

export interface SendPushDeps {
  services: Services;
  providers: ProviderSelector;
  /** Providers tried before the app's own, e.g. the device's open socket. Null when it cannot take this device. */
  preferred?: (appId: string, device: Device) => Promise<PushProvider | null>;
  /** The per-app budget of the app's provider (not applied to a preferred provider). None: no limit. */
  limiter?: AppRateLimiter;
}

export type SendOutcome =
  | "sent"
  | "skipped: challenge ended"
  | "skipped: already sent"
  | "skipped: device gone"
  | "skipped: push disabled";

/**
 * Send one push of one challenge to one device.
 *
 * - Nothing is sent once the challenge ended or its deadline passed, and a send in flight is aborted at the
 *   deadline. A job that runs again after its provider accepted the push (a worker died before recording it)
 *   does not send twice.
 * - A transient failure is retried after exponential backoff with jitter, unless the attempts are used up or the
 *   retry would come after the deadline: then it fails now. The page hears Retrying or Failed accordingly.
 * - A permanent failure marks the device inactive; a configuration failure makes L2 and L3 answer 1298 until
 *   the settings change, and every send of that app fails fast meanwhile. Both fail at once (no retry).
 * - Over the app's rate, the job goes back to "delayed" without using up an attempt.
 */
export async function sendPush(d: SendPushDeps, job: Job<SendJob>, signal: AbortSignal, token?: string): Promise<SendOutcome> {
  const s = d.services;
  const j = job.data;
  const ref = { appId: j.appId, uid: j.uid, challengeId: j.challengeId };
  const deliveryId = sendJobId(j);
  // Everything the checks below need, read in one round trip (they do not depend on each other).
  const [c, delivered, device, settings, broken] = await together([
    s.challenges.load(ref),
    s.redis.exists(s.keys.delivered(deliveryId)),
    s.devices.get(j.appId, j.uid, j.deviceId),
    s.apps.get(j.appId).then((app) => (app ? s.settings.get(app.apiKey, app.name) : null)),
    s.redis.get(s.keys.providerBroken(j.appId)),
  ]);
  if (!c || c.status !== "Pending" || s.now() >= c.expiresAt) return counted(s, NO_PROVIDER, "skipped: challenge ended");
  if (delivered) return counted(s, NO_PROVIDER, "skipped: already sent");
  if (!device?.active) return counted(s, NO_PROVIDER, "skipped: device gone");
  if (!settings?.IsEnabled) return counted(s, NO_PROVIDER, "skipped: push disabled");

  const preferred = (await d.preferred?.(j.appId, device)) ?? null;
  const chosen = preferred ?? d.providers.forDevice(j.appId, settings, device.type);
  // A platform with no route fails its own sends only (L2 and L3 refuse its users): the app is not broken.
  if ("unroutable" in chosen) return failNow(s, NO_PROVIDER, c, chosen.unroutable);
  const provider = chosen;
  if (!preferred) {
    if (broken !== null) return failNow(s, provider.name, c, `the app's push provider is misconfigured (${broken}); fix the settings`);
    if (provider.name === "sns" && !platformOf(settings, device.type).Enabled) {
      return failNow(s, provider.name, c, `${device.type} pushes are switched off in the app's settings`);
    }
    const waitMs = token ? ((await d.limiter?.take(j.appId)) ?? 0) : 0;
    if (waitMs > 0 && token) {
      s.logger.debug({ app: j.appId, challenge: c.id, waitMs }, "push rate-limited");
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
  }

  // The deadline cancels a send still in flight when the challenge expires.
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, c.expiresAt - s.now()))]);
  try {
    const target = provider.name === "sns" ? await ensureEndpoint(s, d.providers, j.appId, j.uid, device, settings) : device;
    if (!target) return counted(s, provider.name, "skipped: device gone");
    await provider.send(buildMessage(s, c, target, settings, deliveryId), deadline);
  } catch (err) {
    return onFailure(d, provider.name, c, device, job, err);
  }
  s.logger.info({ challenge: c.id, device: device.id, provider: provider.name, sendNo: j.sendNo, attempt: job.attemptsMade + 1 }, "push sent");
  await together([
    s.redis.set(s.keys.delivered(deliveryId), "1", "PX", Math.max(1000, c.expiresAt - s.now() + 60_000)),
    setDelivery(s, c, "Sent"),
    s.audit.record(c.appId, { type: "push.sent", uid: c.uid, challenge: c.id, device: device.id, detail: provider.name }),
  ]);
  return counted(s, provider.name, "sent");
}

/** The provider label of a send skipped before a provider was chosen. */
const NO_PROVIDER = "none";

/** Count a send's outcome in `pmg_pushes_total{provider,outcome}` (sent, failed, retrying, skipped). */
function counted<T extends SendOutcome>(s: Services, provider: string, outcome: T): T {
  countPush(s, provider, outcome === "sent" ? "sent" : "skipped");
  return outcome;
}

const countPush = (s: Services, provider: string, outcome: "sent" | "failed" | "retrying" | "skipped") =>
  s.metrics.pushes.inc({ provider, outcome });

function buildMessage(s: Services, c: Challenge, device: Device, settings: PushSettings, deliveryId: string): PushMessage {
  return {
    deliveryId,
    device: {
      token: s.devices.openToken(c.appId, c.uid, device),
      type: device.type,
      ...(device.endpointArn && { endpointArn: device.endpointArn }),
    },
    ...pushContentOf(s, c, settings),
  };
}

/** Fail the job without trying (and without retries): the page hears Failed, the dead letter keeps the reason. */
const failNow = (s: Services, provider: string, c: Challenge, reason: string): Promise<never> =>
  giveUp(s, provider, c, { challenge: c.id, reason }, new UnrecoverableError(reason));

/** The end of a push that will not be tried again: counted, logged, audited, the page told Failed. */
async function giveUp(s: Services, provider: string, c: Challenge, log: Record<string, unknown>, error: Error): Promise<never> {
  countPush(s, provider, "failed");
  s.logger.warn({ ...log, final: true }, "push failed");
  await s.audit.record(c.appId, { type: "push.failed", uid: c.uid, challenge: c.id, detail: error.message.slice(0, 200) });
  await setDelivery(s, c, "Failed");
  throw error;
}

/** Classify a failed send: mark what it says about the device or the app, then retry, fail, or give up quietly. */
async function onFailure(d: SendPushDeps, provider: string, c: Challenge, device: Device, job: Job<SendJob>, err: unknown): Promise<SendOutcome> {
  const s = d.services;
  const reason = err instanceof Error ? err.message : String(err);
  const attempt = job.attemptsMade + 1;
  const log = { challenge: c.id, device: device.id, sendNo: job.data.sendNo, attempt, reason };
  await markFailure(s, { appId: c.appId, uid: c.uid, deviceId: device.id }, err);
  if (isFinal(err)) return giveUp(s, provider, c, log, new UnrecoverableError(reason));
  // Answered, cancelled or expired while we were sending: nobody waits for this push any more.
  const now = await s.challenges.load(refOf(c));
  if (!now || now.status !== "Pending" || s.now() >= now.expiresAt) return counted(s, provider, "skipped: challenge ended");
  if (attempt >= (job.opts.attempts ?? 1)) {
    return giveUp(s, provider, c, { ...log, why: "no attempts left" }, err instanceof Error ? err : new Error(reason));
  }
  const delayMs = backoffDelay(attempt, backoffBase(job.opts));
  if (s.now() + delayMs >= now.expiresAt) {
    const why = "not retried: the next attempt would come after the challenge's deadline";
    return giveUp(s, provider, c, { ...log, delayMs, why }, new UnrecoverableError(`${reason}; ${why}`));
  }
  countPush(s, provider, "retrying");
  s.logger.warn({ ...log, final: false, delayMs }, "push failed, retrying");
  await setDelivery(s, c, "Retrying");
  throw new RetryAfter(reason, delayMs);
}

/** Tell the page how delivery goes. A device that got the push keeps the state "Sent" whatever another one does. */
async function setDelivery(s: Services, c: Challenge, state: "Sent" | "Retrying" | "Failed"): Promise<void> {
  const updated = await s.challenges.setDelivery(refOf(c), state);
  if (updated) s.notifier.notify(updated);
}
