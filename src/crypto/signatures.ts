import { createPublicKey, verify, type JsonWebKey, type KeyObject } from "node:crypto";

/**
 * Device keys and the answers they sign (contract 1.4). A key is registered as the hex of its X.509
 * SubjectPublicKeyInfo DER: RSA of 2048 bits or more with e = 65537 (what the LoginRadius Android SDK makes), or
 * ECDSA P-256, in its one canonical encoding.
 */

export type DeviceKeyKind = "rsa" | "p256";

export interface ParsedDeviceKey {
  kind: DeviceKeyKind;
  key: KeyObject;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const RSA_EXPONENT = 65537n;

/** Whether `value` has the shape of a device key's hex (not whether it is one): a check before any lookup. */
export const isDeviceKeyHex = (value: unknown): value is string => typeof value === "string" && value.length <= 4096 && HEX.test(value);

/** Parse and vet a registered public key; null when it is not an acceptable device key. */
export function parseDeviceKey(hex: string): ParsedDeviceKey | null {
  if (!isDeviceKeyHex(hex)) return null;
  const der = Buffer.from(hex, "hex");
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: "der", type: "spki" });
    // One encoding per key. OpenSSL also reads BER (long-form lengths), trailing bytes and compressed points, so
    // one key could enroll under several hex strings and escape what is keyed on it (the key index, the replay
    // rule). The JWK round trip re-encodes from the numbers alone (n, e or x, y), uncompressed.
    if (!canonicalSpki(key).equals(der)) return null;
  } catch {
    return null;
  }
  return vetted(key);
}

/** The key's JWK (its numbers: n and e, or x and y), kept beside its hex at enrollment for `loadStoredDeviceKey`. */
export function deviceKeyJwk(hex: string): JsonWebKey | undefined {
  return parseDeviceKey(hex)?.key.export({ format: "jwk" });
}

/**
 * A stored key from the JWK kept beside it: Node reads a JWK about ten times faster than OpenSSL's DER decoder
 * reads the SPKI (10–20 µs against 170). Trusted only when Node's own SPKI encoding of it is the stored hex, byte
 * for byte, so the key that verifies is the key that enrolled (and is canonical); else the hex is parsed as before.
 */
function fromStoredJwk(hex: string, jwk: JsonWebKey): ParsedDeviceKey | null | undefined {
  try {
    const key = createPublicKey({ key: jwk, format: "jwk" });
    return key.export({ type: "spki", format: "der" }).equals(Buffer.from(hex, "hex")) ? vetted(key) : undefined;
  } catch {
    return undefined;
  }
}

/** The key when its kind and size are ones a device may use; null otherwise. */
function vetted(key: KeyObject): ParsedDeviceKey | null {
  const details = key.asymmetricKeyDetails;
  const bits = details?.modulusLength ?? 0;
  // e = 65537 only: e = 3 invites old attacks on PKCS#1 v1.5, and a huge e makes every verify far dearer.
  if (key.asymmetricKeyType === "rsa" && bits >= 2048 && bits <= 8192 && details?.publicExponent === RSA_EXPONENT) {
    return { kind: "rsa", key };
  }
  if (key.asymmetricKeyType === "ec" && details?.namedCurve === "prime256v1") return { kind: "p256", key };
  return null;
}

const canonicalSpki = (key: KeyObject): Buffer =>
  createPublicKey({ key: key.export({ format: "jwk" }), format: "jwk" }).export({ type: "spki", format: "der" });

/** Parsed stored keys, most recently used last: parsing a key costs 170–250 µs, several times its verify. */
const storedKeys = new Map<string, ParsedDeviceKey | null>();
const STORED_KEYS_MAX = 10_000;

/**
 * A stored device key (read from the JWK enrollment kept beside it, when there is one), vetted again as at
 * enrollment (so a key enrolled before a rule tightened is refused too) and kept parsed for the next answer
 * (bounded, least recently used out first): the vetting is paid once per key and process. Keys are public: nothing
 * secret is held in memory by this.
 */
export function loadStoredDeviceKey(hex: string, jwk?: JsonWebKey): ParsedDeviceKey | null {
  const cached = storedKeys.get(hex);
  if (cached !== undefined) {
    storedKeys.delete(hex);
    storedKeys.set(hex, cached);
    return cached;
  }
  const fromJwk = jwk && isDeviceKeyHex(hex) ? fromStoredJwk(hex, jwk) : undefined;
  const parsed = fromJwk === undefined ? parseDeviceKey(hex) : fromJwk;
  if (storedKeys.size >= STORED_KEYS_MAX) storedKeys.delete(storedKeys.keys().next().value!);
  storedKeys.set(hex, parsed);
  return parsed;
}

/**
 * Check `signatureHex` over the UTF-8 text the phone signed: RSASSA-PKCS1-v1_5 with SHA-256 for RSA keys
 * (Java's SHA256withRSA), ECDSA-SHA256 for P-256: DER as Java's SHA256withECDSA signs, or the 64-byte r||s
 * that WebCrypto produces.
 */
export function verifyDeviceSignature(key: ParsedDeviceKey, signedText: string, signatureHex: string): boolean {
  if (!HEX.test(signatureHex) || signatureHex.length > 2048) return false;
  const signature = Buffer.from(signatureHex, "hex");
  const dsaEncoding = key.kind === "p256" && signature.length === 64 ? "ieee-p1363" : "der";
  try {
    return verify("sha256", Buffer.from(signedText, "utf8"), { key: key.key, dsaEncoding }, signature);
  } catch {
    return false;
  }
}
