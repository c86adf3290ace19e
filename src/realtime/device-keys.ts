import { createHash } from "node:crypto";

/**
 * How the device channel names a device without its id: by its public key's fingerprint (the Redis keys built
 * from it are in src/keys.ts), and the Socket.IO room of one device.
 */

/** SHA-256 of the registered public key's hex (lower case): how an open app names itself without a device id. */
export const keyFingerprint = (publicKeyHex: string): string =>
  createHash("sha256").update(publicKeyHex.toLowerCase(), "utf8").digest("hex");

/** The Socket.IO room of one device of one app ("d:" + 36 + ":" + 36 characters, never 20). */
export const deviceRoom = (appId: string, deviceId: string): string => `d:${appId}:${deviceId}`;
