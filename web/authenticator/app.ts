/**
 * The authenticator app (contract 2.10, /authenticator/): its accounts, and the sign-in requests waiting for them,
 * which come by the device channel while the page is open, by the signed pull when it opens or regains focus, and
 * by Web Push (the service worker, sw.ts) while it is closed. Nothing is shown that the app's server did not sign.
 */
import type { Socket } from "socket.io-client";
import { byId as $, describeError, say as sayIn, type Tone } from "../shared/page.js";
import { loadSocketIo, type IoFactory } from "../shared/socket-io.js";
import type { DevicePush, PushData } from "../shared/wire.js";
import { deleteAccount, listAccounts, saveAccount, type Account } from "./account-store.js";
import { openDeviceChannel } from "./device-channel.js";
import { enroll, parseEnrollmentLink } from "./enrollment.js";
import { syncPushTokens } from "./push-token.js";
import { answerRequest, ENDED_CODES, pullPending, removeFromGateway } from "./gateway-calls.js";
import { requestView } from "./request-view.js";
import { startScanner } from "./scanner.js";
import { verifyServerSignature } from "./server-signature.js";

const say = (text: string, tone: Tone = "") => sayIn($("status"), text, tone);

/** What the service worker tells the open app. */
type WorkerMessage = { type: "answered"; handle: string } | { type: "request"; accountId: string; data: PushData; body?: string } | undefined;

interface Shown {
  account: Account;
  region: HTMLElement;
  since: number;
  timer: ReturnType<typeof setTimeout>;
}

let accounts: Account[] = [];
const sockets = new Map<string, Socket>();
/** The requests on screen, by device handle (one per sign-in, whichever way it arrived). */
const shown = new Map<string, Shown>();
let io: IoFactory | undefined;
/** The service worker's registration, once made (undefined where the browser has none). */
let registration: Promise<ServiceWorkerRegistration | undefined> = Promise.resolve(undefined);

// ---- accounts ----

function renderAccounts(): void {
  const list = $("accounts");
  list.replaceChildren(
    ...accounts.map((a) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "account-name";
      const app = document.createElement("strong");
      app.textContent = a.appName;
      const who = document.createElement("span");
      who.textContent = a.identifier;
      const where = document.createElement("small");
      where.textContent = new URL(a.origin).host;
      name.append(app, who, where);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Remove";
      remove.addEventListener("click", () => void removeAccount(a));
      li.append(name, remove);
      return li;
    }),
  );
  $("no-accounts").hidden = accounts.length > 0;
}

async function addAccount(text: string): Promise<void> {
  const link = parseEnrollmentLink(text);
  if (!link) {
    say("That is not an enrollment link: paste the link shown under the sign-in page's QR code.", "error");
    return;
  }
  $<HTMLButtonElement>("add").disabled = true;
  say("Adding the account…");
  try {
    // Asked while the user's tap is still fresh, so requests can show as notifications when the app is closed.
    if ("Notification" in window && Notification.permission === "default") await Notification.requestPermission().catch(() => "default");
    const result = await enroll(link, deviceName(), await registration);
    if ("error" in result) {
      say(result.error, "error");
      return;
    }
    await saveAccount(result.account);
    accounts.push(result.account);
    renderAccounts();
    offerNotifications();
    $<HTMLInputElement>("enroll-link").value = "";
    say(`Added ${result.account.appName} (${result.account.identifier}). Its sign-in requests now come here.`, "ok");
    connect(result.account);
    await pull(result.account);
  } finally {
    $<HTMLButtonElement>("add").disabled = false;
  }
}

/**
 * The gateway is told first (the signed self-removal: its device goes, as if the user had removed it), then the key
 * is deleted, so this browser can never answer for the account again. A gateway that refuses still loses the key
 * here, and the page says the gateway could not be told; one that does not answer keeps the account unless the user says
 * to remove it here only (a gateway gone for good).
 */
async function removeAccount(a: Account): Promise<void> {
  const name = `${a.appName} (${a.identifier})`;
  if (!confirm(`Remove ${name} from this device? You will need a new enrollment link to add it again.`)) return;
  say(`Removing ${name}…`);
  const told = await removeFromGateway(a);
  if (!told.ok && !told.reached && !confirm(`${new URL(a.origin).host} did not answer. Remove ${name} from this device only?`)) {
    say(`${name} was not removed: its gateway did not answer. Try again when online.`, "error");
    return;
  }
  sockets.get(a.id)?.disconnect();
  sockets.delete(a.id);
  await deleteAccount(a.id);
  accounts = accounts.filter((x) => x.id !== a.id);
  for (const [handle, s] of shown) if (s.account.id === a.id) drop(handle);
  renderAccounts();
  // 1313: the gateway had no device with this key any more (removed by the user or an admin already).
  if (told.ok || told.code === 1313) say(`Removed ${name} from this device and its gateway.`);
  else say(`Removed ${name} from this device, but its gateway could not be told: ${told.text}`, "error");
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "a browser";
  return `Authenticator on ${os}`;
}

// ---- requests ----

/** Show a request, once, if its server signature verifies with the account's server key. */
async function offer(account: Account, data: PushData, notificationBody?: string): Promise<void> {
  const handle = data?.secondfactorauthenticationtoken;
  if (typeof handle !== "string" || shown.has(handle)) return;
  if (String(data.apikey).toLowerCase() !== account.apikey.toLowerCase() || !(await verifyServerSignature(data, account.serverKey))) {
    console.warn(`A sign-in request for ${account.appName} did not verify with its server key: not shown.`);
    return;
  }
  const left = Date.parse(data.expiresAt) - Date.now();
  if (!(left > 0) || shown.has(handle)) return;
  const region = requestView(
    { appName: account.appName, message: data.message || notificationBody || account.message, identifier: account.identifier, data },
    async (verdict) => {
      const outcome = await answerRequest(account, data, verdict);
      if (outcome.ok) {
        say(`${account.appName}: ${outcome.text}.`, "ok");
        drop(handle);
      } else if (outcome.code !== undefined && ENDED_CODES.has(outcome.code)) {
        say(`${account.appName}: ${outcome.text}`, "error");
        drop(handle);
      }
      return outcome;
    },
  );
  shown.set(handle, { account, region, since: Date.now(), timer: setTimeout(() => drop(handle), Math.min(left, 2 ** 31 - 1)) });
  $("requests").prepend(region);
  $("no-requests").hidden = true;
  if (location.hash === `#request=${encodeURIComponent(handle)}`) region.scrollIntoView();
}

/** The request left the screen: answered, ended elsewhere, expired, or its account removed. */
function drop(handle: string): void {
  const s = shown.get(handle);
  if (!s) return;
  clearTimeout(s.timer);
  s.region.remove();
  shown.delete(handle);
  $("no-requests").hidden = shown.size > 0;
  // Its notification, if the service worker showed one, goes too.
  void navigator.serviceWorker
    ?.getRegistration("/authenticator/")
    .then((r) => r?.getNotifications({ tag: handle }))
    .then((list) => list?.forEach((n) => n.close()))
    .catch(() => undefined);
}

/** The signed pull: what waits now is shown; what was shown before the pull began and is no longer waiting ended elsewhere. */
async function pull(account: Account): Promise<void> {
  const started = Date.now();
  const waiting = await pullPending(account);
  if (!waiting) return;
  const handles = new Set(waiting.map((d) => d?.secondfactorauthenticationtoken));
  for (const [handle, s] of shown) if (s.account.id === account.id && s.since < started && !handles.has(handle)) drop(handle);
  for (const data of waiting) await offer(account, data);
}

const pullAll = () => Promise.all(accounts.map((a) => pull(a).catch(() => undefined)));

function connect(account: Account): void {
  if (!io) return;
  sockets.get(account.id)?.disconnect();
  sockets.set(
    account.id,
    openDeviceChannel(io, account, {
      onPush: (push: DevicePush) => void offer(account, push.data, push.notification?.body),
      onEnded: (handle) => {
        if (shown.get(handle)?.account.id === account.id) drop(handle);
      },
      onConnected: () => void pull(account),
      onRefused: (error) =>
        say(error.ErrorCode === 1313 ? `${account.appName} (${account.identifier}) is no longer enrolled on its gateway: remove it and add it again.` : `${account.appName}: ${describeError(error)}`, "error"),
    }),
  );
}

// ---- notifications ----

/**
 * Where notifications are not decided yet (an account added before they were allowed, or an iPhone's app opened
 * from the Home Screen for the first time), a button asks: the browser only asks on a tap.
 */
function offerNotifications(): void {
  const button = $<HTMLButtonElement>("notifications");
  button.hidden = !("Notification" in window) || Notification.permission !== "default" || accounts.length === 0;
  button.onclick = async () => {
    await Notification.requestPermission().catch(() => "default");
    button.hidden = true;
    await refreshPushTokens();
  };
}

/** Give each account's gateway this browser's push subscription where it has changed (2.8's token update). */
async function refreshPushTokens(): Promise<void> {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  for (const a of await syncPushTokens(await registration, accounts)) {
    await saveAccount(a);
    accounts = accounts.map((x) => (x.id === a.id ? a : x));
  }
}

// ---- start ----

/** `#request=<handle>` (a tapped notification): bring that request into view once it is shown. */
function showRequestFromHash(): void {
  const m = /^#request=(.+)$/.exec(location.hash);
  if (!m) return;
  let handle = "";
  try {
    handle = decodeURIComponent(m[1]!);
  } catch {
    return;
  }
  shown.get(handle)?.region.scrollIntoView();
  void pullAll();
}

function enrollFromHash(): void {
  showRequestFromHash();
  const m = /^#enroll=(.+)$/.exec(location.hash);
  if (!m) return;
  // The link is used once: it leaves the address bar (and the history entry) before anything else.
  history.replaceState(null, "", location.pathname + location.search);
  let link = "";
  try {
    link = decodeURIComponent(m[1]!);
  } catch {
    say("The enrollment link in the address is damaged: paste it instead.", "error");
    return;
  }
  $<HTMLInputElement>("enroll-link").value = link;
  // A link from anywhere can open this address: an account of another gateway than this app's is added only when
  // the user says so (it would be named by whatever that gateway answers).
  const target = parseEnrollmentLink(link);
  if (target && target.origin !== location.origin && !confirm(`Add an account from ${target.host}?`)) {
    say(`Not added: the link was for ${target.host}.`);
    return;
  }
  void addAccount(link);
}

async function start(): Promise<void> {
  if (!window.isSecureContext || !crypto.subtle || !("indexedDB" in window)) {
    $("insecure").hidden = false;
    return;
  }
  $<HTMLFormElement>("add-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    void addAccount($<HTMLInputElement>("enroll-link").value);
  });
  startScanner($("scan"), (text) => {
    $<HTMLInputElement>("enroll-link").value = text;
    void addAccount(text);
  });
  if ("serviceWorker" in navigator) {
    registration = navigator.serviceWorker.register("/authenticator/sw.js", { scope: "/authenticator/" }).catch((err: unknown) => {
      console.warn("service worker not registered:", err);
      return undefined;
    });
    navigator.serviceWorker.addEventListener("message", (ev: MessageEvent<WorkerMessage>) => {
      const m = ev.data;
      // The worker answered from a notification: the request is over here too.
      if (m?.type === "answered" && typeof m.handle === "string") drop(m.handle);
      // A Web Push arrived while this page is in front: shown here, checked again like any other.
      const account = m?.type === "request" ? accounts.find((a) => a.id === m.accountId) : undefined;
      if (account && m?.type === "request") void offer(account, m.data, m.body);
    });
  }
  accounts = await listAccounts();
  renderAccounts();
  io = await loadSocketIo(new URL("/", location.origin));
  for (const a of accounts) connect(a);
  void pullAll();
  enrollFromHash();
  window.addEventListener("hashchange", enrollFromHash);
  offerNotifications();
  void refreshPushTokens();
  window.addEventListener("focus", () => void pullAll());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void pullAll();
  });
  document.body.dataset.ready = "true";
}

start().catch((err: unknown) => say(String(err), "error"));
