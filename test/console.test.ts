/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { enrollWithoutLogin, sendId, settle, waitUntil, type Enrolled } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { secretHeaders } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import { saveSettings, storedSettingsOf } from "./support/console.js";

/**
 * The console (/console) in real Chromium against a real gateway, Redis and webhook receiver: sign in with the
 * app's apikey and apisecret, edit the settings of contract 1.5 found by their labels, SAVE, reload, see them
 * (secrets masked); a bad webhook URL's message beside its field; a test push that reaches the receiver and shows
 * in the recent challenges; a dead letter retried from its row. The tests run in order on one page.
 */

const SIGNING_SECRET = "whsec-console-signing-secret-01";
const SETTINGS_PATH = "/v2/manage/2fa/push-notification-settings";
const DEAD_LETTERS_PATH = "/v2/manage/push/dead-letters";

let gw: TestGateway;
let receiver: WebhookReceiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: { problems: string[] };
let user: Enrolled;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver(SIGNING_SECRET).start();
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
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

/** The text of the element that describes a field and holds its validation message (aria-describedby "err-…"). */
async function messageOf(input: Locator): Promise<string> {
  const ids = ((await input.getAttribute("aria-describedby")) ?? "").split(/\s+/);
  const errorId = ids.find((id) => id.startsWith("err-"));
  if (!errorId) throw new Error("the field has no error element");
  return (await page.locator(`#${errorId}`).textContent()) ?? "";
}

async function signIn(): Promise<void> {
  await field("API key").fill(gw.apiKey);
  await field("API secret").fill(gw.apiSecret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await field("Custom App Name").waitFor({ timeout: 10_000 });
}

const save = () => saveSettings(page);

const storedSettings = () => storedSettingsOf(gw);

describe("the console in Chromium", () => {
  it("refuses a wrong secret, then signs in with the apikey and apisecret kept in sessionStorage only", async () => {
    await page.goto(`${gw.url}/console`);
    await field("API key").fill(gw.apiKey);
    await field("API secret").fill("not-the-secret");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).toContain("The API secret is unauthorized (902)");
    expect(await page.isHidden("#console")).toBe(true);

    await signIn();
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([2, 0, ""]);
    expect(await context.cookies()).toEqual([]);
    expect(await page.textContent("#app-key")).toBe(gw.apiKey);
    // The defaults of a new app: push off, Native.
    expect(await field("Enable Push Notifications").isChecked()).toBe(false);
    expect(await field("Push Notification Service").inputValue()).toBe("Native");
  });

  it("changes the settings by their labels, SAVEs, and after a reload shows them with the secrets masked", async () => {
    await field("Enable Push Notifications").check();
    await field("Custom App Name").fill("Acme Console");
    // Only the chosen service's fields are shown.
    await field("Push Notification Service").selectOption({ label: "AWS SNS" });
    expect(await field("Access Key").isVisible()).toBe(true);
    expect(await field("Secret Access Key").isVisible()).toBe(true);
    expect(await field("Region").isVisible()).toBe(true);
    expect(await field("Android Platform ARN").isVisible()).toBe(true);
    expect(await field("Webhook URL").isVisible()).toBe(false);
    await field("Push Notification Service").selectOption({ label: "Native" });
    expect(await field("Access Key").isVisible()).toBe(false);
    expect(await field("Android Platform ARN").isVisible()).toBe(false);
    expect(await field("iOS Platform ARN").isVisible()).toBe(false);
    await field("Webhook URL").fill(receiver.url);
    await field("Signing Secret").fill(SIGNING_SECRET);
    await field("Enable Android").check();
    await field("Play Store URL").fill("https://play.google.com/store/apps/details?id=com.acme.auth");
    await field("Enable iOS").uncheck();
    await field("App Store URL").fill("https://apps.apple.com/app/id123456789");
    await field("Number matching").selectOption("Typed");
    await field("Challenge lifetime (seconds)").fill("180");
    expect(await save()).toBe("Saved.");
    expect(await field("Signing Secret").inputValue()).toBe("****");

    const stored = await storedSettings();
    expect(stored).toMatchObject({
      IsEnabled: true,
      CustomAppName: "Acme Console",
      NotificationService: "Native",
      NativeSettings: { WebhookUrl: receiver.url, SigningSecret: SIGNING_SECRET },
      AndroidSettings: { Enabled: true, PlaystoreUrl: "https://play.google.com/store/apps/details?id=com.acme.auth" },
      IOSsettings: { Enabled: false, AppstoreUrl: "https://apps.apple.com/app/id123456789" },
      NumberMatching: "Typed",
      ChallengeTtlSeconds: 180,
    });

    await page.reload();
    await expect.poll(() => field("Custom App Name").inputValue(), { timeout: 10_000 }).toBe("Acme Console");
    expect(await field("Enable Push Notifications").isChecked()).toBe(true);
    expect(await field("Push Notification Service").inputValue()).toBe("Native");
    expect(await field("Webhook URL").inputValue()).toBe(receiver.url);
    expect(await field("Signing Secret").inputValue()).toBe("****");
    expect(await field("Enable Android").isChecked()).toBe(true);
    expect(await field("Enable iOS").isChecked()).toBe(false);
    expect(await field("Play Store URL").inputValue()).toBe("https://play.google.com/store/apps/details?id=com.acme.auth");
    expect(await field("App Store URL").inputValue()).toBe("https://apps.apple.com/app/id123456789");
    expect(await field("Number matching").inputValue()).toBe("Typed");
    expect(await field("Challenge lifetime (seconds)").inputValue()).toBe("180");
    expect(await page.content()).not.toContain(SIGNING_SECRET);

    // Saving with the mask left in place keeps the stored secret.
    await field("Custom App Name").fill("Acme Authenticator");
    expect(await save()).toBe("Saved.");
    expect((await storedSettings()).NativeSettings.SigningSecret).toBe(SIGNING_SECRET);
    expect((await storedSettings()).CustomAppName).toBe("Acme Authenticator");
  });

  it("a wrong webhook URL shows its message next to the field, and nothing is saved", async () => {
    const url = field("Webhook URL");
    await url.fill("not a url");
    expect(await save()).toMatch(/^Not saved/);
    expect(await messageOf(url)).toBe("must be an http(s) URL");
    expect(await url.getAttribute("aria-invalid")).toBe("true");
    expect(await messageOf(field("Custom App Name"))).toBe("");
    expect((await storedSettings()).NativeSettings.WebhookUrl).toBe(receiver.url);

    // Fixed, the message goes away.
    await url.fill(receiver.url);
    expect(await save()).toBe("Saved.");
    expect(await messageOf(url)).toBe("");
    expect(await url.getAttribute("aria-invalid")).toBeNull();
  });

  it("sends a test push that reaches the webhook receiver; the audit shows it, then its approval", async () => {
    user = await enrollWithoutLogin(gw, { email: `console-${Date.now()}@example.com` });
    const before = receiver.pushes.length;
    await field("User email").fill(user.email);
    await page.getByRole("button", { name: "Send test push" }).click();
    await expect.poll(() => page.textContent("#test-status"), { timeout: 10_000 }).toBe("Test push sent to 1 device.");
    const push = (await receiver.waitFor(before + 1)).at(-1)!;
    expect(push.signatureValid).toBe(true);
    expect(push.device.token).toBe(user.phone.deviceToken);
    expect(push.data.identifier).toBe(user.email);
    expect(push.data.browser).toBe("Test push from the console");
    expect(push.notification.title).toBe("Acme Authenticator");

    const challenge = (await gw.services.challenges.pendingOf(gw.apiKey, user.uid))!;
    // The audit's line of this challenge: the user by email, labelled a test push, no answer yet.
    const row = page.locator(`#audit tbody tr[data-challenge="${challenge.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain(user.email);
    expect(await row.locator("td").nth(2).textContent()).toContain("Test push");
    expect(await row.locator("td").nth(3).textContent()).toBe("No answer yet");

    // The phone approves (Typed number matching: the number the page would show); the list follows within a poll.
    const handle = push.data.secondfactorauthenticationtoken!;
    expect((await user.phone.answer(gw.url, gw.apiKey, handle, "Yes", { number: challenge.number })).status).toBe(200);
    await expect.poll(() => row.locator("td").nth(3).textContent(), { timeout: 10_000 }).toBe("Approved");
    const listed = (await page.textContent("#audit")) ?? "";
    for (const secret of [handle, SIGNING_SECRET, gw.apiSecret, user.phone.deviceToken]) expect(listed).not.toContain(secret);
  });

  it("a permanently failed send shows as a dead letter; another app can neither see nor retry it", async () => {
    receiver.script.push(410);
    await page.locator("#test-status").evaluate((el) => (el.textContent = ""));
    // The second test push's challenge is the one opened after this click (not within some seconds of now).
    const clickedAt = gw.services.now();
    await page.getByRole("button", { name: "Send test push" }).click();
    await expect.poll(() => page.textContent("#test-status"), { timeout: 10_000 }).toBe("Test push sent to 1 device.");
    const challenge = (await waitUntil(async () => {
      const c = await gw.services.challenges.pendingOf(gw.apiKey, user.uid);
      return c?.status === "Pending" && c.sends === 1 && c.createdAt >= clickedAt ? c : undefined;
    }, "the second test push's challenge"))!;
    const jobId = sendId(challenge, user.device.id);
    const { state, job } = await settle(gw, jobId);
    expect(state).toBe("failed");
    expect(job.failedReason).toContain("webhook answered 410");

    const row = page.locator(`#dead-letters tbody tr[data-job="${jobId}"]`);
    await row.waitFor({ timeout: 10_000 });
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("webhook answered 410");
    expect(text).toContain(challenge.id);
    expect(text).toContain(user.device.id);
    expect(text).not.toContain(user.uid);

    // The HTTP API behind the list: ids, reason, attempts and time; scoped to the app.
    const mine = await call<{ Data: Array<Record<string, unknown>> }>(gw.url, "GET", DEAD_LETTERS_PATH, { headers: secretHeaders(gw) });
    expect(mine.status, mine.text).toBe(200);
    const letter = mine.body.Data.find((d) => d.JobId === jobId)!;
    expect(Object.keys(letter).sort()).toEqual(["AttemptsMade", "ChallengeId", "DeviceId", "FailedDate", "FailedReason", "JobId", "Name", "Queue"]);
    expect(letter).toMatchObject({ Name: "send", ChallengeId: challenge.id, DeviceId: user.device.id, AttemptsMade: 1 });
    const other = await gw.services.apps.create("Other app");
    const otherHeaders = { "X-LoginRadius-ApiKey": other.app.apiKey, "X-LoginRadius-ApiSecret": other.apiSecret };
    const theirs = await call<{ Data: unknown[] }>(gw.url, "GET", DEAD_LETTERS_PATH, { headers: otherHeaders });
    expect(theirs.body.Data).toEqual([]);
    const refused = await call(gw.url, "POST", `${DEAD_LETTERS_PATH}/${jobId}/retry`, { headers: otherHeaders });
    expectContractError(refused, 908);
    expect(await (await gw.services.queues.push.getJob(jobId))!.getState()).toBe("failed");
  });

  it("the retry button re-queues the dead letter: once the cause is fixed, the push is delivered", async () => {
    const challenge = (await gw.services.challenges.pendingOf(gw.apiKey, user.uid))!;
    const jobId = sendId(challenge, user.device.id);
    // The 410 marked the device inactive; the operator has it re-registered (here: switched back on).
    expect((await gw.services.devices.get(gw.apiKey, user.uid, user.device.id))!.active).toBe(false);
    await gw.services.devices.patch(gw.apiKey, user.uid, user.device.id, { active: true });

    const before = receiver.pushes.length;
    await page.getByRole("button", { name: `Retry ${jobId}` }).click();
    await expect.poll(() => page.textContent("#dead-status"), { timeout: 10_000 }).toBe(`Job ${jobId} re-queued.`);
    const { state, job } = await settle(gw, jobId);
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("sent");
    const push = (await receiver.waitFor(before + 1)).at(-1)!;
    expect(push.id).toBe(jobId);
    expect(push.data.identifier).toBe(user.email);
    await expect.poll(() => page.locator(`#dead-letters tbody tr[data-job="${jobId}"]`).count(), { timeout: 10_000 }).toBe(0);
    // Retried once: a second retry finds no dead letter.
    expectContractError(await call(gw.url, "POST", `${DEAD_LETTERS_PATH}/${jobId}/retry`, { headers: secretHeaders(gw) }), 908);
  });

  it("signing out forgets the credentials and clears the page", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.isHidden("#console")).toBe(true);
    expect(await field("Custom App Name").inputValue()).toBe("");
    await page.reload();
    await field("API key").waitFor();
    expect(await page.isHidden("#console")).toBe(true);
    expect(problems.problems).toEqual([]);
  });
});

function expectContractError(res: ApiResponse, code: number) {
  expect(res.status, res.text).toBeGreaterThanOrEqual(400);
  expect(res.status, res.text).toBeLessThan(500);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  expect(res.body, res.text).toMatchObject({ ErrorCode: code, IsProviderError: false, ProviderErrorResponse: null });
  expect(typeof (res.body as { Description?: unknown }).Description).toBe("string");
}

describe("the console's HTTP surface", () => {
  it("serves the page, its script and styles from the gateway with a CSP that allows no inline script and no other origin", async () => {
    const html = await fetch(`${gw.url}/console`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/text\/html/);
    const csp = html.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const body = await html.text();
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(body).not.toMatch(/\bstyle=|<style/);
    expect(body).not.toMatch(/(src|href)="https?:/);
    const js = await fetch(`${gw.url}/console/console.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(await js.text()).toContain("push-notification-settings");
    expect((await fetch(`${gw.url}/console/console.css`)).headers.get("content-type")).toMatch(/text\/css/);
    const slash = await fetch(`${gw.url}/console/`, { redirect: "manual" });
    expect(slash.status).toBe(302);
    expect(slash.headers.get("location")).toBe("/console");
  });

  it("is served in production too", async () => {
    const prod = await startTestGateway({ worker: false, env: { NODE_ENV: "production" } });
    try {
      const res = await fetch(`${prod.url}/console`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<label for="f-app-name">Custom App Name</label>');
      expect((await fetch(`${prod.url}/console/console.js`)).status).toBe(200);
    } finally {
      await prod.stop();
      await deletePrefix(prod.config.REDIS_PREFIX);
    }
  });

  it("the dead-letter endpoints refuse missing or wrong credentials and malformed ids with the contract's errors", async () => {
    const retry = (id: string, headers: Record<string, string> = secretHeaders(gw)) => call(gw.url, "POST", `${DEAD_LETTERS_PATH}/${id}/retry`, { headers });
    expectContractError(await call(gw.url, "GET", DEAD_LETTERS_PATH), 922);
    expectContractError(await call(gw.url, "GET", DEAD_LETTERS_PATH, { query: { apikey: gw.apiKey } }), 923);
    expectContractError(await call(gw.url, "GET", DEAD_LETTERS_PATH, { query: { apikey: gw.apiKey, apisecret: "wrong" } }), 902);
    expectContractError(await retry("send.x", { "X-LoginRadius-ApiKey": gw.apiKey }), 923);
    for (const count of ["0", "501", "abc", "-1", "1.5"]) {
      expectContractError(await call(gw.url, "GET", DEAD_LETTERS_PATH, { headers: secretHeaders(gw), query: { count } }), 908);
    }
    const repeated = new URL(DEAD_LETTERS_PATH, gw.url);
    repeated.searchParams.append("count", "1");
    repeated.searchParams.append("count", "2");
    expect((await fetch(repeated, { headers: secretHeaders(gw) })).status).toBe(403);
    for (const id of ["%00", "a%20b", "x".repeat(300), "..%2F..", "%3Cscript%3E", "1"]) expectContractError(await retry(id), 908);
    // A body is ignored, a broken one refused before anything happens.
    expectContractError(await call(gw.url, "POST", `${DEAD_LETTERS_PATH}/1/retry`, { headers: secretHeaders(gw), raw: "{" }), 965);
  });
});
