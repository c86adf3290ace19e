import type { Device } from "../devices/device-store.js";
import type { Services } from "../services.js";
import { keyFingerprint } from "./device-keys.js";

/**
 * The index from a device's public key to its enrollments, so an open app can connect to `/device` with the key
 * it holds: the enrollment answer (L6) is `{ "isRegistered": true }` by contract and gives the phone no device id.
 */

/** Called by L6 after a device is stored. */
export async function indexDeviceKey(s: Pick<Services, "redis" | "keys">, appId: string, uid: string, device: Device): Promise<void> {
  await s.redis.sadd(s.keys.devicesByKey(appId, keyFingerprint(device.publicKey)), `${uid}|${device.id}`);
}

/** Called by L7/L8 with the devices a reset removed, and by L6 with the devices a re-scan replaced. */
export async function unindexDeviceKeys(s: Pick<Services, "redis" | "keys">, appId: string, uid: string, removed: Device[]): Promise<void> {
  await Promise.all(removed.map((d) => s.redis.srem(s.keys.devicesByKey(appId, keyFingerprint(d.publicKey)), `${uid}|${d.id}`)));
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
  s: Pick<Services, "redis" | "keys" | "devices">,
  appId: string,
  publicKeyHex: string,
  o: { includeInactive?: boolean } = {},
): Promise<IndexedDevice[]> {
  const members = await s.redis.smembers(s.keys.devicesByKey(appId, keyFingerprint(publicKeyHex)));
  const found = await Promise.all(
    members.map(async (m) => {
      const [uid, deviceId] = m.split("|");
      if (!uid || !deviceId) return null;
      const device = await s.devices.get(appId, uid, deviceId);
      // The index may outlive a device (removed another way): the stored record decides.
      const usable = device && (device.active || o.includeInactive === true);
      return usable && device.publicKey.toLowerCase() === publicKeyHex.toLowerCase() ? { uid, device } : null;
    }),
  );
  return found.filter((d): d is IndexedDevice => d !== null);
}
