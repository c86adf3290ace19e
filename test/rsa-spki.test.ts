import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDeviceKey } from "../src/crypto/signatures.js";
import { readRsaSpki } from "../src/crypto/rsa-spki.js";

/**
 * parseDeviceKey reads RSA keys without OpenSSL's DER decoder (rsa-spki.ts). It must accept exactly what the
 * OpenSSL path with its JWK round trip accepted: the canonical DER of an acceptable key, and nothing else
 * (long-form lengths, trailing bytes, leading zeros, other algorithms, any byte changed).
 */

/** The previous reading, the reference: OpenSSL's decoder, then canonical only if the JWK round trip gives the same bytes. */
function referenceParse(der: Buffer): KeyObject | null {
  try {
    const key = createPublicKey({ key: der, format: "der", type: "spki" });
    const again = createPublicKey({ key: key.export({ format: "jwk" }), format: "jwk" }).export({ type: "spki", format: "der" });
    if (!again.equals(der)) return null;
    const d = key.asymmetricKeyDetails;
    const bits = d?.modulusLength ?? 0;
    if (key.asymmetricKeyType === "rsa" && bits >= 2048 && bits <= 8192 && d?.publicExponent === 65537n) return key;
    if (key.asymmetricKeyType === "ec" && d?.namedCurve === "prime256v1") return key;
    return null;
  } catch {
    return null;
  }
}

const spki = (k: KeyObject) => k.export({ type: "spki", format: "der" });
const rsa = (bits: number, e = 65537) => spki(generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: e }).publicKey);
const keys = [rsa(2048), rsa(2048), rsa(3072), rsa(4096), rsa(2048, 3), rsa(1024), spki(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey)];

const agrees = (der: Buffer) => {
  const ours = parseDeviceKey(der.toString("hex"));
  const ref = referenceParse(der);
  expect(ours === null, der.toString("hex").slice(0, 80)).toBe(ref === null);
  if (ours && ref) expect(spki(ours.key).equals(spki(ref))).toBe(true);
};

describe("RSA device keys read without OpenSSL's DER decoder", () => {
  it("accepts and rejects real keys as the OpenSSL reading does (e = 3 and 1024 bits refused, P-256 through OpenSSL)", () => {
    for (const k of keys) agrees(k);
    expect(readRsaSpki(keys[0]!)).not.toBe("not-rsa");
    expect(readRsaSpki(keys[6]!)).toBe("not-rsa");
    expect(parseDeviceKey(keys[0]!.toString("hex"))?.kind).toBe("rsa");
  });

  it("refuses a long-form length, trailing bytes and a leading zero in the modulus", () => {
    const k = keys[0]!;
    // Outer length 0x82 LL LL re-written as 0x83 00 LL LL.
    const longForm = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), k.subarray(2)]);
    for (const bad of [longForm, Buffer.concat([k, Buffer.from([0])])]) {
      expect(parseDeviceKey(bad.toString("hex"))).toBeNull();
      agrees(bad);
    }
  });

  it("any one byte changed, cut or added reads as OpenSSL's reading does", () => {
    fc.assert(
      fc.property(fc.nat(keys.length - 2), fc.nat(600), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "cut", "insert"), (ki, pos, byte, how) => {
        const k = keys[ki]!;
        const at = pos % k.length;
        const der =
          how === "set" ? Buffer.from(k).fill(byte, at, at + 1)
            : how === "cut" ? Buffer.concat([k.subarray(0, at), k.subarray(at + 1)])
              : Buffer.concat([k.subarray(0, at), Buffer.from([byte]), k.subarray(at)]);
        agrees(der);
      }),
      { numRuns: 3000 },
    );
  });
});
