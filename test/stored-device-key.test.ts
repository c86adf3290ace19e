import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deviceKeyJwk, loadStoredDeviceKey, verifyDeviceSignature } from "../src/crypto/signatures.js";

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
    expect(loadStoredDeviceKey(hex, { kty: "RSA", n: "garbage", e: "AQAB" })).toBeNull();
  });
});
