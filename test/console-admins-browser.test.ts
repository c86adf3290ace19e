/// <reference lib="dom" />
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { hashToken } from "../src/crypto/tokens.js";
import { launchChromium, watchPage } from "./support/browser.js";
import { enrollWithoutLogin, type Enrolled } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { ADMIN_PASSWORD, CONSOLE_API, approveOnPhone, makeAdmin, type SignInAnswer } from "./support/console-admins.js";

/**
 * Contract 2.14 in real Chromium: a named admin signs in with email and password, their phone (the test's, by a
 * signed pull) approves the push, and the console opens on their app with a session cookie the page cannot read.
 * A viewer has no button to remove a device and the server refuses it anyway; an operator cannot change the
 * settings; a page of another origin cannot use the cookie; an expired session and a sign-out leave the console.
 */

let gw: TestGateway;
let browser: Browser;
let evil: Server;
let evilUrl: string;
let user: Enrolled;
const watched: Array<{ problems: string[] }> = [];

beforeAll(async () => {
  gw = await startTestGateway();
  await makeAdmin(gw, "viewer@example.com", "viewer", gw.apiKey);
  await makeAdmin(gw, "operator@example.com", "operator", gw.apiKey);
  // The tenant's push on (the user overview reads its push settings); no provider is needed here.
  await gw.services.settings.put(gw.apiKey, "Bootstrap app", { IsEnabled: true, NotificationService: "Native" });
  user = await enrollWithoutLogin(gw);
  browser = await launchChromium();
  // Another origin of the same site (127.0.0.1, another port): SameSite=Strict lets the cookie through to the
  // gateway from here, so only the Origin check stands between this page and the console's API.
  evil = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>elsewhere</title>"));
  await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => evil?.close(resolve));
  await gw?.stop();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

/** Sign in at /console as `email`; `phone` approves. Returns the page, signed in, with its context. */
async function signIn(email: string, phone: TestPhone): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  watched.push(watchPage(page));
  await page.goto(`${gw.url}/console`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  const answered = page.waitForResponse((r) => r.url().endsWith(CONSOLE_API.signIn));
  await page.getByRole("button", { name: "Send me a push" }).click();
  const started = (await (await answered).json()) as SignInAnswer;
  // First sign-in: the page shows the enrollment QR, as a login page does after L2.
  const qr = started.SecondFactorAuthentication.PushQRCodeDetails;
  if (qr) {
    await page.locator("#admin-qr").waitFor({ state: "visible", timeout: 10_000 });
    expect(await page.getAttribute("#admin-qr", "src")).toBe(qr.Image);
    expect(await page.getAttribute("#admin-authenticator", "href")).toBe(qr.AuthenticatorUrl);
  }
  await approveOnPhone(gw, phone, started);
  await page.locator("#admin-row").waitFor({ state: "visible", timeout: 15_000 });
  await page.getByLabel("Custom App Name", { exact: true }).waitFor({ timeout: 10_000 });
  return { context, page };
}

/** A management call made by the page's own script (its cookie, its origin). */
const fromPage = (page: Page, method: string, path: string, body?: unknown) =>
  page.evaluate(
    async ([m, p, k, b]) => {
      const res = await fetch(p, { method: m, headers: { "X-LoginRadius-ApiKey": k, "content-type": "application/json" }, ...(b !== undefined && { body: JSON.stringify(b) }) });
      return { status: res.status, body: (await res.json()) as { ErrorCode?: number; Description?: string } };
    },
    [method, path, gw.apiKey, body] as const,
  );

const consoleCookie = async (context: BrowserContext) => (await context.cookies(gw.url)).find((c) => c.name === "pmg_console");

describe("console admins in Chromium", () => {
  let viewer: { context: BrowserContext; page: Page };
  const viewerPhone = new TestPhone("p256");

  it("an admin's sign-in approved by a push lands in the console, with an httpOnly SameSite=Strict cookie the page cannot read", async () => {
    viewer = await signIn("viewer@example.com", viewerPhone);
    const { page, context } = viewer;
    expect(await page.textContent("#admin-email")).toBe("viewer@example.com");
    expect(await page.textContent("#admin-role")).toBe("viewer");
    expect(await page.textContent("#app-key")).toBe(gw.apiKey);
    const cookie = await consoleCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false, path: "/" });
    expect(await page.evaluate(() => document.cookie)).toBe("");
    // Nothing of the sign-in is kept by the page itself.
    expect(await page.evaluate(() => [sessionStorage.getItem("pmg.console.apisecret"), localStorage.length])).toEqual([null, 0]);
  });

  it("a viewer has no button to remove a device, change settings or send a test push; the server refuses the removal 403", async () => {
    const { page } = viewer;
    await page.getByLabel("Find a user").fill(user.email);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect.poll(() => page.locator("#user-devices tbody tr[data-device]").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByRole("button", { name: /^Remove device/ }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Reset push" }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "SAVE" }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Send test push" }).isVisible()).toBe(false);
    expect(await page.isVisible("#settings-readonly")).toBe(true);

    for (const path of [`/v2/manage/account/${user.uid}/push/devices/${user.device.id}`, `/identity/v2/manage/account/2fa/authenticator/push/${user.uid}`]) {
      const refused = await fromPage(page, "DELETE", path);
      expect(refused, path).toMatchObject({ status: 403, body: { ErrorCode: 901, Description: expect.stringMatching(/viewer/) } });
    }
    expect(await gw.services.devices.list(gw.apiKey, user.uid)).toHaveLength(1);
  });

  it("a page of another origin with the cookie cannot act: its POST is refused and the session lives on", async () => {
    const page = await viewer.context.newPage();
    await page.goto(evilUrl);
    // A test push named by the apikey in the query: without the cookie it would be refused 400 (923, no apisecret);
    // 403 says the cookie came along and the Origin check refused it.
    const refusedLine = gw.waitForLog((l) => l.includes('"route":"/v2/manage/push/test"') && l.includes('"status":403'));
    await page.evaluate(
      async ([target, key]) => {
        // The answer itself is kept from this page (Cross-Origin-Resource-Policy), hence the catch: what matters
        // is that the request reached the gateway and how it was answered (the log line above).
        await fetch(`${target}/v2/manage/push/test?apikey=${key}`, { method: "POST", mode: "no-cors", credentials: "include", body: "{}" }).catch(() => undefined);
      },
      [gw.url, gw.apiKey] as const,
    );
    await refusedLine;
    await page.close();
    const me = await fromPage(viewer.page, "GET", CONSOLE_API.me);
    expect(me.status).toBe(200);
  });

  it("an operator sees the device button but no SAVE; the server refuses their settings change 403", async () => {
    const operator = await signIn("operator@example.com", new TestPhone("p256"));
    const { page } = operator;
    expect(await page.textContent("#admin-role")).toBe("operator");
    await page.getByLabel("Find a user").fill(user.email);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("button", { name: /^Remove device/ }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole("button", { name: "Reset push" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Send test push" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "SAVE" }).isVisible()).toBe(false);
    const refused = await fromPage(page, "PUT", "/v2/manage/2fa/push-notification-settings", { ChallengeTtlSeconds: 200 });
    expect(refused).toMatchObject({ status: 403, body: { ErrorCode: 901, Description: expect.stringMatching(/operator/) } });
    expect((await gw.services.settings.get(gw.apiKey, "x")).ChallengeTtlSeconds).not.toBe(200);
    await operator.context.close();
  });

  it("an expired session leaves the console: a reload shows the sign-in", async () => {
    const cookie = (await consoleCookie(viewer.context))!;
    await gw.services.redis.del(gw.services.keys.consoleSession(hashToken(cookie.value)));
    await viewer.page.reload();
    await viewer.page.locator("#admin-form").waitFor({ state: "visible", timeout: 10_000 });
    expect(await viewer.page.isHidden("#console")).toBe(true);
  });

  it("sign-out ends the session on the server and the browser forgets the cookie", async () => {
    await viewer.context.close();
    viewer = await signIn("viewer@example.com", viewerPhone);
    const cookie = (await consoleCookie(viewer.context))!;
    await viewer.page.getByRole("button", { name: "Sign out" }).click();
    await viewer.page.locator("#admin-form").waitFor({ state: "visible", timeout: 10_000 });
    await expect.poll(() => consoleCookie(viewer.context), { timeout: 10_000 }).toBeUndefined();
    const replay = await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: `pmg_console=${cookie.value}` } });
    expect(replay.body).toMatchObject({ ErrorCode: 905 });
    await viewer.context.close();
    expect(watched.flatMap((w) => w.problems)).toEqual([]);
  });
});
