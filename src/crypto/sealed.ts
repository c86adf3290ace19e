import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * AES-256-GCM under the MASTER_KEY for what must be stored but never in clear: provider secrets, device tokens,
 * device handles waiting to be pushed, an approved login's response. `context` is bound as associated data,
 * so a ciphertext copied to another record does not open there.
 */
export interface Sealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /**
   * HMAC-SHA256 (hex) of `text` under a key derived from the master key for `purpose` alone (HKDF): for values
   * that must be compared but are stored only sealed (a device's push token), so equal values can be found
   * without opening every record, and a Redis dump without the master key cannot test a guess.
   */
  keyedHash(purpose: string, text: string): string;
}

export function createSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error("the master key must be 32 bytes");
  // One derived key per purpose, never the master key itself: an HMAC key and an AES key must not be the same bytes.
  const hashKeys = new Map<string, Buffer>();
  const hashKeyFor = (purpose: string): Buffer => {
    let k = hashKeys.get(purpose);
    if (!k) hashKeys.set(purpose, (k = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), `pmg keyed hash: ${purpose}`, 32))));
    return k;
  };
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return `v1.${iv.toString("base64url")}.${body.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}`;
    },
    open(sealed, context) {
      const [version, iv, body, tag] = sealed.split(".");
      if (version !== "v1" || !iv || body === undefined || !tag) throw new Error("not a sealed value");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    },
    keyedHash(purpose, text) {
      return createHmac("sha256", hashKeyFor(purpose)).update(text, "utf8").digest("hex");
    },
  };
}
