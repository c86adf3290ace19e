/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext } from "playwright-core";
import { makeApnsTestPki, type ApnsTestPki } from "./support/apns-pki.js";
import { launchChromium, watchPage } from "./support/browser.js";
import { TestPage } from "./support/cluster.js";
import { putSettings, uniqueEmail } from "./support/delivery.js";
import { FakePushService } from "./support/fake-push-service.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { createAccount, login } from "./support/scenario.js";

/**
 * The authenticator app's Web Push from end to end (contracts 2.7 and 2.10): the app enrolls with its browser's
 * push subscription, the gateway encrypts and sends the login's push to the push service, and what the push
 * service would hand the browser reaches the app's service worker, which shows it and approves from the
 * notification. Two stand-ins, both because headless Chromium has no push service of its own: the subscription the
 * page gets from `PushManager` is one this test made at its local push service (it holds the keys, so it can
 * decrypt what the gateway sends, as the browser would), and the decrypted message is handed to the worker through
 * the DevTools protocol (`ServiceWorker.deliverPushMessage`), the way Chromium's own push service would deliver it.
 */

let pki: ApnsTestPki;
let service: FakePushService;
let gw: TestGateway;
let browser: Browser;
let context: BrowserContext;
const problems: string[] = [];

beforeAll(async () => {
  pki = makeApnsTestPki();
  service = await new FakePushService(pki.server).start();
  gw = await startTestGateway({ webPushCa: pki.caPem });
  await putSettings(gw, { IsEnabled: true, CustomAppName: "Acme Web", Message: "Approve your sign-in to Acme", NotificationService: "Native" });
  const vapid = await call<{ PublicKey: string }>(gw.url, "GET", "/identity/v2/auth/push/vapid-public-key", { query: { apikey: gw.apiKey } });
  service.expectedKey = vapid.body.PublicKey;
  browser = await launchChromium();
  context = await browser.newContext();
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gw?.stop();
  await service?.close();
  pki?.remove();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
  expect(problems).toEqual([]);
});

describe("the authenticator app with Web Push", () => {
  it("enrolls with its push subscription; a login's push, encrypted by the gateway, reaches the worker, whose notification approves it", async () => {
    const origin = new URL(gw.services.config.PUBLIC_URL).origin;
    await context.grantPermissions(["notifications"], { origin });
    const sub = service.subscribe();
    // The page's PushManager hands out the subscription this test made (see above), made with the key asked for.
    await context.addInitScript((json) => {
      let made: { endpoint: string; options: { applicationServerKey: ArrayBuffer }; toJSON(): unknown } | null = null;
      PushManager.prototype.getSubscription = async () => made as unknown as PushSubscription | null;
      PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
        const key = options?.applicationServerKey as Uint8Array;
        made = { endpoint: json.endpoint, options: { applicationServerKey: key.slice().buffer }, toJSON: () => json };
        return made as unknown as PushSubscription;
      };
    }, sub.subscription);

    const email = uniqueEmail("webpush");
    const { Uid: uid } = await createAccount(gw, email);
    const app = await context.newPage();
    const watched = watchPage(app);
    await app.goto(`${origin}/authenticator/`);
    await app.evaluate(() => navigator.serviceWorker.ready);
    const app_ = (await gw.services.apps.get(gw.apiKey))!;
    const qr = await gw.services.enrollment.issue({ appId: gw.apiKey, uid }, await gw.services.settings.get(app_.apiKey, app_.name));
    await app.getByLabel("Enrollment link").fill(qr.PushQRCodeDetails.Url);
    await app.getByRole("button", { name: "Add account" }).click();
    await app.getByRole("listitem").filter({ hasText: email }).waitFor({ timeout: 15_000 });
    // The gateway keeps the subscription as this device's push token.
    const [device] = await gw.services.devices.list(gw.apiKey, uid);
    expect(device?.type).toBe("web");
    expect(device?.active).toBe(true);

    // The app is closed; a page elsewhere on the origin holds the DevTools session.
    problems.push(...watched.problems);
    await app.close();
    const helper = await context.newPage();
    await helper.goto(`${origin}/healthz`);
    const cdp = await context.newCDPSession(helper);
    const registrationId = await new Promise<string>((resolve) => {
      cdp.on("ServiceWorker.workerRegistrationUpdated", (e: { registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> }) => {
        const r = e.registrations.find((x) => x.scopeURL.endsWith("/authenticator/") && !x.isDeleted);
        if (r) resolve(r.registrationId);
      });
      void cdp.send("ServiceWorker.enable");
    });
    const worker = context.serviceWorkers().find((w) => w.url().endsWith("/authenticator/sw.js"))!;

    const res = await login(gw, email);
    expect(res.status).toBe(200);
    const page = TestPage.open(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const sent = await service.nthRequestTo(sub, 1);
    expect(sent.problem, sent.problem).toBeUndefined();
    // What the push service hands the browser: the decrypted message, byte for byte as the gateway encrypted it.
    await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify(sent.payload) });
    const handle = sent.payload!.data.secondfactorauthenticationtoken!;
    const shown = async () =>
      worker.evaluate(async (tag) => {
        const list = await (self as unknown as { registration: ServiceWorkerRegistration }).registration.getNotifications({ tag });
        return list.map((n) => ({ title: n.title, body: n.body }));
      }, handle);
    await expect.poll(shown, { timeout: 15_000 }).toHaveLength(1);
    expect((await shown())[0]).toMatchObject({ title: "Acme Web", body: expect.stringContaining("Approve your sign-in to Acme") });

    // Approve, as the notification's action (DevTools cannot press the button: the worker's own handling is called).
    await worker.evaluate(async (tag) => {
      const scope = self as unknown as { registration: ServiceWorkerRegistration; onNotificationClick: (n: Notification, action: string) => Promise<void> };
      const [n] = await scope.registration.getNotifications({ tag });
      await scope.onNotificationClick(n!, "approve");
    }, handle);
    expect((await page.waitFor((s) => s.Status === "Approved")).Login?.Profile.Email[0]?.Value).toBe(email);
    page.socket.disconnect();
    await cdp.detach();
    await helper.close();
  });
});
