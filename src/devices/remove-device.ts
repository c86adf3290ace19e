import type { Services } from "../services.js";
import { cancelPendingChallenge, type EndAndTellDeps } from "../challenge/end-and-tell.js";
import { unindexDeviceKeys, type DeviceKeyIndexDeps } from "./device-key-index.js";
import type { Device } from "./device-store.js";

/** What removing a device touches: the user's devices and their key index, the pending login, the endpoint queue, the trail. */
export type RemovePushDeviceDeps = EndAndTellDeps & DeviceKeyIndexDeps & Pick<Services, "devices" | "queues" | "logger" | "audit">;

/**
 * A user removes one of their push devices: it leaves the key index (its open app can no longer connect for that
 * account), its SNS platform endpoint is queued for deletion, and an audit event says so. A login that was pushed
 * to devices and now has no active one left is cancelled, as L7 does, so its page stops waiting for nothing.
 * Null when the user has no device of that id (another user's device is "no device" too).
 */
export async function removePushDevice(deps: RemovePushDeviceDeps, appId: string, uid: string, deviceId: string, detail: string, by?: string): Promise<Device | null> {
  const removed = await deps.devices.remove(appId, uid, deviceId);
  if (!removed) return null;
  await unindexDeviceKeys(deps, appId, uid, [removed]);
  if (!(await deps.devices.list(appId, uid)).some((device) => device.active)) {
    // A login still waiting for an enrollment (no device was ever pushed) keeps waiting for it.
    await cancelPendingChallenge(deps, appId, uid, "device removed", (pending) => pending.deviceCount > 0);
  }
  if (removed.endpointArn) await deps.queues.enqueueEndpointDeletions([{ appId, endpointArn: removed.endpointArn }]);
  deps.logger.info({ app: appId, uid, device: removed.id }, "push device removed");
  await deps.audit.record(appId, { type: "device.removed", uid, device: removed.id, deviceName: removed.name, detail, ...(by && { by }) });
  return removed;
}
