/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { deletePrefix, startTestGateway, testPrefix, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";

/**
 * The demo pages in real Chromium, on a gateway started as `npm start` starts it (development, demo app
 * bootstrapped): the login page and the phone simulator in two tabs; a node restarted while the page waits; the
 * browser client polling when the socket path is blocked.
 */

const prefix = testPrefix();
/** As `npm start` in development: no bootstrap app, so the demo app is made (and kept under the prefix). */
const devEnv = { NODE_ENV: "development", BOOTSTRAP_API_KEY: "", BOOTSTRAP_API_SECRET: "" };
const startNode = (env: Record<string, string> = {}) => startTestGateway({ prefix, env: { ...devEnv, ...env } });

let A: TestGateway;
let browser: Browser;
let context: BrowserContext;
const problems: string[] = [];
const user = { email: `browser-${Date.now()}@example.com`, password: "correct horse battery" };

async function open(url: string, ctx: BrowserContext = context): Promise<Page> {
  const page = await ctx.newPage();
  const watched = watchPage(page);
  page.on("close", () => problems.push(...watched.problems));
  await page.goto(url);
  return page;
}

/** Fill the login form and press "Sign in" (the form is reset by nothing: the fields keep their values). */
async function signIn(page: Page, who = user): Promise<void> {
  await page.fill("#email", who.email);
  await page.fill("#password", who.password);
  await page.click("#signin");
}

/** The phone tab's card for the newest sign-in of `email`, once it is there. */
async function approveOnPhone(phone: Page, email: string): Promise<void> {
  const card = phone.locator("#pushes li", { hasText: email }).first();
  await card.waitFor({ timeout: 15_000 });
  await card.locator("button.approve").click();
  await expect.poll(() => card.locator(".outcome").textContent(), { timeout: 10_000 }).toBe("Approved");
}

beforeAll(async () => {
  A = await startNode();
  expect(A.bootstrap.demo?.apiKey).toBeTruthy();
  browser = await launchChromium();
  context = await browser.newContext();
}, 60_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await A?.stop();
  await deletePrefix(prefix);
  expect(problems).toEqual([]);
});

describe("the demo pages in Chromium", () => {
  let phone: Page;

  it("sign up, sign in, enroll the phone tab from the QR link, approve: the login page shows the profile", async () => {
    const page = await open(`${A.url}/demo/`);
    phone = await open(`${A.url}/demo/phone`);

    await page.fill("#email", user.email);
    await page.fill("#password", user.password);
    await page.click("#signup");
    await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).toContain("created");

    await page.click("#signin");
    await page.locator("#enroll").waitFor();
    expect(await page.getAttribute("#qr", "src")).toMatch(/^data:image\/png;base64,/);
    const enrollUrl = await page.inputValue("#enroll-url");
    expect(enrollUrl).toContain("/push/enroll/");
    await expect.poll(() => page.textContent("#transport"), { timeout: 10_000 }).toContain("socket");

    await phone.fill("#enroll-url", enrollUrl);
    await phone.click("#enroll");
    await expect.poll(() => phone.textContent("#conn"), { timeout: 10_000 }).toBe("connected");
    // The login waiting for this enrollment reaches the phone at once.
    await approveOnPhone(phone, user.email);

    await page.locator("#done").waitFor({ timeout: 10_000 });
    expect(await page.textContent("#profile")).toContain(user.email);
    expect(await page.textContent("#latency")).toMatch(/reached this page \d+ ms after/);

    // Signed out and in again: the phone is enrolled, the push goes straight to its socket.
    await page.click("#signout");
    await signIn(page);
    await page.locator("#waiting").waitFor();
    expect(await page.isHidden("#enroll")).toBe(true);
    await expect.poll(() => page.textContent("#delivery"), { timeout: 10_000 }).toContain("sent");
    await approveOnPhone(phone, user.email);
    await page.locator("#done").waitFor({ timeout: 10_000 });
    expect(await page.textContent("#profile")).toContain(user.email);
    expect(A.logs.some((l) => l.includes('"provider":"socket"') && l.includes("push sent"))).toBe(true);
    await page.close();
  });

  it("the browser client falls back to polling L4 when the socket path is blocked, and still resolves", async () => {
    const page = await context.newPage();
    const watched = watchPage(page);
    await page.route("**/socket.io/**", (route) => route.abort());
    await page.routeWebSocket(/\/socket\.io\//, (ws) => ws.close());
    await page.goto(`${A.url}/demo/`);
    await signIn(page);
    await expect.poll(() => page.textContent("#transport"), { timeout: 10_000 }).toContain("polling");
    await approveOnPhone(phone, user.email);
    await page.locator("#done").waitFor({ timeout: 15_000 });
    expect(await page.textContent("#profile")).toContain(user.email);
    expect(await page.textContent("#latency")).toContain("polling");
    expect(watched.problems).toEqual([]);
    await page.close();
  });

  it("the page still learns the outcome when its gateway node restarts while it waits (the phone answers on another node)", async () => {
    const B = await startNode();
    try {
      const other = { email: `restart-${Date.now()}@example.com`, password: user.password };
      const page = await open(`${A.url}/demo/`);
      // No polling here: the outcome must come through the socket, reconnected to the restarted node.
      await page.route("**/push/ping**", (route) => route.abort());
      // The phone simulator served by node B: another origin, another key, another device socket.
      const phoneB = await open(`${B.url}/demo/phone`);
      await page.fill("#email", other.email);
      await page.fill("#password", other.password);
      await page.click("#signup");
      await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).toContain("created");
      await page.click("#signin");
      await page.locator("#enroll").waitFor();
      await expect.poll(() => page.textContent("#transport"), { timeout: 10_000 }).toContain("socket");
      await phoneB.fill("#enroll-url", await page.inputValue("#enroll-url"));
      await phoneB.click("#enroll");
      const card = phoneB.locator("#pushes li", { hasText: other.email }).first();
      await card.waitFor({ timeout: 15_000 });

      // Node A goes away with the page's socket; the phone answers on B meanwhile; A comes back on its port.
      const port = A.port;
      await A.stop();
      await card.locator("button.approve").click();
      await expect.poll(() => card.locator(".outcome").textContent(), { timeout: 10_000 }).toBe("Approved");
      expect(await page.isVisible("#done")).toBe(false);
      A = await startNode({ PORT: String(port) });

      await page.locator("#done").waitFor({ timeout: 20_000 });
      expect(await page.textContent("#profile")).toContain(other.email);
      expect(await page.textContent("#transport")).toContain("socket");
      expect(await page.textContent("#latency")).toMatch(/reached this page \d+ ms after/);
      await phoneB.close();
      await page.close();
    } finally {
      await B.stop();
    }
    // Two node starts, a stop, two scrypt logins and a socket reconnect with backoff: slow on a loaded 2-core box.
  }, 90_000);

  it("number matching: the page shows the number, the phone offers three and approves with the one picked", async () => {
    const demo = A.bootstrap.demo!;
    const headers = { "X-LoginRadius-ApiKey": demo.apiKey, "X-LoginRadius-ApiSecret": demo.apiSecret };
    const path = "/v2/manage/2fa/push-notification-settings";
    const current = await call(A.url, "GET", path, { headers });
    expect((await call(A.url, "PUT", path, { headers, json: { ...current.body, NumberMatching: "PickOne" } })).status).toBe(200);

    const page = await open(`${A.url}/demo/`);
    await signIn(page);
    await page.locator("#number").waitFor({ timeout: 10_000 });
    const number = (await page.textContent("#number-value"))!;
    expect(number).toMatch(/^\d{2}$/);
    const card = phone.locator("#pushes li", { hasText: user.email }).first();
    await expect.poll(() => card.locator("button.pick").count(), { timeout: 15_000 }).toBe(3);
    await card.locator("button.pick", { hasText: number }).click();
    await card.locator("button.approve").click();
    await page.locator("#done").waitFor({ timeout: 10_000 });
    expect(await page.textContent("#profile")).toContain(user.email);
    await page.close();
  });
});
