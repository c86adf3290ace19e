/**
 * An account's device key: a WebCrypto P-256 pair whose private half is not extractable. The CryptoKey object is
 * kept in IndexedDB as it is (structured clone), so the app and its service worker can sign with it but nothing
 * can read or send the key itself.
 */

export const hex = (buf: ArrayBuffer): string => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

export interface DeviceKey {
  /** SPKI DER, hex: what L6 registers. */
  publicKey: string;
  privateKey: CryptoKey;
}

/** A fresh key pair; the private half cannot be exported. */
export async function newDeviceKey(): Promise<DeviceKey> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  return { publicKey: hex(await crypto.subtle.exportKey("spki", pair.publicKey)), privateKey: pair.privateKey };
}

/** Sign `text` (UTF-8), hex. WebCrypto's ECDSA signature is r||s (64 bytes), which the gateway accepts as well as DER. */
export async function sign(key: CryptoKey, text: string): Promise<string> {
  return hex(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(text)));
}

let lastTimestamp = 0;
/**
 * A timestamp (Unix ms, as text) for a signed request: never the same twice in this context, since the gateway
 * accepts each timestamp once per key (contract 2.8) and a pull and a handshake may be signed in the same ms.
 */
export function freshTimestamp(): string {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  return String(lastTimestamp);
}
