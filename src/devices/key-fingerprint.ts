import { createHash } from "node:crypto";

/**
 * SHA-256 of a device's registered public key (its hex, lower case): how an open app names itself without a device
 * id, and what the replay rule of signed timestamps records. The Redis keys built from it are in src/keys.ts.
 */
export const keyFingerprint = (publicKeyHex: string): string =>
  createHash("sha256").update(publicKeyHex.toLowerCase(), "utf8").digest("hex");
