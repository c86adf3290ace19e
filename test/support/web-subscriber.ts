import { createECDH, randomBytes, type ECDH } from "node:crypto";

/**
 * A browser's push subscription as a test holds it: the P-256 key pair (`p256dh`) and the 16-byte auth secret
 * of RFC 8291, and the endpoint the push service gave. The private half stays here, to decrypt what arrives.
 */
export class WebSubscriber {
  readonly ecdh: ECDH;
  readonly auth: Buffer;
  constructor(readonly endpoint: string) {
    this.ecdh = createECDH("prime256v1");
    this.ecdh.generateKeys();
    this.auth = randomBytes(16);
  }
  /** The subscription as `PushSubscription.toJSON()` gives it. */
  get subscription() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: this.ecdh.getPublicKey().toString("base64url"), auth: this.auth.toString("base64url") } };
  }
  /** The device token an app sends at L6 (contract 2.7). */
  get deviceToken(): string {
    return JSON.stringify(this.subscription);
  }
}
