import type { Services } from "../services.js";
import { cancelPendingChallenge, type EndAndTellDeps } from "../challenge/end-and-tell.js";
import { unindexDeviceKeys, type DeviceKeyIndexDeps } from "./device-key-index.js";

/** What a reset touches: the user's devices and their key index, the pending login, the endpoint queue, the trail. */
export type ResetPushDevicesDeps = EndAndTellDeps & DeviceKeyIndexDeps & Pick<Services, "devices" | "queues" | "logger" | "audit">;

/**
 * L7 and L8: remove every push device of the user, cancel the login waiting for one, and queue the deletion
 * of their SNS platform endpoints.
 */
export async function resetPushDevices(deps: ResetPushDevicesDeps, appId: string, uid: string, by?: string): Promise<{ IsDeleted: true }> {
  const removed = await deps.devices.removeAll(appId, uid);
  await unindexDeviceKeys(deps, appId, uid, removed);
  await cancelPendingChallenge(deps, appId, uid, "reset");
  await deps.queues.enqueueEndpointDeletions(
    removed.flatMap((device) => (device.endpointArn ? [{ appId, endpointArn: device.endpointArn }] : [])),
  );
  deps.logger.info({ app: appId, uid, devices: removed.length }, "push devices reset");
  for (const device of removed) await deps.audit.record(appId, { type: "device.removed", uid, device: device.id, deviceName: device.name, detail: "reset", ...(by && { by }) });
  return { IsDeleted: true };
}
