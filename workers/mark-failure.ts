import type { Services } from "../src/services.js";
import { ConfigDeliveryError, PermanentDeliveryError, RejectedMessageError } from "../src/delivery/delivery-errors.js";

/** How long L2 and L3 answer 1298 after a configuration failure, unless the settings are saved before. */
const BROKEN_SECONDS = 24 * 3600;

/** What a failure marks: the device, or the app's provider (keys.providerBroken). */
export type MarkFailureDeps = Pick<Services, "devices" | "redis" | "keys" | "logger">;

/**
 * Record what a failure says beyond this one job: a permanent failure means the device cannot receive pushes
 * (marked inactive, so logins stop waiting for it); a configuration failure means no device of the app can
 * (L2 and L3 answer 1298 until the settings are saved again, which clears the mark).
 */
export async function markFailure(deps: MarkFailureDeps, ref: { appId: string; uid: string; deviceId: string }, err: unknown): Promise<void> {
  if (err instanceof PermanentDeliveryError) {
    await deps.devices.patch(ref.appId, ref.uid, ref.deviceId, { active: false, inactiveReason: err.message.slice(0, 200) });
    deps.logger.warn({ app: ref.appId, device: ref.deviceId, reason: err.message }, "push device marked inactive");
  } else if (err instanceof ConfigDeliveryError) {
    await deps.redis.set(deps.keys.providerBroken(ref.appId), err.message.slice(0, 200), "EX", BROKEN_SECONDS);
    deps.logger.error({ app: ref.appId, reason: err.message }, "push provider misconfigured: logins answer 1298 until the settings change");
  }
}

/** Failures that no retry can fix (a rejected message marks nothing: neither the device nor the app is at fault). */
export const isFinal = (err: unknown): err is PermanentDeliveryError | ConfigDeliveryError | RejectedMessageError =>
  err instanceof PermanentDeliveryError || err instanceof ConfigDeliveryError || err instanceof RejectedMessageError;
