/**
 * The accounts this authenticator holds, in IndexedDB, where both the page and the service worker read them: each
 * with its gateway's origin, its app, its own non-extractable key, and the server key its requests must verify with.
 */
import type { ServerPublicJwk } from "../shared/wire.js";

export interface Account {
  /** Local id (a random UUID). */
  id: string;
  /** The gateway's origin: the enrollment link's. Every call for this account goes there. */
  origin: string;
  apikey: string;
  /** SPKI DER, hex, as registered at L6. */
  publicKey: string;
  privateKey: CryptoKey;
  /** Contract 2.9: the app's server key, from the L6 answer. */
  serverKey: ServerPublicJwk;
  /** The app's CustomAppName and the user's identifier, from the L6 answer. */
  appName: string;
  identifier: string;
  /** The app's Message (L6 answer), shown with each request when the push itself carries none. */
  message: string;
  /** What the gateway has as this device's push token: the subscription's JSON, or "none". */
  deviceToken: string;
  addedAt: number;
}

const DB = "push-mfa-authenticator";
const STORE = "accounts";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onerror = () => reject(req.error);
    req.onsuccess = () => resolve(req.result);
  });
}

async function run<T>(mode: IDBTransactionMode, act: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  return new Promise<T>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = act(tx.objectStore(STORE));
    tx.oncomplete = () => {
      db.close();
      resolve(req.result as T);
    };
    tx.onerror = () => {
      db.close();
      reject(tx.error);
    };
  });
}

/** Every account, oldest first. */
export const listAccounts = async (): Promise<Account[]> =>
  (await run<Account[]>("readonly", (s) => s.getAll())).sort((a, b) => a.addedAt - b.addedAt);
export const saveAccount = (a: Account): Promise<unknown> => run("readwrite", (s) => s.put(a));
/** Forget an account and its key. */
export const deleteAccount = (id: string): Promise<unknown> => run("readwrite", (s) => s.delete(id));
