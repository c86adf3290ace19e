import { refOf } from "../challenge/challenge-store.js";
import type { Services } from "../services.js";
import { unindexDeviceKeys } from "./device-key-index.js";

/**
 * L7 and L8: remove every push device of the user, cancel the login waiting for one, and queue the deletion
 * of their SNS platform endpoints.
 */
export async function resetPushDevices(s: Services, appId: string, uid: string): Promise<{ IsDeleted: true }> {
  const removed = await s.devices.removeAll(appId, uid);
  await unindexDeviceKeys(s, appId, uid, removed);
  const pending = await s.challenges.pendingOf(appId, uid);
  if (pending) {
    const result = await s.challenges.end(refOf(pending), "Cancelled", { now: s.now(), refuseLate: false, fields: { reason: "reset" } });
    const updated = result === "OK" ? await s.challenges.load(refOf(pending)) : null;
    if (updated) s.metrics.challenges.inc({ outcome: "cancelled" });
    if (updated) s.notifier.notify(updated);
  }
  await s.queues.enqueueEndpointDeletions(
    removed.flatMap((d) => (d.endpointArn ? [{ appId, endpointArn: d.endpointArn }] : [])),
  );
  s.logger.info({ app: appId, uid, devices: removed.length }, "push devices reset");
  for (const d of removed) await s.audit.record(appId, { type: "device.removed", uid, device: d.id, detail: "reset" });
  return { IsDeleted: true };
}
