/**
 * The Web Push side of an account (contract 2.7, 2.8): the browser holds one push subscription for this app, made
 * with one gateway deployment's VAPID key. It serves every account of that deployment (the key is the same for all
 * its apps); an account of another deployment, whose key differs, stays on `"none"` and gets its requests by the
 * device channel and the pull. When the subscription appears or changes, each account tells its gateway with the
 * signed push-token update.
 */
import { callJson } from "../shared/page.js";
import type { VapidPublicKey } from "../shared/wire.js";
import type { Account } from "./account-store.js";
import { freshTimestamp, sign } from "./device-key.js";

const fromBase64url = (s: string): Uint8Array<ArrayBuffer> => {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
};

const sameBytes = (a: ArrayBuffer | null | undefined, b: Uint8Array): boolean => {
  if (!a || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
};

/** The deployment's VAPID public key, or null when the gateway has none to give (an older gateway). */
async function vapidKeyOf(gateway: string, apikey: string): Promise<Uint8Array<ArrayBuffer> | null> {
  const url = new URL("/identity/v2/auth/push/vapid-public-key", gateway);
  url.searchParams.set("apikey", apikey);
  const res = await callJson(url, "GET");
  const key = (res.body as Partial<VapidPublicKey> | null)?.PublicKey;
  return res.ok && typeof key === "string" ? fromBase64url(key) : null;
}

/**
 * The `deviceToken` for an account of this gateway: the subscription's JSON when this browser can push and the
 * user allowed it (made now if there is none yet), else "none". Never throws.
 */
export async function pushTokenFor(registration: ServiceWorkerRegistration | undefined, gateway: string, apikey: string): Promise<string> {
  if (!registration?.pushManager || typeof Notification === "undefined" || Notification.permission !== "granted") return "none";
  try {
    const key = await vapidKeyOf(gateway, apikey);
    if (!key) return "none";
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameBytes(subscription.options.applicationServerKey, key)) return "none"; // another deployment's
    subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    return JSON.stringify(subscription.toJSON());
  } catch (err) {
    // No push service (headless browsers, some embedded ones), or the user said no: pull and socket only.
    console.info("Web Push unavailable, this account will get its requests while the app is open:", err);
    return "none";
  }
}

/** Contract 2.8: tell the account's gateway its new push token, signed; whether it took it. */
export async function updatePushToken(account: Account, deviceToken: string): Promise<boolean> {
  const timestamp = freshTimestamp();
  const url = new URL("/identity/v2/auth/account/2fa/push/device-token", account.origin);
  url.searchParams.set("apikey", account.apikey);
  const signature = await sign(account.privateKey, `token:${account.apikey}:${timestamp}:${deviceToken}`);
  return (await callJson(url, "PUT", { publicKey: account.publicKey, deviceToken, timestamp, signature })).ok;
}

/**
 * Bring every account's push token up to date (after notifications were allowed, or the browser replaced the
 * subscription): the accounts whose token changed, saved by the caller.
 */
export async function syncPushTokens(registration: ServiceWorkerRegistration | undefined, accounts: Account[]): Promise<Account[]> {
  const changed: Account[] = [];
  for (const a of accounts) {
    const token = await pushTokenFor(registration, a.origin, a.apikey);
    if (token === a.deviceToken || (token === "none" && a.deviceToken !== "none")) continue; // nothing better to say
    if (await updatePushToken(a, token)) changed.push({ ...a, deviceToken: token });
  }
  return changed;
}
