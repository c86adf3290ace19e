/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { TestPhone } from "./support/phone.js";
import { useWebhook } from "./support/scenario.js";
import type { ReceivedPush } from "./support/webhook-receiver.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * What the demo login page says to a person, in Chromium: no error code or header name in any state, "Try again"
 * after a denial (and it starts a new sign-in), a countdown before the resend is allowed again and a word once the
 * resends are spent, the lock said once, and the verb for how the number is entered on the phone.
 */

/** The contract's error codes, and header names: none may reach the person at the page. */
const CODES = /\b(404|405|429|901|902|905|906|908|920|922|923|936|938|950|965|966|1060|1103|1104|1198|1295|1296|1297|1298|1299|1311|1312|1313)\b/;

let gw: TestGateway;
let receiver: WebhookReceiver;
let browser: Browser;
const problems: string[] = [];
let n = 0;
const newEmail = () => `copy-${++n}-${Date.now()}@example.com`;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  // A short resend cooldown and two resends, so the test sees the countdown end and the resends run out.
  gw = await startTestGateway({ mode: "development", env: { RESEND_MIN_INTERVAL_SECONDS: "2", RESEND_MAX: "2" } });
  receiver = await new WebhookReceiver("whsec-demo-copy-signing-secret").start();
  await useWebhook(gw, receiver);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await receiver?.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
  expect(problems).toEqual([]);
});

async function openLogin(): Promise<Page> {
  const page = await browser.newPage();
  const watched = watchPage(page);
  page.on("close", () => problems.push(...watched.problems));
  await page.goto(`${gw.url}/demo/`);
  return page;
}

/** What the person sees (hidden parts excluded), less the signed-in profile and latency, whose values are data. */
const seen = (page: Page) =>
  page.evaluate(() => {
    const strip = (text: string, id: string) => text.replace(document.getElementById(id)?.innerText ?? "", "");
    return strip(strip(document.body.innerText, "latency"), "profile");
  });

async function expectNoCodes(page: Page, state: string): Promise<void> {
  const text = await seen(page);
  expect(text, state).not.toMatch(CODES);
  expect(text, state).not.toContain("X-");
  expect(text, state).not.toMatch(/Retry-After|LoginRadius|secondfactorauthenticationtoken/i);
}

async function signUpAndSignIn(page: Page, email: string): Promise<void> {
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await page.click("#signup");
  await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).toContain("created");
  await page.click("#signin");
}

/** The next push for `email` that is not one of `seen` (by its device handle). */
async function nextPush(email: string, seenHandles: Set<string>): Promise<ReceivedPush> {
  const push = await receiver.waitForPush((p) => p.data.identifier === email && !seenHandles.has(p.data.secondfactorauthenticationtoken!));
  seenHandles.add(push.data.secondfactorauthenticationtoken!);
  return push;
}

describe("the demo login page's words", () => {
  it("denied on the phone: said in words, then \"Try again\" starts a new sign-in that can succeed", async () => {
    const page = await openLogin();
    await expectNoCodes(page, "first load");
    const email = newEmail();
    await signUpAndSignIn(page, email);
    await page.locator("#enroll").waitFor();
    await expectNoCodes(page, "enrollment");
    const phone = new TestPhone();
    expect((await phone.enroll(await page.inputValue("#enroll-url"))).status).toBe(200);
    const handles = new Set<string>();
    const first = await nextPush(email, handles);
    await expect.poll(() => page.textContent("#status")).toBe("Waiting for your answer");
    await expectNoCodes(page, "waiting");

    expect((await phone.answer(gw.url, gw.apiKey, first.data.secondfactorauthenticationtoken!, "No")).status).toBe(200);
    await page.locator("#try-again").waitFor({ state: "visible", timeout: 10_000 });
    expect(await page.textContent("#status")).toBe("Denied");
    expect(await page.textContent("#message")).toMatch(/denied on your phone/);
    expect(await page.locator("#resend").isVisible()).toBe(false);
    await expectNoCodes(page, "denied");

    await page.click("#try-again");
    await expect.poll(() => page.textContent("#status")).toBe("Waiting for your answer");
    expect(await page.locator("#try-again").isVisible()).toBe(false);
    const second = await nextPush(email, handles);
    expect((await phone.answer(gw.url, gw.apiKey, second.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
    await page.locator("#done").waitFor({ state: "visible", timeout: 10_000 });
    expect(await page.textContent("#message")).toContain(`Welcome, ${email}`);
    await expectNoCodes(page, "signed in");
    await page.close();
  }, 60_000);

  it("resend: a countdown until the server allows it again, and a word once the resends are spent", async () => {
    const page = await openLogin();
    const email = newEmail();
    await signUpAndSignIn(page, email);
    await page.locator("#enroll").waitFor();
    const phone = new TestPhone();
    await phone.enroll(await page.inputValue("#enroll-url"));
    const handles = new Set<string>();
    await nextPush(email, handles);

    const resend = page.locator("#resend");
    for (let i = 1; i <= 2; i++) {
      // Not before the cooldown: the button waits, and says for how long.
      await expect.poll(() => resend.isDisabled(), { timeout: 10_000 }).toBe(false);
      await page.evaluate(() => (document.getElementById("message")!.textContent = ""));
      await resend.click();
      await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).toBe("The push was sent again.");
      if (i === 1) {
        expect(await page.textContent("#resend-wait")).toMatch(/^You can resend the push in \d s\.$/);
        expect(await resend.isDisabled()).toBe(true);
        await expectNoCodes(page, "resend countdown");
      }
    }
    await expect.poll(() => page.textContent("#resend-wait")).toMatch(/already resent as often as allowed/);
    expect(await resend.isVisible()).toBe(false);
    await expectNoCodes(page, "resends spent");
    await page.close();
  }, 60_000);

  it("wrong passwords until the account locks: each said in words, the lock once", async () => {
    const page = await openLogin();
    const email = newEmail();
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.click("#signup");
    await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).toContain("created");
    await page.fill("#password", "not the password");
    for (let i = 0; i < 10; i++) {
      await page.evaluate(() => (document.getElementById("message")!.textContent = ""));
      await page.click("#signin");
      await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).not.toBe("");
      await expect.poll(() => page.textContent("#message"), { timeout: 10_000 }).not.toMatch(/Checking/);
      const message = (await page.textContent("#message"))!;
      await expectNoCodes(page, `wrong password ${i + 1}`);
      if (/locked/.test(message)) {
        expect(message.match(/locked/g)).toHaveLength(1);
        await page.close();
        return;
      }
      expect(message).toBe("That email and password don't match. Check them and try again.");
    }
    throw new Error("the account never locked");
  }, 60_000);

  it("the number: \"Type\" when it is typed on the phone, \"Tap\" when it is picked", async () => {
    for (const [mode, verb] of [["Typed", "Type"], ["PickOne", "Tap"]] as const) {
      await useWebhook(gw, receiver, { NumberMatching: mode });
      const page = await openLogin();
      const email = newEmail();
      await signUpAndSignIn(page, email);
      await page.locator("#enroll").waitFor();
      await new TestPhone().enroll(await page.inputValue("#enroll-url"));
      await page.locator("#number").waitFor({ state: "visible", timeout: 10_000 });
      expect(await page.textContent("#number")).toMatch(new RegExp(`^${verb} \\d+ on your phone\\.$`));
      await page.close();
    }
    await useWebhook(gw, receiver, { NumberMatching: "Off" });
  }, 60_000);
});
