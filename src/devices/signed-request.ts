import { ApiError } from "../errors.js";
import { isDeviceKeyHex, loadStoredDeviceKey, verifyDeviceSignature } from "../crypto/signatures.js";
import { devicesWithKey, type IndexedDevice } from "./device-key-index.js";
import type { Services } from "../services.js";
import { freshSignedTimestamp, SIGNED_TIMESTAMP_TOLERANCE_MS, useSignedTimestampOnce } from "./signed-timestamp.js";

/**
 * A request an enrolled device signs with its key instead of any token (the device channel's handshake, the
 * signed pull and the push-token update of contract 2.8): its public key (hex SPKI), a timestamp (Unix ms) and
 * its signature (hex) over a text naming the apikey and that timestamp.
 */
export interface SignedDeviceRequest {
  publicKey?: unknown;
  timestamp?: unknown;
  signature?: unknown;
}

export interface SignedRequestOptions {
  /** Also accept devices whose push token died (the push-token update revives them). @default false */
  includeInactive?: boolean;
  /** How far the timestamp may be from the server's clock. @default 60_000 */
  toleranceMs?: number;
  /** The refusal (1297) for a malformed request or a signature that does not verify, worded for its caller. */
  refused?: (why: string) => ApiError;
}

const refusedPlainly = (why: string): ApiError => new ApiError(1297, { description: why });

/** A verified request: the devices its key is enrolled as, and the timestamp it signed (now used up). */
export interface VerifiedDeviceRequest {
  devices: IndexedDevice[];
  timestamp: string;
}

/**
 * The devices of this app enrolled with the request's key, once its signature over `signedText(timestamp)` has
 * verified under contract 2.8's replay rule. Cheapest checks first: the shape, then the timestamp, then the
 * lookup, so an unknown key costs one lookup and never a verify (1313); only then the signature (1297), and only
 * a verified request uses its timestamp up, so nobody without the key can spend a phone's timestamps.
 */
export async function devicesSigning(
  s: Pick<Services, "now" | "redis" | "keys" | "devices">,
  appId: string,
  request: SignedDeviceRequest,
  signedText: (timestamp: string) => string,
  o: SignedRequestOptions = {},
): Promise<VerifiedDeviceRequest> {
  const refused = o.refused ?? refusedPlainly;
  const tolerance = o.toleranceMs ?? SIGNED_TIMESTAMP_TOLERANCE_MS;
  const { publicKey, signature } = request;
  if (!isDeviceKeyHex(publicKey) || typeof signature !== "string") throw refused("publicKey (hex SPKI) and signature (hex) are required.");
  const timestamp = freshSignedTimestamp(s, request.timestamp, tolerance);
  const devices = await devicesWithKey(s, appId, publicKey, { includeInactive: o.includeInactive === true });
  if (!devices.length) {
    throw new ApiError(1313, { description: `No ${o.includeInactive ? "" : "active "}push device of this app is enrolled with this key.` });
  }
  const { device } = devices[0]!;
  const key = loadStoredDeviceKey(device.publicKey, device.publicKeyJwk);
  if (!key || !verifyDeviceSignature(key, signedText(timestamp), signature)) throw refused("The signature does not verify with this public key.");
  await useSignedTimestampOnce(s, publicKey, timestamp, tolerance);
  return { devices, timestamp };
}
