import { refOf } from "../challenge/challenge-store.js";
import type { Services } from "../services.js";
import { unindexDeviceKeys } from "./device-key-index.js";
import type { Device } from "./device-store.js";

/**
 * A user removes one of their push devices: it leaves the key index (its open app can no longer connect for that
 * account), its SNS platform endpoint is queued for deletion, and an audit event says so. A login that was pushed
 * to devices and now has no active one left is cancelled, as L7 does, so its page stops waiting for nothing.
 * Null when the user has no device of that id (another user's device is "no device" too).
 */
export async function removePushDevice(s: Services, appId: string, uid: string, deviceId: string, by: string): Promise<Device | null> {
  const removed = await s.devices.remove(appId, uid, deviceId);
  if (!removed) return null;
  await unindexDeviceKeys(s, appId, uid, [removed]);
  if (!(await s.devices.list(appId, uid)).some((d) => d.active)) {
    const pending = await s.challenges.pendingOf(appId, uid);
    // A login still waiting for an enrollment (no device was ever pushed) keeps waiting for it.
    if (pending && pending.status === "Pending" && pending.deviceCount > 0) {
      const result = await s.challenges.end(refOf(pending), "Cancelled", { now: s.now(), refuseLate: false, fields: { reason: "device removed" } });
      const updated = result === "OK" ? await s.challenges.load(refOf(pending)) : null;
      if (updated) s.metrics.challenges.inc({ outcome: "cancelled" });
      if (updated) s.notifier.notify(updated);
    }
  }
  if (removed.endpointArn) await s.queues.enqueueEndpointDeletions([{ appId, endpointArn: removed.endpointArn }]);
  s.logger.info({ app: appId, uid, device: removed.id }, "push device removed");
  await s.audit.record(appId, { type: "device.removed", uid, device: removed.id, detail: by });
  return removed;
}
