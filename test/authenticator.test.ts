/// <reference lib="dom" />
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, CDPSession, Locator, Page, Worker } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { TestPage } from "./support/cluster.js";
import { challengeOfToken, uniqueEmail } from "./support/delivery.js";
import { deletePrefix, startTestGateway, testPrefix, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import type { PushMessage } from "../src/delivery/push-provider.js";
import { webPushPayloadOf } from "../workers/providers/web-push-payload.js";

/**
 * The authenticator app (contract 2.10) in real Chromium against a real gateway, driven only by what a person
 * sees: the roles and accessible names of its page. Headless Chromium has no push service, so the app enrolls with
 * `deviceToken: "none"`; what a Web Push would bring is handed to its service worker through the DevTools protocol
 * (`ServiceWorker.deliverPushMessage`), with the very payload the Web Push provider sends (2.7).
 *
 * `UPDATE_SCREENSHOTS=1` also writes the phone-sized pictures of docs/AUTHENTICATOR.md into docs/images/.
 */

const prefix = testPrefix();
let gw: TestGateway;
let receiver: WebhookReceiver;
let browser: Browser;
let context: BrowserContext;
/** Where the enrollment links point (PUBLIC_URL), so the app is same-origin with its gateway. */
let origin: string;
const problems: string[] = [];
const screenshots = process.env.UPDATE_SCREENSHOTS === "1";

const PHONE = { viewport: { width: 390, height: 760 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** A fresh enrollment link for an account with no login waiting (as L9 gives a signed-in user). */
async function enrollmentLink(uid: string): Promise<string> {
  const app = (await gw.services.apps.get(gw.apiKey))!;
  const qr = await gw.services.enrollment.issue({ appId: gw.apiKey, uid }, await gw.services.settings.get(app.apiKey, app.name));
  return qr.PushQRCodeDetails.Url;
}

async function openApp(): Promise<Page> {
  const page = await context.newPage();
  const watched = watchPage(page);
  page.on("close", () => problems.push(...watched.problems));
  await page.goto(`${origin}/authenticator/`);
  return page;
}

/** Paste the link, press Add account, and wait until the account is listed. */
async function addAccount(app: Page, link: string, email: string): Promise<void> {
  await app.getByLabel("Enrollment link").fill(link);
  await app.getByRole("button", { name: "Add account" }).click();
  await account(app, email).waitFor({ timeout: 15_000 });
}

const account = (app: Page, email: string): Locator => app.getByRole("listitem").filter({ hasText: email });
const requestOf = (app: Page, email: string): Locator => app.getByRole("region", { name: "Sign-in request", exact: true }).filter({ hasText: email });

/** A new user whose only device is this app (added by a pasted link). */
async function userInApp(app: Page, tag: string): Promise<{ email: string; uid: string }> {
  const email = uniqueEmail(tag);
  const { Uid: uid } = await createAccount(gw, email);
  await addAccount(app, await enrollmentLink(uid), email);
  return { email, uid };
}

/** L2 for `email`, with the login page's socket open on it. */
async function signIn(email: string): Promise<{ token: string; page: TestPage }> {
  const res = await login(gw, email);
  expect(res.status).toBe(200);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  return { token, page: TestPage.open(gw, token) };
}

async function setNumberMatching(mode: "Off" | "PickOne" | "Typed"): Promise<void> {
  await useWebhook(gw, receiver, { NumberMatching: mode, Message: "Is it you signing in?" });
}

async function shoot(target: Page, name: string): Promise<void> {
  mkdirSync(new URL("../docs/images/", import.meta.url), { recursive: true });
  await target.screenshot({ path: new URL(`../docs/images/${name}.png`, import.meta.url).pathname });
}

beforeAll(async () => {
  receiver = await new WebhookReceiver("authenticator-test-secret").start();
  gw = await startTestGateway({ prefix });
  await setNumberMatching("Off");
  origin = new URL(gw.services.config.PUBLIC_URL).origin;
  browser = await launchChromium();
  context = await browser.newContext(PHONE);
  await context.grantPermissions(["notifications"], { origin });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gw?.stop();
  await receiver?.close();
  await deletePrefix(prefix);
  expect(problems).toEqual([]);
});

describe("the authenticator app", () => {
  let app: Page;

  it("is served as an installable app: the page, its manifest with maskable 192 and 512 icons, the service worker in its scope", async () => {
    const page = await call(gw.url, "GET", "/authenticator/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("worker-src 'self'");
    const manifest = await call<{ scope: string; start_url: string; display: string; icons: Array<{ src: string; sizes: string; purpose: string }> }>(gw.url, "GET", "/authenticator/manifest.webmanifest");
    expect(manifest.headers.get("content-type")).toMatch(/^application\/manifest\+json/);
    expect(manifest.body).toMatchObject({ scope: "/authenticator/", start_url: "/authenticator/", display: "standalone" });
    for (const size of ["192x192", "512x512"]) {
      const icon = manifest.body.icons.find((i) => i.sizes === size && i.purpose.includes("maskable"))!;
      const res = await fetch(new URL(icon.src, gw.url));
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await res.arrayBuffer()).subarray(1, 4).toString()).toBe("PNG");
    }
    const sw = await call(gw.url, "GET", "/authenticator/sw.js");
    expect(sw.headers.get("content-type")).toMatch(/^text\/javascript/);
    // Only its own files: anything else under the path is the contract's JSON 404, never a file of the server.
    for (const path of ["/authenticator/nothing.js", "/authenticator/..%2F..%2Fpackage.json", "/authenticator/app.ts", "/authenticator/sw.js%00", "/authenticator/tsconfig.json"]) {
      const res = await call(gw.url, "GET", path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toMatch(/^application\/json/);
    }
  });

  it("adds an account by a pasted link; a login's request comes by the device channel while open, and Approve reaches the login's socket", async () => {
    app = await openApp();
    await expect.poll(() => app.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active?.scriptURL ?? ""))).toContain("/authenticator/sw.js");
    // Chromium's own verdict on the manifest, icons and worker: nothing stops "Install app" but the test's
    // browser context itself, which is an incognito one.
    const devtools = await context.newCDPSession(app);
    const { installabilityErrors } = (await devtools.send("Page.getInstallabilityErrors")) as { installabilityErrors: Array<{ errorId: string }> };
    expect(installabilityErrors.filter((e) => e.errorId !== "in-incognito")).toEqual([]);
    await devtools.detach();
    const email = uniqueEmail("app");
    await createAccount(gw, email);
    // The login is waiting for an enrollment: the account added, its request arrives at once.
    const res = await login(gw, email);
    expect(res.status).toBe(200);
    const sfa = res.body.SecondFactorAuthentication as { SecondFactorAuthenticationToken: string; PushQRCode: unknown; PushQRCodeDetails?: { Url: string } };
    // The QR's link.
    const link = sfa.PushQRCodeDetails!.Url;
    const waiting = TestPage.open(gw, sfa.SecondFactorAuthenticationToken);

    await addAccount(app, link, email);
    const item = account(app, email);
    expect(await item.textContent()).toContain("Acme Authenticator");
    const request = requestOf(app, email);
    await request.waitFor({ timeout: 15_000 });
    expect(await request.textContent()).toContain("Is it you signing in?");
    expect(await request.textContent()).toMatch(/Chrome/);
    await request.getByRole("button", { name: "Approve" }).click();
    const approved = await waiting.waitFor((s) => s.Status === "Approved");
    expect(approved.Login?.Profile.Email[0]?.Value).toBe(email);
    await request.waitFor({ state: "detached" });

    // Signed in again while the app is open: the request comes over the device channel, acknowledged there.
    const again = await signIn(email);
    await requestOf(app, email).getByRole("button", { name: "Approve" }).click();
    expect((await again.page.waitFor((s) => s.Status === "Approved")).Login).toBeTruthy();
    const challenge = await challengeOfToken(gw, again.token);
    await gw.waitForLog((l) => l.includes(challenge.id) && l.includes('"provider":"socket"') && l.includes("push sent"));
    again.page.socket.disconnect();
    waiting.socket.disconnect();
  });

  it("number matching PickOne: one button per number, named by it; picking the page's number approves", async () => {
    await setNumberMatching("PickOne");
    try {
      const { email } = await userInApp(app, "pick");
      const { page } = await signIn(email);
      const number = (await page.waitFor((s) => s.Number !== undefined)).Number!;
      const request = requestOf(app, email);
      await request.waitFor({ timeout: 15_000 });
      expect(await request.getByRole("button", { name: "Approve" }).count()).toBe(0);
      await expect.poll(() => request.getByRole("button", { name: /^\d{2}$/ }).count()).toBe(3);
      await request.getByRole("button", { name: number, exact: true }).click();
      expect((await page.waitFor((s) => s.Status === "Approved")).Login).toBeTruthy();
      page.socket.disconnect();
    } finally {
      await setNumberMatching("Off");
    }
  });

  it("number matching Typed: a Number field and Approve; a wrong number is refused and the login denied, the right one approves", async () => {
    await setNumberMatching("Typed");
    try {
      const { email } = await userInApp(app, "typed");
      const { page } = await signIn(email);
      const number = (await page.waitFor((s) => s.Number !== undefined)).Number!;
      const request = requestOf(app, email);
      await request.waitFor({ timeout: 15_000 });
      await request.getByLabel("Number").fill(number);
      await request.getByRole("button", { name: "Approve" }).click();
      expect((await page.waitFor((s) => s.Status === "Approved")).Login).toBeTruthy();
      await request.waitFor({ state: "detached" });
      page.socket.disconnect();

      const second = await signIn(email);
      const shown = (await second.page.waitFor((s) => s.Number !== undefined)).Number!;
      const wrong = String((Number(shown) + 1) % 100).padStart(2, "0");
      await requestOf(app, email).getByLabel("Number").fill(wrong);
      await requestOf(app, email).getByRole("button", { name: "Approve" }).click();
      // L5 answers 1297 and the login is denied: the page hears Denied, and the request leaves the app (push:ended).
      expect((await second.page.waitFor((s) => s.Status === "Denied")).Error?.ErrorCode).toBe(1312);
      await requestOf(app, email).waitFor({ state: "detached" });
      second.page.socket.disconnect();
    } finally {
      await setNumberMatching("Off");
    }
  });

  it("a request approved on another device disappears from the app", async () => {
    const { email, uid } = await userInApp(app, "elsewhere");
    const phone = new TestPhone();
    expect((await phone.enroll(await enrollmentLink(uid))).status).toBe(200);
    const { token, page } = await signIn(email);
    const request = requestOf(app, email);
    await request.waitFor({ timeout: 15_000 });
    const push = await pushOfLogin(gw, receiver, token);
    expect((await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
    await page.waitFor((s) => s.Status === "Approved");
    await request.waitFor({ state: "detached", timeout: 15_000 });
    page.socket.disconnect();
  });

  it("a request whose data was altered on the way is not shown (its server signature fails), and the app says so only in the console", async () => {
    const { email } = await userInApp(app, "forged");
    const other = await openApp();
    const warned = other.waitForEvent("console", { predicate: (m) => m.type() === "warning" && m.text().includes("did not verify"), timeout: 15_000 });
    // This page's device channel is blocked: its requests come by the pull only, altered here on the way.
    await other.routeWebSocket(/\/socket\.io\//, (ws) => ws.close());
    await other.route("**/push/pending**", async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { Data: Array<Record<string, string>> };
      for (const d of body.Data) d.location = "Somewhere else";
      await route.fulfill({ response: res, json: body });
    });
    const { page } = await signIn(email);
    await page.waitFor((s) => s.Delivery?.State === "Sent");
    await other.reload();
    await warned;
    expect(await requestOf(other, email).count()).toBe(0);
    // The untouched app shows it.
    await requestOf(app, email).waitFor({ timeout: 15_000 });
    await requestOf(app, email).getByRole("button", { name: "Deny" }).click();
    expect((await page.waitFor((s) => s.Status === "Denied")).Error?.ErrorCode).toBe(1312);
    page.socket.disconnect();
    await other.close();
  });

  it("with the app closed, a Web Push reaches the service worker, which shows a notification whose Approve answers the login; the app opens on the request", async () => {
    const { email, uid } = await userInApp(app, "push");
    // A second device (webhook) for the same user: the data of a login is the same for every device, so its copy is
    // the payload the Web Push provider would have sent the app.
    const phone = new TestPhone();
    expect((await phone.enroll(await enrollmentLink(uid))).status).toBe(200);
    await app.close();
    const helper = await context.newPage();
    await helper.goto(`${origin}/healthz`);
    const cdp = await context.newCDPSession(helper);
    const registrationId = await serviceWorkerRegistration(cdp);
    const worker = context.serviceWorkers().find((w) => w.url().endsWith("/authenticator/sw.js"))!;

    const { token, page } = await signIn(email);
    const push = await pushOfLogin(gw, receiver, token);
    // The very plaintext the Web Push provider encrypts for a web device (workers/providers/web-push-payload.ts).
    const payload = webPushPayloadOf({ data: push.data as unknown as PushMessage["data"], notification: push.notification })!;
    // An altered copy first: no notification.
    await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify({ ...payload, data: { ...push.data, browser: "Evil" } }) });
    await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify(payload) });
    const handle = push.data.secondfactorauthenticationtoken!;
    await expect.poll(() => notifications(worker), { timeout: 15_000 }).toHaveLength(1);
    const [shown] = await notifications(worker);
    expect(shown).toMatchObject({ title: "Acme Authenticator", tag: handle, actions: ["approve", "deny"] });
    expect(shown!.body).toContain("Is it you signing in?");
    expect(shown!.body).not.toContain("Evil");

    // DevTools cannot press a notification's action button: the worker's own click handling is called, with the
    // notification it showed and the action "approve", as its notificationclick listener calls it.
    await worker.evaluate(async (tag) => {
      const scope = self as unknown as { registration: ServiceWorkerRegistration; onNotificationClick: (n: Notification, action: string) => Promise<void> };
      const [n] = await scope.registration.getNotifications({ tag });
      await scope.onNotificationClick(n!, "approve");
    }, handle);
    expect((await page.waitFor((s) => s.Status === "Approved")).Login?.Profile.Email[0]?.Value).toBe(email);
    expect(await notifications(worker)).toHaveLength(0);
    page.socket.disconnect();

    // A tap on the notification itself (no action) opens the app at #request=<handle>. The worker's openWindow
    // needs the user activation of a real tap, which DevTools cannot give: the address it opens is opened here.
    const next = await signIn(email);
    const nextPush = await pushOfLogin(gw, receiver, next.token);
    const reopened = await context.newPage();
    await reopened.goto(`${origin}/authenticator/#request=${encodeURIComponent(nextPush.data.secondfactorauthenticationtoken!)}`);
    await requestOf(reopened, email).getByRole("button", { name: "Deny" }).click({ timeout: 15_000 });
    expect((await next.page.waitFor((s) => s.Status === "Denied")).Error?.ErrorCode).toBe(1312);
    next.page.socket.disconnect();
    await reopened.close();
    await cdp.detach();
    await helper.close();
    app = await openApp();
  });

  it("a Web Push arriving while the app is in front is shown in the app, not as a notification", async () => {
    const { email, uid } = await userInApp(app, "front");
    const phone = new TestPhone();
    expect((await phone.enroll(await enrollmentLink(uid))).status).toBe(200);
    // This page hears nothing by the device channel: what it shows can only come through its worker.
    const front = await openApp();
    await front.routeWebSocket(/\/socket\.io\//, (ws) => ws.close());
    await front.reload();
    await front.bringToFront();
    const cdp = await context.newCDPSession(front);
    const registrationId = await serviceWorkerRegistration(cdp);
    const worker = context.serviceWorkers().find((w) => w.url().endsWith("/authenticator/sw.js"))!;
    const { token, page } = await signIn(email);
    const push = await pushOfLogin(gw, receiver, token);
    const payload = webPushPayloadOf({ data: push.data as unknown as PushMessage["data"], notification: push.notification })!;
    await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify(payload) });
    await requestOf(front, email).getByRole("button", { name: "Approve" }).click({ timeout: 15_000 });
    expect((await page.waitFor((s) => s.Status === "Approved")).Login).toBeTruthy();
    expect(await notifications(worker)).toHaveLength(0);
    page.socket.disconnect();
    await cdp.detach();
    await front.close();
  });

  it("two accounts side by side; Remove takes one off this device (its key deleted) and its gateway, and keeps the other", async () => {
    const first = await userInApp(app, "left");
    const second = await userInApp(app, "right");
    expect(await gw.services.devices.list(gw.apiKey, first.uid)).toHaveLength(1);
    app.once("dialog", (d) => void d.accept());
    await account(app, first.email).getByRole("button", { name: "Remove" }).click();
    await account(app, first.email).waitFor({ state: "detached" });
    await expect.poll(() => app.getByRole("status").textContent()).toContain("from this device and its gateway");
    // The gateway no longer lists the device (the admin's view), and the user's next login offers the QR again.
    const listed = await call<{ Data: unknown[] }>(gw.url, "GET", `/v2/manage/account/${first.uid}/push/devices`, { headers: secretHeaders(gw) });
    expect(listed.body.Data).toEqual([]);
    expect((await login(gw, first.email)).body.SecondFactorAuthentication.IsPushDeviceRegistered).toBe(false);
    expect((await gw.services.devices.list(gw.apiKey, second.uid)).length).toBe(1);
    await app.reload();
    await account(app, second.email).waitFor();
    expect(await account(app, first.email).count()).toBe(0);
    // The kept account still answers.
    const { page } = await signIn(second.email);
    await requestOf(app, second.email).getByRole("button", { name: "Approve" }).click();
    expect((await page.waitFor((s) => s.Status === "Approved")).Login).toBeTruthy();
    page.socket.disconnect();
  });

  it("Not me denies the login as fraud, and the user is locked: the next login is refused 1198", async () => {
    const { email, uid } = await userInApp(app, "notme");
    const { page } = await signIn(email);
    await requestOf(app, email).getByRole("button", { name: "Not me" }).click();
    expect((await page.waitFor((s) => s.Status === "Denied")).Error?.ErrorCode).toBe(1312);
    await requestOf(app, email).waitFor({ state: "detached" });
    const next = await login(gw, email);
    expect(next.status).toBe(403);
    expect(next.body.ErrorCode).toBe(1198);
    page.socket.disconnect();
    await call(gw.url, "DELETE", `/v2/manage/account/${uid}/push/lock`, { headers: secretHeaders(gw) });
  });

  it("opening /authenticator/#enroll= with a link adds the account and clears the link from the address", async () => {
    const email = uniqueEmail("hash");
    const { Uid: uid } = await createAccount(gw, email);
    const link = await enrollmentLink(uid);
    await app.goto(`${origin}/authenticator/#enroll=${encodeURIComponent(link)}`);
    await account(app, email).waitFor({ timeout: 15_000 });
    expect(new URL(app.url()).hash).toBe("");
  });

  it("an #enroll= link naming another gateway than the app's own is added only if the user confirms its host", async () => {
    const email = uniqueEmail("foreign");
    const { Uid: uid } = await createAccount(gw, email);
    // The same enrollment, addressed to another origin (as a link from a stranger's mail would be).
    const link = new URL(await enrollmentLink(uid));
    const foreign = `${gw.url}${link.pathname}${link.search}`;
    expect(new URL(foreign).origin).not.toBe(origin);
    const asked = app.waitForEvent("dialog");
    await app.goto(`${origin}/authenticator/#enroll=${encodeURIComponent(foreign)}`);
    const dialog = await asked;
    expect(dialog.message()).toContain(new URL(foreign).host);
    await dialog.dismiss();
    await expect.poll(() => app.getByRole("status").first().textContent()).toContain("Not added");
    expect(await account(app, email).count()).toBe(0);
    // The link is still unused: the user's own app can add it.
    await addAccount(app, link.href, email);
    await app.close();
  });
});

describe.runIf(screenshots)("the pictures of docs/AUTHENTICATOR.md", () => {
  it("a fresh phone: two accounts, a request, a request with number matching", async () => {
    const phone = await browser.newContext(PHONE);
    try {
      const app = await phone.newPage();
      await app.goto(`${origin}/authenticator/`);
      const ada = "ada@example.com";
      const grace = "grace@example.com";
      for (const email of [ada, grace]) {
        const { Uid } = await createAccount(gw, email);
        await addAccount(app, await enrollmentLink(Uid), email);
      }
      await app.getByRole("status").first().evaluate((e) => (e.textContent = ""));
      await shoot(app, "authenticator-accounts");
      const first = await signIn(ada);
      await requestOf(app, ada).waitFor({ timeout: 15_000 });
      await shoot(app, "authenticator-request");
      await requestOf(app, ada).getByRole("button", { name: "Deny" }).click();
      await first.page.waitFor((s) => s.Status === "Denied");
      first.page.socket.disconnect();
      await setNumberMatching("PickOne");
      const second = await signIn(grace);
      await requestOf(app, grace).waitFor({ timeout: 15_000 });
      await app.getByRole("status").first().evaluate((e) => (e.textContent = ""));
      await shoot(app, "authenticator-number-matching");
      second.page.socket.disconnect();
    } finally {
      await setNumberMatching("Off");
      await phone.close();
    }
  });
});

/** The app's service worker registration id, as DevTools numbers it. */
async function serviceWorkerRegistration(cdp: CDPSession): Promise<string> {
  const found = new Promise<string>((resolve) => {
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e: { registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> }) => {
      const r = e.registrations.find((x) => x.scopeURL.endsWith("/authenticator/") && !x.isDeleted);
      if (r) resolve(r.registrationId);
    });
  });
  await cdp.send("ServiceWorker.enable");
  return found;
}

/** What the worker shows now. */
function notifications(worker: Worker): Promise<Array<{ title: string; body: string; tag: string; actions: string[] }>> {
  return worker.evaluate(async () => {
    const scope = self as unknown as { registration: ServiceWorkerRegistration };
    const list = await scope.registration.getNotifications();
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, actions: ((n as unknown as { actions?: Array<{ action: string }> }).actions ?? []).map((a) => a.action) }));
  });
}
