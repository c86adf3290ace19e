import { ApiError } from "../errors.js";
import { keyFingerprint } from "./key-fingerprint.js";
import type { Services } from "../services.js";

/**
 * Contract 2.8's replay rule for requests a device signs over a timestamp (the device channel's handshake, the
 * signed pull, the push-token update): the timestamp is Unix milliseconds within ±60 s of the server's clock,
 * and each (key, timestamp) is accepted once. The record names the key and the timestamp, never the signature:
 * one ECDSA signature has several encodings that all verify (DER or r||s, s or n-s, any hex case), so a rule
 * keyed on its bytes lets a captured request through again in another encoding.
 */

/** How far a signed timestamp may be from the server's clock (contract 2.8). */
export const SIGNED_TIMESTAMP_TOLERANCE_MS = 60_000;

const UNIX_MS = /^\d{13}$/;

const refused = (why: string): ApiError => new ApiError(1297, { description: why });

/**
 * The timestamp as the device signed it (digits, or a JSON number the same digits), if it is Unix milliseconds
 * within the tolerance of the server's clock; else 1297 saying which. Cheap: run it before any lookup or signature check.
 */
export function freshSignedTimestamp(s: Pick<Services, "now">, raw: unknown, toleranceMs = SIGNED_TIMESTAMP_TOLERANCE_MS): string {
  const timestamp = typeof raw === "number" ? String(raw) : raw;
  if (typeof timestamp !== "string" || !UNIX_MS.test(timestamp)) throw refused("The timestamp must be Unix time in milliseconds (13 digits).");
  if (Math.abs(s.now() - Number(timestamp)) > toleranceMs) {
    throw refused(`The timestamp is more than ${Math.round(toleranceMs / 1000)} seconds off the server's clock; check the device's clock.`);
  }
  return timestamp;
}

/**
 * Use `timestamp` with this key, once: 1297 if it was used before, whatever signed it. Call it only after the
 * signature verified, so nobody without the key can use up a phone's timestamps. Atomic (SET NX): two copies of
 * one request racing on two nodes give one success.
 */
export async function useSignedTimestampOnce(
  s: Pick<Services, "redis" | "keys">,
  publicKeyHex: string,
  timestamp: string,
  toleranceMs = SIGNED_TIMESTAMP_TOLERANCE_MS,
): Promise<void> {
  // Remembered while the timestamp could still pass the window check (plus as much again for clock drift between nodes).
  const fresh = await s.redis.set(s.keys.signedTimestamp(keyFingerprint(publicKeyHex), timestamp), "1", "PX", 2 * toleranceMs, "NX");
  if (fresh !== "OK") throw refused("This timestamp was already used with this key; sign a new timestamp.");
}
