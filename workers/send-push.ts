import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { refOf } from "../src/challenge/challenge-store.js";
import type { Challenge } from "../src/challenge/challenge.js";
import { deadline } from "../src/delivery/deadline.js";
import { pushContentOf } from "../src/delivery/push-content.js";
import type { Device } from "../src/devices/device-store.js";
import { sendJobId, type SendJob } from "../src/delivery/queues.js";
import type { PushSettings } from "../src/settings/push-settings.js";
import type { Services } from "../src/services.js";
import type { AppRateLimiter } from "./app-rate-limit.js";
import { ensureEndpoint, platformOf, type EnsureEndpointDeps } from "./create-endpoint.js";
import { isFinal, markFailure, type MarkFailureDeps } from "./mark-failure.js";
import type { PushMessage, PushProvider } from "../src/delivery/push-provider.js";
import type { ProviderSelector } from "./providers/select-provider.js";
import { retryDelay, RetryAfter } from "./retry-policy.js";
import { together } from "../src/together.js";
import { countDelivery, type CounterDeps } from "../src/stats/counters.js";

/** How the pages are told about delivery: the challenge's delivery state, and the notifier. */
type SetDeliveryDeps = Pick<Services, "challenges" | "notifier">;
/** What the end of a push that will not be tried again touches. */
type GiveUpDeps = SetDeliveryDeps & CountDeps & Pick<Services, "audit">;
/** Where a send's outcome is counted: the metrics and the console's dashboard counters. */
type CountDeps = Pick<Services, "metrics"> & CounterDeps;

/**
 * What the send processor touches in the stores: the challenge, the device and its push token, the app's settings
 * and provider mark, the delivered mark, the notifier for the pages, and what ensureEndpoint and markFailure need.
 */
export type SendPushServices = GiveUpDeps &
  EnsureEndpointDeps &
  MarkFailureDeps &
  Pick<Services, "apps" | "settings" | "redis" | "keys" | "sealer" | "now">;

export interface SendPushDeps {
  services: SendPushServices;
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
  | "skipped: push disabled"
  | "skipped: device pulls";

/**
 * Send one push of one challenge to one device.
 *
 * - Nothing is sent once the challenge ended or its deadline passed, and a send in flight is aborted at the
 *   deadline. A job that runs again after its provider accepted the push (a worker died before recording it)
 *   does not send twice.
 * - A transient failure is retried after exponential backoff with jitter (or the service's Retry-After, when
 *   longer), unless the attempts are used up or the retry would come after the deadline: then it fails now. The
 *   page hears Retrying or Failed accordingly.
 * - A permanent failure marks the device inactive; a configuration failure makes L2 and L3 answer 1298 until
 *   the settings change, and every send of that app fails fast meanwhile. Both fail at once (no retry).
 * - Over the app's rate, the job goes back to "delayed" without using up an attempt.
 */
export async function sendPush(deps: SendPushDeps, job: Job<SendJob>, signal: AbortSignal, token?: string): Promise<SendOutcome> {
  const { services } = deps;
  const { appId, uid, deviceId, sendNo } = job.data;
  const deliveryId = sendJobId(job.data);
  // Everything the checks below need, read in one round trip (they do not depend on each other).
  const [c, delivered, device, [app, settings], broken] = await together([
    services.challenges.load({ appId, uid, challengeId: job.data.challengeId }),
    services.redis.exists(services.keys.delivered(deliveryId)),
    services.devices.get(appId, uid, deviceId),
    services.apps.get(appId).then(async (app) => [app, app ? await services.settings.get(app.apiKey, app.name) : null] as const),
    services.redis.get(services.keys.providerBroken(appId)),
  ]);
  if (!c || c.status !== "Pending" || services.now() >= c.expiresAt) return counted(services, NO_PROVIDER, "skipped: challenge ended");
  if (delivered) return counted(services, NO_PROVIDER, "skipped: already sent");
  if (!device?.active) return counted(services, NO_PROVIDER, "skipped: device gone");
  if (!settings?.IsEnabled) return counted(services, NO_PROVIDER, "skipped: push disabled");

  const preferred = (await deps.preferred?.(appId, device)) ?? null;
  const chosen = preferred ?? deps.providers.forDevice(appId, settings, device);
  // The console admins' app has no provider on purpose: a device not on the device channel pulls its push (2.8).
  if ("unroutable" in chosen && app?.internal) return counted(services, NO_PROVIDER, "skipped: device pulls");
  // A platform with no route fails its own sends only (L2 and L3 refuse its users): the app is not broken.
  if ("unroutable" in chosen) return failNow(services, NO_PROVIDER, c, chosen.unroutable);
  // A web device without push, not on the device channel now: it gets this push when it connects or pulls (2.8, 2.13).
  if ("pullsOnly" in chosen) return counted(services, NO_PROVIDER, "skipped: device pulls");
  const provider = chosen;
  if (!preferred) {
    if (broken !== null) return failNow(services, provider.name, c, `the app's push provider is misconfigured (${broken}); fix the settings`);
    if (provider.name === "sns" && !platformOf(settings, device.type).Enabled) {
      return failNow(services, provider.name, c, `${device.type} pushes are switched off in the app's settings`);
    }
    const waitMs = token ? ((await deps.limiter?.take(appId)) ?? 0) : 0;
    if (waitMs > 0 && token) {
      services.logger.debug({ app: appId, challenge: c.id, waitMs }, "push rate-limited");
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
  }

  // The deadline cancels a send still in flight when the challenge expires.
  const expiry = deadline(signal, Math.max(1, c.expiresAt - services.now()));
  try {
    const target = provider.name === "sns" ? await ensureEndpoint(services, deps.providers, appId, uid, device, settings) : device;
    if (!target) return counted(services, provider.name, "skipped: device gone");
    await provider.send(buildMessage(services, c, target, settings, deliveryId), expiry.signal);
  } catch (err) {
    return onFailure(services, provider.name, c, device, job, err);
  } finally {
    expiry.clear();
  }
  services.logger.info({ challenge: c.id, device: device.id, provider: provider.name, sendNo, attempt: job.attemptsMade + 1 }, "push sent");
  await together([
    services.redis.set(services.keys.delivered(deliveryId), "1", "PX", Math.max(1000, c.expiresAt - services.now() + 60_000)),
    setDelivery(services, c, "Sent"),
    services.audit.record(c.appId, { type: "push.sent", uid: c.uid, challenge: c.id, device: device.id, detail: provider.name, deviceName: device.name }),
  ]);
  countPush(services, provider.name, "sent", c.appId);
  return "sent";
}

/** The provider label of a send skipped before a provider was chosen. */
const NO_PROVIDER = "none";

/** Count a send's outcome in `pmg_pushes_total{provider,outcome}` (sent, failed, retrying, skipped). */
function counted<T extends SendOutcome>(deps: CountDeps, provider: string, outcome: T): T {
  countPush(deps, provider, outcome === "sent" ? "sent" : "skipped");
  return outcome;
}

function countPush(deps: CountDeps, provider: string, outcome: "sent" | "failed" | "retrying" | "skipped", appId?: string): void {
  deps.metrics.pushes.inc({ provider, outcome });
  // The dashboard's delivery success by provider (never awaited: it never fails the send, see bump()).
  if (appId && outcome !== "skipped") void countDelivery(deps, appId, provider, outcome);
}

function buildMessage(deps: Pick<Services, "devices" | "sealer" | "now">, c: Challenge, device: Device, settings: PushSettings, deliveryId: string): PushMessage {
  return {
    deliveryId,
    challengeId: c.id,
    device: {
      token: deps.devices.openToken(c.appId, c.uid, device),
      type: device.type,
      ...(device.endpointArn && { endpointArn: device.endpointArn }),
    },
    ...pushContentOf(deps, c, settings),
  };
}

/** Fail the job without trying (and without retries): the page hears Failed, the dead letter keeps the reason. */
const failNow = (deps: GiveUpDeps, provider: string, c: Challenge, reason: string): Promise<never> =>
  giveUp(deps, provider, c, { challenge: c.id, reason }, new UnrecoverableError(reason));

/** The end of a push that will not be tried again: counted, logged, audited, the page told Failed. */
async function giveUp(deps: GiveUpDeps, provider: string, c: Challenge, log: Record<string, unknown>, error: Error): Promise<never> {
  countPush(deps, provider, "failed", c.appId);
  deps.logger.warn({ ...log, final: true }, "push failed");
  await deps.audit.record(c.appId, { type: "push.failed", uid: c.uid, challenge: c.id, detail: error.message.slice(0, 200) });
  await setDelivery(deps, c, "Failed");
  throw error;
}

/** Classify a failed send: mark what it says about the device or the app, then retry, fail, or give up quietly. */
async function onFailure(
  deps: GiveUpDeps & MarkFailureDeps & Pick<Services, "now">,
  provider: string,
  c: Challenge,
  device: Device,
  job: Job<SendJob>,
  err: unknown,
): Promise<SendOutcome> {
  const reason = err instanceof Error ? err.message : String(err);
  const attempt = job.attemptsMade + 1;
  const log = { challenge: c.id, device: device.id, sendNo: job.data.sendNo, attempt, reason };
  await markFailure(deps, { appId: c.appId, uid: c.uid, deviceId: device.id }, err);
  if (isFinal(err)) return giveUp(deps, provider, c, log, new UnrecoverableError(reason));
  // Answered, cancelled or expired while we were sending: nobody waits for this push any more.
  const current = await deps.challenges.load(refOf(c));
  if (!current || current.status !== "Pending" || deps.now() >= current.expiresAt) return counted(deps, provider, "skipped: challenge ended");
  if (attempt >= (job.opts.attempts ?? 1)) {
    return giveUp(deps, provider, c, { ...log, why: "no attempts left" }, err instanceof Error ? err : new Error(reason));
  }
  const delayMs = retryDelay(attempt, job.opts, err);
  if (deps.now() + delayMs >= current.expiresAt) {
    const why = "not retried: the next attempt would come after the challenge's deadline";
    return giveUp(deps, provider, c, { ...log, delayMs, why }, new UnrecoverableError(`${reason}; ${why}`));
  }
  countPush(deps, provider, "retrying", c.appId);
  deps.logger.warn({ ...log, final: false, delayMs }, "push failed, retrying");
  await setDelivery(deps, c, "Retrying");
  throw new RetryAfter(reason, delayMs);
}

/** Tell the page how delivery goes. A device that got the push keeps the state "Sent" whatever another one does. */
async function setDelivery(deps: SetDeliveryDeps, c: Challenge, state: "Sent" | "Retrying" | "Failed"): Promise<void> {
  const updated = await deps.challenges.setDelivery(refOf(c), state);
  if (updated) deps.notifier.notify(updated);
}
