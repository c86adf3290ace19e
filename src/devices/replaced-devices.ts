import type { PushSettings } from "../settings/push-settings.js";
import type { Services } from "../services.js";
import { unindexDeviceKeys } from "./device-key-index.js";
import type { Device } from "./device-store.js";
import { endpointComesBackForSameToken } from "./endpoint-reuse.js";

/**
 * After L6 replaced a user's earlier devices with a new enrollment of the same phone (same push token): they leave
 * the key index (their keys can no longer pull, update or connect for this account), their SNS endpoints are
 * deleted unless the new device inherits them (same token, same PlatformARN), and the audit says so.
 */
export async function retireReplacedDevices(
  s: Pick<Services, "redis" | "keys" | "queues" | "audit" | "logger">,
  who: { appId: string; uid: string; by: Device },
  replaced: Device[],
  settings: PushSettings | null,
): Promise<void> {
  if (!replaced.length) return;
  const { appId, uid } = who;
  await unindexDeviceKeys(s, appId, uid, replaced);
  await s.queues.enqueueEndpointDeletions(
    replaced.flatMap((d) => (d.endpointArn && !endpointComesBackForSameToken(settings, d) ? [{ appId, endpointArn: d.endpointArn }] : [])),
  );
  for (const d of replaced) {
    s.logger.info({ app: appId, uid, device: d.id, by: who.by.id }, "push device replaced by a new enrollment of the same phone");
    await s.audit.record(appId, { type: "device.removed", uid, device: d.id, detail: `replaced by ${who.by.id} (the same phone enrolled again)` });
  }
}
