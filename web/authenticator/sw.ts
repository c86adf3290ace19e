/**
 * The authenticator's service worker (/authenticator/sw.js, scope /authenticator/): requests by Web Push while the
 * app is closed (contract 2.7). A push is shown only when its data verifies with the server key of an account this
 * browser holds (2.9); its notification offers Approve and Deny where number matching does not ask for a number,
 * and the worker answers itself, signing with the account's key from IndexedDB. Tapping the notification opens
 * the app on the request.
 */
import type { PushData, WebPushPayload } from "../shared/wire.js";
import { listAccounts, saveAccount, type Account } from "./account-store.js";
import { syncPushTokens } from "./push-token.js";
import { answerRequest } from "./gateway-calls.js";
import { verifyServerSignature } from "./server-signature.js";

// The worker's own globals, as far as this file uses them (web/ is checked with the DOM library, not WebWorker's).
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown } | null;
}
interface NotificationEvent extends ExtendableEvent {
  notification: Notification;
  action: string;
}
interface WindowClientLike {
  url: string;
  focused: boolean;
  focus(): Promise<unknown>;
  navigate(url: string): Promise<unknown>;
  postMessage(message: unknown): void;
}
interface WorkerScope {
  registration: ServiceWorkerRegistration;
  clients: {
    matchAll(o: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: "push", fn: (e: PushEvent) => void): void;
  addEventListener(type: "notificationclick", fn: (e: NotificationEvent) => void): void;
  addEventListener(type: "install" | "activate" | "pushsubscriptionchange", fn: (e: ExtendableEvent) => void): void;
}
declare const self: WorkerScope & Record<string, unknown>;

/** What a notification keeps, to answer or open its request later. */
interface NotificationData {
  accountId: string;
  push: PushData;
}

const APP = "/authenticator/";

self.addEventListener("install", (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

/** The account whose server key signed this data (the same app, the same user first). */
async function accountFor(data: PushData): Promise<Account | undefined> {
  const apikey = String(data?.apikey ?? "").toLowerCase();
  const candidates = (await listAccounts())
    .filter((a) => a.apikey.toLowerCase() === apikey)
    .sort((a, b) => Number(b.identifier === data.identifier) - Number(a.identifier === data.identifier));
  for (const a of candidates) if (await verifyServerSignature(data, a.serverKey)) return a;
  return undefined;
}

async function onPush(payload: Partial<WebPushPayload> | undefined): Promise<void> {
  const data = payload?.data;
  const account = data ? await accountFor(data) : undefined;
  if (!data || !account) {
    console.warn("A push did not verify with the server key of any account here: not shown.");
    return;
  }
  if (!(Date.parse(data.expiresAt) > Date.now())) return;
  // The app is in front of the user: it shows the request itself (a notification on top would say it twice).
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const front = windows.find((c) => c.focused && new URL(c.url).pathname === APP);
  if (front) {
    front.postMessage({ type: "request", accountId: account.id, data, body: payload?.notification?.body });
    return;
  }
  const message = data.message || payload?.notification?.body || account.message;
  const details = [data.identifier || account.identifier, data.browser, data.location].filter(Boolean).join(" · ");
  const notificationData: NotificationData = { accountId: account.id, push: data };
  // With number matching the number must be picked or typed in the app: a tap on the notification opens it there.
  const actions = data.challenge ? [{ action: "deny", title: "Deny" }] : [{ action: "approve", title: "Approve" }, { action: "deny", title: "Deny" }];
  await self.registration.showNotification(payload?.notification?.title || account.appName, {
    body: [message, details].filter(Boolean).join("\n"),
    tag: data.secondfactorauthenticationtoken,
    icon: `${APP}icon-192.png`,
    requireInteraction: true,
    data: notificationData,
    actions,
  } as NotificationOptions);
}

/** Tell open pages that a request was answered here, so they drop it. */
async function tellPages(handle: string): Promise<void> {
  for (const c of await self.clients.matchAll({ type: "window", includeUncontrolled: true })) c.postMessage({ type: "answered", handle });
}

/**
 * What a tap on a notification does: its Approve or Deny action answers from here; anywhere else opens (or
 * focuses) the app on that request. Also reachable as `self.onNotificationClick`, since a test browser's DevTools
 * protocol cannot press a notification's action button.
 */
async function onNotificationClick(notification: Notification, action: string): Promise<void> {
  notification.close();
  const { accountId, push } = (notification.data ?? {}) as Partial<NotificationData>;
  if (!push || !accountId) return;
  const handle = push.secondfactorauthenticationtoken;
  if (action === "approve" || action === "deny") {
    const account = (await listAccounts()).find((a) => a.id === accountId);
    if (!account) return;
    const outcome = await answerRequest(account, push, action === "approve" ? { verify: "Yes" } : { verify: "No" });
    await tellPages(handle);
    if (!outcome.ok) {
      await self.registration.showNotification(account.appName, { body: `Not answered: ${outcome.text}`, tag: handle, icon: `${APP}icon-192.png` });
    }
    return;
  }
  const target = `${APP}#request=${encodeURIComponent(handle)}`;
  const open = (await self.clients.matchAll({ type: "window", includeUncontrolled: true })).find((c) => new URL(c.url).pathname === APP);
  if (open) {
    await open.focus();
    await open.navigate(target).catch(() => undefined);
  } else {
    await self.clients.openWindow(target);
  }
}
self.onNotificationClick = onNotificationClick;

self.addEventListener("push", (e) => {
  let payload: Partial<WebPushPayload> | undefined;
  try {
    payload = e.data?.json() as Partial<WebPushPayload> | undefined;
  } catch {
    payload = undefined;
  }
  e.waitUntil(onPush(payload));
});
self.addEventListener("notificationclick", (e) => e.waitUntil(onNotificationClick(e.notification, e.action)));
// The browser replaced the subscription (expired, or rotated by the push service): every account's gateway is told.
self.addEventListener("pushsubscriptionchange", (e) =>
  e.waitUntil(
    listAccounts()
      .then((accounts) => syncPushTokens(self.registration, accounts))
      .then((changed) => Promise.all(changed.map(saveAccount))),
  ),
);
