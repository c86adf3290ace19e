import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import { refOf } from "../challenge/challenge-store.js";
import type { Services } from "../services.js";
import { findChallengeByToken } from "./find-challenge.js";
import { loadPushSettings } from "./push-enabled.js";
import { refuseIfUnroutable } from "../settings/push-route.js";

/**
 * L3: send the push again to every active device, at least RESEND_MIN_INTERVAL_SECONDS after the previous
 * send and at most RESEND_MAX times per challenge (429 with Retry-After otherwise).
 */
export async function resendPush(s: Services, app: AppRecord, token: string): Promise<{ IsPosted: true }> {
  const c = await findChallengeByToken(s, app, token);
  const settings = await loadPushSettings(s, app);
  const devices = (await s.devices.list(c.appId, c.uid)).filter((d) => d.active);
  if (!devices.length) throw new ApiError(1313);
  refuseIfUnroutable(settings, devices);

  const r = await s.challenges.resend(refOf(c), s.now(), s.config.RESEND_MIN_INTERVAL_SECONDS * 1000, 1 + s.config.RESEND_MAX);
  if (!r.ok) {
    if (r.reason === "Wait") throw new ApiError(429, { retryAfter: Math.ceil(r.waitMs / 1000) });
    if (r.reason === "Max") {
      throw new ApiError(429, {
        retryAfter: Math.max(1, Math.ceil((c.expiresAt - s.now()) / 1000)),
        description: "The push was already resent the maximum number of times for this login; start a new login.",
      });
    }
    throw statusError(r.reason);
  }
  await s.challenges.update(refOf(c), { delivery: "Queued", deviceCount: devices.length });
  await s.queues.enqueueSends(devices.map((d) => ({ appId: c.appId, uid: c.uid, challengeId: c.id, deviceId: d.id, sendNo: r.sendNo })));
  const updated = await s.challenges.load(refOf(c));
  if (updated) s.notifier.notify(updated);
  return { IsPosted: true };
}

/** The error for a challenge that is no longer pending (contract L4's mapping). */
export function statusError(status: string): ApiError {
  if (status === "Approved") return new ApiError(1311);
  if (status === "Denied") return new ApiError(1312);
  if (status === "Missing") return new ApiError(1103);
  return new ApiError(1104);
}
