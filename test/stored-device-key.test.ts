import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deviceKeyJwk, loadStoredDeviceKey, verifyDeviceSignature } from "../src/crypto/signatures.js";

// Every case below uses a fresh key: loadStoredDeviceKey caches by hex, so a reused hex would test the cache, not the path.
const ecPair = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const rsaPair = (bits = 2048) => generateKeyPairSync("rsa", { modulusLength: bits });
const spkiHex = (k: ReturnType<typeof ecPair>["publicKey"]) => k.export({ type: "spki", format: "der" }).toString("hex");
const rsaHex = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "der" }).toString("hex");

describe("a device key stored with its JWK", () => {
  it("loads from the JWK and verifies what the device signed", () => {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const hex = pair.publicKey.export({ type: "spki", format: "der" }).toString("hex");
    const key = loadStoredDeviceKey(hex, deviceKeyJwk(hex));
    expect(key?.kind).toBe("p256");
    const signature = sign("sha256", Buffer.from("Yeshandle"), pair.privateKey).toString("hex");
    expect(verifyDeviceSignature(key!, "Yeshandle", signature)).toBe(true);
  });

  it("keeps a JWK only for an acceptable key", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" }).toString("hex");
    expect(deviceKeyJwk(small)).toBeUndefined();
    expect(deviceKeyJwk("00ff")).toBeUndefined();
    expect(deviceKeyJwk(rsaHex())).toMatchObject({ kty: "RSA", e: "AQAB" });
  });

  it("never trusts a JWK that is not the stored key: another key's JWK loads the stored hex's own key", () => {
    const hex = rsaHex();
    const other = rsaHex();
    const key = loadStoredDeviceKey(hex, deviceKeyJwk(other));
    expect(key?.key.export({ type: "spki", format: "der" }).toString("hex")).toBe(hex);
  });

  it("refuses a key the rules refuse, whatever JWK is beside it", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    const hex = small.export({ type: "spki", format: "der" }).toString("hex");
    expect(loadStoredDeviceKey(hex, small.export({ format: "jwk" }))).toBeNull();
    const another = rsaPair(1024).publicKey;
    expect(loadStoredDeviceKey(spkiHex(another), { kty: "RSA", n: "garbage", e: "AQAB" })).toBeNull();
  });
});

describe("the JWK path never accepts what the hex path refuses", () => {
  it("a non-canonical hex (trailing byte) beside its key's own JWK is refused", () => {
    const pub = ecPair().publicKey;
    const hex = `${spkiHex(pub)}00`;
    expect(loadStoredDeviceKey(hex, pub.export({ format: "jwk" }))).toBeNull();
  });

  it("an upper-case hex loads the same key as its lower-case form", () => {
    const pub = ecPair().publicKey;
    const hex = spkiHex(pub).toUpperCase();
    const key = loadStoredDeviceKey(hex, pub.export({ format: "jwk" }));
    expect(key?.key.export({ type: "spki", format: "der" }).toString("hex")).toBe(hex.toLowerCase());
  });

  it("a JWK of another type (EC beside an RSA hex) or one that throws falls back to the hex's own key", () => {
    const hex = spkiHex(rsaPair().publicKey);
    const k1 = loadStoredDeviceKey(hex, ecPair().publicKey.export({ format: "jwk" }));
    expect(k1?.kind).toBe("rsa");
    expect(k1?.key.export({ type: "spki", format: "der" }).toString("hex")).toBe(hex);
    const hex2 = spkiHex(ecPair().publicKey);
    expect(loadStoredDeviceKey(hex2, { kty: "EC", crv: "P-256", x: "!!", y: "??" })?.kind).toBe("p256");
  });

  it("a refused key (RSA-1024) with its own JWK, first load (not cached), is null", () => {
    const pub = rsaPair(1024).publicKey;
    expect(loadStoredDeviceKey(spkiHex(pub), pub.export({ format: "jwk" }))).toBeNull();
  });

  it("a P-384 key with its matching JWK is refused (wrong curve)", () => {
    const pub = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey;
    expect(loadStoredDeviceKey(spkiHex(pub), pub.export({ format: "jwk" }))).toBeNull();
  });

  it("enrollment keeps no JWK for a refused key", () => {
    expect(deviceKeyJwk(`${spkiHex(ecPair().publicKey)}00`)).toBeUndefined();
  });
});
