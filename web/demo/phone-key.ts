/**
 * The simulated phone's key and where it is kept: a WebCrypto P-256 pair whose private half is not extractable,
 * stored in IndexedDB as it is (structured clone), so the page can sign but never read or send the key.
 */

/** The one phone this browser simulates: the app it enrolled with, its key, and the name it gave. */
export interface StoredPhone {
  apikey: string;
  /** SPKI DER, hex: what L6 registers. */
  publicKey: string;
  privateKey: CryptoKey;
  name: string;
}

export const hex = (buf: ArrayBuffer): string => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A new phone for this app: a fresh key pair, not yet saved. */
export async function newPhone(apikey: string): Promise<StoredPhone> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  return { apikey, publicKey: hex(await crypto.subtle.exportKey("spki", pair.publicKey)), privateKey: pair.privateKey, name: "" };
}

/** Sign `text` (UTF-8) with the phone's key, hex. */
export async function sign(key: CryptoKey, text: string): Promise<string> {
  // WebCrypto's ECDSA signature is r||s (64 bytes): the gateway accepts it as well as DER.
  return hex(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(text)));
}

const DB = "push-mfa-phone";

function store<T>(mode: IDBTransactionMode, act: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore("phone");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction("phone", mode);
      const req = act(tx.objectStore("phone"));
      tx.oncomplete = () => {
        open.result.close();
        resolve(req.result as T);
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

/** The phone saved in this browser, if any. */
export const loadPhone = (): Promise<StoredPhone | undefined> => store<StoredPhone | undefined>("readonly", (s) => s.get("current"));
/** Keep this phone (replacing the one saved). */
export const savePhone = (p: StoredPhone): Promise<unknown> => store<unknown>("readwrite", (s) => s.put(p, "current"));
/** Forget the saved phone and its key. */
export const forgetPhone = (): Promise<unknown> => store<unknown>("readwrite", (s) => s.delete("current"));
