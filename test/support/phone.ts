import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { call } from "./http.js";

/**
 * A phone as the LoginRadius Android SDK behaves: an RSA-2048 (or P-256) key pair, the public key registered as
 * SPKI DER hex, answers signed as hex(SHA256withRSA(verify + handle [+ number])).
 */
export class TestPhone {
  readonly publicKeyHex: string;
  private readonly privateKey: KeyObject;

  constructor(readonly kind: "rsa" | "p256" = "rsa", readonly deviceToken = `fcm-${Math.random().toString(36).slice(2)}-token`) {
    const pair = kind === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    this.privateKey = pair.privateKey;
    this.publicKeyHex = pair.publicKey.export({ format: "der", type: "spki" }).toString("hex");
  }

  /** `dsaEncoding` (P-256 only): DER as Java's SHA256withECDSA signs, or r||s as WebCrypto does. */
  sign(text: string, dsaEncoding: "der" | "ieee-p1363" = "der"): string {
    return sign("sha256", Buffer.from(text, "utf8"), { key: this.privateKey, dsaEncoding }).toString("hex");
  }

  /** POST to the enrollment URL scanned from the QR code (L6). */
  enroll(enrollmentUrl: string, name = "Test phone", type: "android" | "ios" | "web" = "android") {
    return call(enrollmentUrl, "POST", enrollmentUrl, {
      json: { deviceName: name, deviceType: type, publicKey: this.publicKeyHex, deviceToken: this.deviceToken },
    });
  }

  /** Answer a push (L5) with the handle it carried. */
  answer(base: string, apiKey: string, handle: string, verify: "Yes" | "No", extra: { number?: string; reason?: string; signature?: string } = {}) {
    const signature = extra.signature ?? this.sign(verify + handle + (extra.number ?? ""));
    return call(base, "PUT", "/identity/v2/auth/login/2fa/verification/push", {
      query: { apikey: apiKey, secondfactorauthenticationtoken: handle },
      json: { verify, signature, ...(extra.number !== undefined && { number: extra.number }), ...(extra.reason !== undefined && { reason: extra.reason }) },
    });
  }
}
