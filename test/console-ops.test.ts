/// <reference lib="dom" />
import { readFile, mkdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { enrollWithoutLogin, sendId, uniqueEmail, type Enrolled } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { pushOfLogin } from "./support/pushes.js";
import { login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import { parseCsv } from "./support/csv.js";
import { hashToken } from "../src/crypto/tokens.js";

/**
 * The console's operations panels in real Chromium against a real gateway, worker, Redis and webhook receiver,
 * driven by accessible names: find a user by email, remove a device and see the audit say who did it; the
 * dashboard's chart counts a login just approved (read from its text summary); the audit's filters, paging and
 * CSV download; a job still being retried beside the dead letters. With CONSOLE_SCREENSHOTS=1 it also writes
 * docs/images/console-*.png for the README.
 */

const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === "1";
let gw: TestGateway;
let receiver: WebhookReceiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: { problems: string[] };
let dora: Enrolled;
let eve: Enrolled;

beforeAll(async () => {
  // A long backoff: a send that failed once stays "retrying" while the page shows it.
  gw = await startTestGateway({ env: { PUSH_BACKOFF_MS: "60000" } });
  receiver = await new WebhookReceiver("whsec-console-ops-browser-1").start();
  await useWebhook(gw, receiver, { ChallengeTtlSeconds: 900 });
  dora = await enrollWithoutLogin(gw, { email: uniqueEmail("dora") });
  eve = await enrollWithoutLogin(gw, { email: uniqueEmail("eve") });
  browser = await launchChromium();
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  page.on("dialog", (d) => void d.accept());
  problems = watchPage(page);
}, 60_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gw?.stop();
  await receiver?.close();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

const field = (label: string) => page.getByLabel(label, { exact: true });
const button = (name: string) => page.getByRole("button", { name, exact: true });

async function shot(section: string, file: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await mkdir("docs/images", { recursive: true });
  await page.locator("section", { has: page.getByRole("heading", { name: section, exact: true, level: 2 }) }).screenshot({ path: `docs/images/${file}` });
}

/** L2 and the phone's Yes; returns the challenge id. */
async function approvedLogin(user: Enrolled): Promise<string> {
  const token = (await login(gw, user.email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const push = await pushOfLogin(gw, receiver, token);
  expect((await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
  return (await gw.services.challenges.findByToken(hashToken(token)))!.id;
}

describe("the console's operations panels in Chromium", () => {
  it("signs in with the apisecret session, which may do every action", async () => {
    await page.goto(`${gw.url}/console`);
    await field("API key").fill(gw.apiKey);
    await field("API secret").fill(gw.apiSecret);
    await button("Sign in").click();
    await field("Find a user").waitFor({ timeout: 10_000 });
  });

  it("finds a user by email, removes a device: gone from the list, and the audit records it with who did it", async () => {
    await approvedLogin(dora);
    await field("Find a user").fill(dora.email.toUpperCase());
    await button("Search").click();
    await expect.poll(() => page.textContent("#user-title"), { timeout: 10_000 }).toBe(dora.email);
    const devices = page.locator("#user-devices tbody");
    await expect.poll(() => devices.textContent()).toContain("Test phone");
    const text = (await devices.textContent()) ?? "";
    expect(text).toContain("Android");
    expect(text).toContain("Webhook");
    expect(text).toContain("Active");
    expect(text).not.toContain("Never"); // used: it approved a sign-in
    expect(await page.locator("#user-challenges tbody").textContent()).toContain("Approved");
    expect(await page.textContent("#user-lock")).toBe("Not locked.");
    await shot("Users and devices", "console-users.png");

    await page.getByRole("button", { name: "Remove device Test phone" }).click();
    await expect.poll(() => page.textContent("#user-status"), { timeout: 10_000 }).toBe('Device "Test phone" removed.');
    await expect.poll(() => devices.textContent()).toBe("No push device.");
    expect(await gw.services.devices.list(gw.apiKey, dora.uid)).toEqual([]);

    const line = page.locator("#audit tbody tr", { hasText: 'Device "Test phone" removed' });
    await line.waitFor({ timeout: 10_000 });
    expect(await line.textContent()).toContain("(by app secret)");
    expect(await line.textContent()).toContain(dora.email);
  });

  it("the dashboard's chart shows a login just approved: the approved count of the current minute goes up", async () => {
    const summary = page.locator("#chart-outcomes-summary");
    const approvedNow = async () => Number(/Current minute: (\d+) approved/.exec((await summary.textContent()) ?? "")?.[1] ?? NaN);
    const approvedHour = async () => Number(/Over the last hour: (\d+) approved/.exec((await summary.textContent()) ?? "")?.[1] ?? NaN);
    await expect.poll(approvedHour, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const before = await approvedHour();
    await approvedLogin(eve);
    await expect.poll(approvedHour, { timeout: 10_000 }).toBe(before + 1);
    expect(await approvedNow()).toBeGreaterThanOrEqual(1);
    // Each chart is an image with a title, described by its summary.
    for (const id of ["chart-outcomes", "chart-pushes", "chart-delivery", "chart-answer"]) {
      const svg = page.locator(`#${id} svg`);
      expect(await svg.getAttribute("role")).toBe("img");
      expect(await svg.getAttribute("aria-describedby")).toBe(`${id}-summary`);
      expect(await page.locator(`#${id}-title`).textContent()).not.toBe("");
    }
    expect(await page.textContent("#chart-delivery-summary")).toMatch(/Webhook: \d+ sent, 0 failed/);
    expect(await page.textContent("#chart-answer-summary")).toMatch(/half within/);
    await shot("Dashboard", "console-dashboard.png");
    await field("Period").selectOption({ label: "Last week (per hour)" });
    await expect.poll(() => page.textContent("#chart-outcomes-summary")).toMatch(/Over the last week: \d+ approved/);
  });

  it("the audit filters by outcome and user", async () => {
    await field("Outcome").selectOption({ label: "Approved" });
    await button("Apply filters").click();
    const outcomes = page.locator("#audit tbody tr td:nth-child(4)");
    await expect.poll(async () => [...new Set(await outcomes.allTextContents())]).toEqual(["Approved"]);
    await field("User").fill(eve.email);
    await button("Apply filters").click();
    await expect.poll(() => page.locator("#audit tbody tr").count()).toBe(1);
    expect(await page.locator("#audit tbody tr").textContent()).toContain("Sign-in approved");
    expect(await page.locator("#audit tbody tr").textContent()).toContain('Pushed to "Test phone" via Webhook');
    await button("Clear filters").click();
    await expect.poll(() => page.locator("#audit tbody tr").count()).toBeGreaterThan(1);
    await shot("Audit", "console-audit.png");
  });

  it("the audit's CSV export downloads, parses, and holds the approved sign-in", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), button("Export CSV").click()]);
    expect(download.suggestedFilename()).toMatch(/^push-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const rows = parseCsv(await readFile((await download.path())!, "utf8"));
    expect(rows[0]).toEqual(["Date", "User", "Uid", "Event", "Outcome", "Test", "By", "Challenge", "Details"]);
    const row = rows.find((r) => r[1] === eve.email && r[3] === "Sign-in approved")!;
    expect(row[4]).toBe("approved");
    expect(row[2]).toBe(eve.uid);
    expect(row[8]).toContain("Approved on the phone");
  });

  it("pages back through the audit and forward again", async () => {
    // More lines than a page holds (25): settings changes, each its own line.
    for (let i = 0; i < 30; i++) await gw.services.audit.record(gw.apiKey, { type: "settings.changed", detail: `change ${i}` });
    await expect.poll(() => page.locator("#audit tbody tr").count(), { timeout: 10_000 }).toBe(25);
    const first = await page.locator("#audit tbody tr").first().getAttribute("data-line");
    await button("Older").click();
    await expect.poll(() => page.textContent("#audit-page")).toBe("Page 2 (older events)");
    const second = await page.locator("#audit tbody tr").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.line));
    expect(second).not.toContain(first);
    expect(await page.locator("#audit tbody").textContent()).toContain("Sign-in approved");
    await button("Newer").click();
    await expect.poll(() => page.locator("#audit tbody tr").first().getAttribute("data-line")).toBe(first);
  });

  it("the dead letters panel shows a job still being retried, with its attempts", async () => {
    receiver.script.push(500);
    const token = (await login(gw, eve.email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const c = (await gw.services.challenges.findByToken(hashToken(token)))!;
    const row = page.locator(`#retrying tbody tr[data-job="${sendId(c, eve.device.id)}"]`);
    await row.waitFor({ timeout: 15_000 });
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("1 of 5");
    expect(text).toContain("500");
    await shot("Dead letters", "console-dead-letters.png");
  });

  it("issues backup codes from the user's panel and shows them once", async () => {
    await field("Find a user").fill(eve.email);
    await button("Search").click();
    await expect.poll(() => page.textContent("#user-title"), { timeout: 10_000 }).toBe(eve.email);
    await button("Issue backup codes").click();
    const codes = page.getByRole("list", { name: "Backup codes" }).getByRole("listitem");
    await expect.poll(() => codes.count(), { timeout: 10_000 }).toBe(10);
    await button("Hide the codes").click();
    expect(await codes.count()).toBe(0);
  });

  it("signing out clears every panel; no page error or CSP refusal happened", async () => {
    await button("Sign out").click();
    expect(await page.locator("#audit tbody tr").count()).toBe(0);
    expect(await page.locator("#dashboard > *").count()).toBe(0);
    expect(await page.isHidden("#user-detail")).toBe(true);
    expect(problems.problems).toEqual([]);
  });
});
