import { createHash } from "node:crypto";

/**
 * Redis keys of the device channel, beside the product's own (src/keys.ts). Single-key operations only, so they
 * need no hash tag on a Redis Cluster. None holds a secret: a public key's fingerprint, ids, a delivery id.
 */
export type DeviceChannelKeys = ReturnType<typeof createDeviceChannelKeys>;

/** SHA-256 of the registered public key's hex (lower case): how an open app names itself without a device id. */
export const keyFingerprint = (publicKeyHex: string): string =>
  createHash("sha256").update(publicKeyHex.toLowerCase(), "utf8").digest("hex");

export function createDeviceChannelKeys(prefix: string) {
  return {
    /** Set of `uid|deviceId` enrolled with this key in this app (one phone may hold several accounts). */
    byKey: (appId: string, fingerprint: string) => `${prefix}:devkey:${appId}:${fingerprint}`,
    /** Sorted set: socket id → until when (ms) that socket of the device is known to be connected. */
    presence: (appId: string, deviceId: string) => `${prefix}:devsock:${appId}:${deviceId}`,
    /** String: set for a while after the device left a push unacknowledged; its socket is not used meanwhile. */
    muted: (appId: string, deviceId: string) => `${prefix}:devmute:${appId}:${deviceId}`,
    /** String: set when the device acknowledged this delivery over its socket. */
    ack: (deliveryId: string) => `${prefix}:devack:${deliveryId}`,
    /** String: a handshake signature already used (replays within the ±60 s window are refused). */
    handshake: (signatureHash: string) => `${prefix}:devhs:${signatureHash}`,
  };
}

/** The Socket.IO room of one device of one app ("d:" + 36 + ":" + 36 characters, never 20). */
export const deviceRoom = (appId: string, deviceId: string): string => `d:${appId}:${deviceId}`;
