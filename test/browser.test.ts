/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { deletePrefix, startTestGateway, testPrefix, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";

/**
 * The demo pages in real Chromium, on a gateway started as `npm start` starts it (development, demo app
 * bootstrapped): the login page and the authenticator app (the demo's phone) in two tabs; a node restarted while
 * the page waits; the browser client polling when the socket path is blocked. The app is driven by its roles and
 * accessible names, as test/authenticator.test.ts does.
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

/** The authenticator's request for the sign-in of `email`, once it is there. */
const requestIn = (phone: Page, email: string) => phone.getByRole("region", { name: "Sign-in request", exact: true }).filter({ hasText: email }).first();

/** Approve the sign-in of `email` in the authenticator tab; resolves once the app says it was approved. */
async function approveOnPhone(phone: Page, email: string): Promise<void> {
  const request = requestIn(phone, email);
  await request.getByRole("button", { name: "Approve" }).click({ timeout: 15_000 });
  await expect.poll(() => phone.getByRole("status").first().textContent(), { timeout: 10_000 }).toContain("Approved");
  await request.waitFor({ state: "detached" });
}

/** Paste an enrollment link into the authenticator and wait until the account is listed. */
async function addAccount(phone: Page, link: string, email: string): Promise<void> {
  await phone.getByLabel("Enrollment link").fill(link);
  await phone.getByRole("button", { name: "Add account" }).click();
  await phone.getByRole("listitem").filter({ hasText: email }).waitFor({ timeout: 15_000 });
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

  it("sign up, sign in, open the authenticator from the QR section's link, approve there: the login page shows the profile", async () => {
    const page = await open(`${A.url}/demo/`);

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

    // "Use the authenticator app": the app, in a new tab, adds the account from the link in its address.
    const link = page.getByRole("link", { name: "Use the authenticator app" });
    expect(await link.getAttribute("href")).toBe(`${new URL(enrollUrl).origin}/authenticator/#enroll=${encodeURIComponent(enrollUrl)}`);
    const opened = context.waitForEvent("page");
    await link.click();
    phone = await opened;
    const watched = watchPage(phone);
    phone.on("close", () => problems.push(...watched.problems));
    await phone.getByRole("listitem").filter({ hasText: user.email }).waitFor({ timeout: 15_000 });
    // The login waiting for this enrollment reaches the app at once.
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

  // A node of its own (not the shared A), so a second attempt starts clean. One retry: this test drives a real
  // browser through a node's stop and restart on a loaded 2-core box, and once in many full runs a step stalled
  // there (never in isolation); each step below is bounded and named, so a stall says where it was.
  it("the page still learns the outcome when its gateway node restarts while it waits (the phone answers on another node)", { retry: 1, timeout: 120_000 }, async () => {
    const within = <T>(ms: number, what: string, step: Promise<T>): Promise<T> =>
      Promise.race([step, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`stalled: ${what} (${ms} ms)`)), ms).unref())]);
    let C = await within(30_000, "starting node C", startNode());
    const B = await within(30_000, "starting node B", startNode());
    try {
      const other = { email: `restart-${Date.now()}@example.com`, password: user.password };
      const page = await open(`${C.url}/demo/`);
      // No polling here: the outcome must come through the socket, reconnected to the restarted node.
      await page.route("**/push/ping**", (route) => route.abort());
      // The authenticator served by node B, talking to B: another origin, another key, another device socket.
      const phoneB = await open(`${B.url}/authenticator/`);
      await page.fill("#email", other.email);
      await page.fill("#password", other.password);
      await page.click("#signup");
      await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).toContain("created");
      await page.click("#signin");
      await page.locator("#enroll").waitFor({ timeout: 15_000 });
      await expect.poll(() => page.textContent("#transport"), { timeout: 10_000 }).toContain("socket");
      // The enrollment link names PUBLIC_URL (node C's host); the same deployment answers it on B.
      const link = new URL(await page.inputValue("#enroll-url"));
      await addAccount(phoneB, `${B.url}${link.pathname}${link.search}`, other.email);
      const request = requestIn(phoneB, other.email);
      await request.waitFor({ timeout: 15_000 });

      // Node C goes away with the page's socket; the phone answers on B meanwhile; C comes back on its port.
      const port = C.port;
      await within(20_000, "node C to stop", C.stop());
      await request.getByRole("button", { name: "Approve" }).click();
      await request.waitFor({ state: "detached", timeout: 10_000 });
      expect(await page.isVisible("#done")).toBe(false);
      C = await within(30_000, "node C to start again on its port", startNode({ PORT: String(port) }));

      await page.locator("#done").waitFor({ timeout: 20_000 });
      expect(await page.textContent("#profile")).toContain(other.email);
      expect(await page.textContent("#transport")).toContain("socket");
      expect(await page.textContent("#latency")).toMatch(/reached this page \d+ ms after/);
      await phoneB.close();
      await page.close();
    } finally {
      await within(20_000, "node B to stop", B.stop());
      await within(20_000, "node C to stop at the end", C.stop());
    }
  });

  it("number matching: the page shows the number, the app offers three and approves with the one picked", async () => {
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
    const request = requestIn(phone, user.email);
    await expect.poll(() => request.getByRole("button", { name: /^\d{2}$/ }).count(), { timeout: 15_000 }).toBe(3);
    await request.getByRole("button", { name: number, exact: true }).click();
    await page.locator("#done").waitFor({ timeout: 10_000 });
    expect(await page.textContent("#profile")).toContain(user.email);
    await page.close();
  });
});
