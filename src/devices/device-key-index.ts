import type { Services } from "../services.js";
import type { Device } from "./device-store.js";
import { keyFingerprint } from "./key-fingerprint.js";

/**
 * The index from a device's public key to its enrollments, so an open app can connect to `/device` with the key
 * it holds: the enrollment answer (L6) is `{ "isRegistered": true }` by contract and gives the phone no device id.
 * Its keys are `keys.devicesByKey`; members are `uid|deviceId`, one phone may hold several accounts.
 */

/** What the index reads and writes. */
export type DeviceKeyIndexDeps = Pick<Services, "redis" | "keys">;

/** Called by L6 after a device is stored. */
export async function indexDeviceKey(deps: DeviceKeyIndexDeps, appId: string, uid: string, device: Device): Promise<void> {
  await deps.redis.sadd(deps.keys.devicesByKey(appId, keyFingerprint(device.publicKey)), `${uid}|${device.id}`);
}

/** Called with the devices a reset (L7/L8) or a removal took away, and by L6 with the devices a re-scan replaced. */
export async function unindexDeviceKeys(deps: DeviceKeyIndexDeps, appId: string, uid: string, removed: Device[]): Promise<void> {
  await Promise.all(
    removed.map((device) => deps.redis.srem(deps.keys.devicesByKey(appId, keyFingerprint(device.publicKey)), `${uid}|${device.id}`)),
  );
}

export interface IndexedDevice {
  uid: string;
  device: Device;
}

/**
 * The active devices enrolled in this app with exactly this public key; with `includeInactive`, those whose push
 * token died too (the push-token update of contract 2.8 is how such a device comes back).
 */
export async function devicesWithKey(
  deps: DeviceKeyIndexDeps & Pick<Services, "devices">,
  appId: string,
  publicKeyHex: string,
  options: { includeInactive?: boolean } = {},
): Promise<IndexedDevice[]> {
  const members = await deps.redis.smembers(deps.keys.devicesByKey(appId, keyFingerprint(publicKeyHex)));
  const found = await Promise.all(
    members.map(async (member) => {
      const [uid, deviceId] = member.split("|");
      if (!uid || !deviceId) return null;
      const device = await deps.devices.get(appId, uid, deviceId);
      // The index may outlive a device (removed another way): the stored record decides.
      const usable = device && (device.active || options.includeInactive === true);
      return usable && device.publicKey.toLowerCase() === publicKeyHex.toLowerCase() ? { uid, device } : null;
    }),
  );
  return found.filter((d): d is IndexedDevice => d !== null);
}
