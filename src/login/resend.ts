import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import { refOf } from "../challenge/challenge-store.js";
import { resendError } from "../challenge/status-errors.js";
import type { Services } from "../services.js";
import { findChallengeByToken } from "./find-challenge.js";
import { loadPushSettings, type PushSettingsDeps } from "./push-enabled.js";
import { refuseIfUnroutable } from "../settings/push-route.js";

/** What a resend touches: the challenge and the user's devices, the send queue, and the notifier for its pages. */
export type ResendDeps = PushSettingsDeps & Pick<Services, "challenges" | "devices" | "queues" | "notifier" | "config" | "now">;

/**
 * L3: send the push again to every active device, at least RESEND_MIN_INTERVAL_SECONDS after the previous
 * send and at most RESEND_MAX times per challenge (429 with Retry-After otherwise).
 */
export async function resendPush(deps: ResendDeps, app: AppRecord, token: string): Promise<{ IsPosted: true }> {
  const c = await findChallengeByToken(deps, app, token);
  const settings = await loadPushSettings(deps, app);
  const devices = (await deps.devices.list(c.appId, c.uid)).filter((d) => d.active);
  if (!devices.length) throw new ApiError(1313);
  refuseIfUnroutable(settings, devices);

  const resent = await deps.challenges.resend(refOf(c), deps.now(), deps.config.RESEND_MIN_INTERVAL_SECONDS * 1000, 1 + deps.config.RESEND_MAX);
  if (!resent.ok) {
    if (resent.reason === "Wait") throw new ApiError(429, { retryAfter: Math.ceil(resent.waitMs / 1000) });
    if (resent.reason === "Max") {
      throw new ApiError(429, {
        retryAfter: Math.max(1, Math.ceil((c.expiresAt - deps.now()) / 1000)),
        description: "The push was already resent the maximum number of times for this login; start a new login.",
      });
    }
    throw new ApiError(resendError(resent.reason));
  }
  await deps.challenges.update(refOf(c), { delivery: "Queued", deviceCount: devices.length });
  await deps.queues.enqueueSends(devices.map((d) => ({ appId: c.appId, uid: c.uid, challengeId: c.id, deviceId: d.id, sendNo: resent.sendNo })));
  const updated = await deps.challenges.load(refOf(c));
  if (updated) deps.notifier.notify(updated);
  return { IsPosted: true };
}
