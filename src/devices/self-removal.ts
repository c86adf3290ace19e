import type { AppRecord } from "../apps/app-store.js";
import { removePushDevice, type RemovePushDeviceDeps } from "./remove-device.js";
import { devicesSigning, type SignedDeviceRequest } from "./signed-request.js";

/** The text a device signs to remove itself (ext, beside contract 2.8): `remove:<apikey>:<timestamp>`, the apikey as sent. */
export const selfRemovalText = (apiKey: string, timestamp: string): string => `remove:${apiKey}:${timestamp}`;

/** Who the audit says removed the device. */
export const SELF_REMOVAL_BY = "the device itself";

/**
 * (ext) A device removes itself with its key, under contract 2.8's replay rule: every device of this app enrolled
 * with the signing key goes (one key may be enrolled for several users of the app; an app that keeps one key per
 * account, as the authenticator does, removes exactly that account), inactive ones too (a dead push token is no
 * reason to keep a device its holder wants gone). Each goes the way a user's or an admin's removal does: out of
 * the key index, its SNS endpoint queued for deletion, its user's waiting login cancelled when no active device is
 * left (as L7), and a `device.removed` audit event by "the device itself". A user left with no device gets the
 * enrollment QR at the next L2, as after L7.
 */
export async function removeSigningDevices(
  s: RemovePushDeviceDeps,
  app: AppRecord,
  apiKeyAsSent: string,
  request: SignedDeviceRequest,
): Promise<{ IsDeleted: true }> {
  const { devices } = await devicesSigning(s, app.apiKey, request, (timestamp) => selfRemovalText(apiKeyAsSent, timestamp), {
    includeInactive: true,
  });
  for (const { uid, device } of devices) {
    // Null when removed meanwhile (by its user, an admin, or a copy of this request racing on another node).
    await removePushDevice(s, app.apiKey, uid, device.id, "signed with its key", SELF_REMOVAL_BY);
  }
  return { IsDeleted: true };
}
