/// <reference lib="dom" />
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { makeNativeCredentials, type NativeCredentials } from "./support/native-credentials.js";
import { saveSettings, storedSettingsOf } from "./support/console.js";

/**
 * The console's Native credentials (contract 1.5) in real Chromium against a real gateway and Redis: a warning
 * beside a platform enabled with nowhere to push; the service-account JSON, the .p8 key and the .p12 certificate
 * uploaded from files (read in the page with FileReader, the .p12 as base64), saved, and from then on shown only
 * as "stored"; a refused file's message beside its field; Remove. The tests run in order on one page.
 */

let gw: TestGateway;
let creds: NativeCredentials;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: { problems: string[] };

beforeAll(async () => {
  gw = await startTestGateway({ worker: false });
  creds = makeNativeCredentials({ tokenUri: "https://oauth2.googleapis.com/token" });
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
  problems = watchPage(page);
}, 60_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gw?.stop();
  creds?.remove();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

const field = (label: string) => page.getByLabel(label, { exact: true });
const SERVICE_ACCOUNT = "Firebase Service Account (JSON file)";
const APNS_KEY = "APNs Auth Key (.p8 file)";
const APNS_CERTIFICATE = "APNs Certificate (.p12 file)";

/** The text of the element a field names in aria-describedby with this prefix ("err-" message, "state-" file state). */
async function describedBy(input: Locator, prefix: "err-" | "state-"): Promise<string> {
  const ids = ((await input.getAttribute("aria-describedby")) ?? "").split(/\s+/);
  const id = ids.find((i) => i.startsWith(prefix));
  if (!id) throw new Error(`the field has no ${prefix} element`);
  return (await page.locator(`#${id}`).textContent()) ?? "";
}

const save = () => saveSettings(page);

const storedSettings = () => storedSettingsOf(gw);
const warning = (platform: "android" | "ios") => page.locator(`#warn-${platform}`);

describe("the console's Native credentials in Chromium", () => {
  it("warns beside each platform enabled with no credentials and no webhook; the settings save all the same", async () => {
    await page.goto(`${gw.url}/console`);
    await field("API key").fill(gw.apiKey);
    await field("API secret").fill(gw.apiSecret);
    await page.getByRole("button", { name: "Sign in" }).click();
    await field("Custom App Name").waitFor({ timeout: 10_000 });
    expect(await field("Push Notification Service").inputValue()).toBe("Native");
    expect(await field("QR Code Width (px)").inputValue()).toBe("200");
    expect(await field("Notification Message").inputValue()).toBe("Please approve the sign-in request");

    await field("Enable Push Notifications").check();
    await field("Enable Android").check();
    await field("Enable iOS").check();
    expect(await field("Webhook URL").inputValue()).toBe("");
    expect(await warning("android").isVisible()).toBe(true);
    expect(await warning("ios").isVisible()).toBe(true);
    expect(await warning("android").innerText()).toMatch(/no Firebase service account and no webhook URL/);
    expect(await describedBy(field(SERVICE_ACCOUNT), "state-")).toBe("Not set.");
    await field("Notification Message").fill("Acme: approve your sign-in");
    await field("QR Code Width (px)").fill("320");
    expect(await save()).toBe("Saved.");
    expect(await storedSettings()).toMatchObject({ IsEnabled: true, NotificationService: "Native", Message: "Acme: approve your sign-in", QRCodeWidth: 320 });
    expect(await warning("ios").isVisible()).toBe(true);

    // A webhook is where such a platform's pushes go: no warning then. The AWS service hides the warnings.
    await field("Webhook URL").fill("https://push.example.com/send");
    expect(await warning("android").isVisible()).toBe(false);
    await field("Webhook URL").fill("");
    await field("Push Notification Service").selectOption({ label: "AWS SNS" });
    expect(await warning("ios").isVisible()).toBe(false);
    expect(await field(SERVICE_ACCOUNT).isVisible()).toBe(false);
    await field("Push Notification Service").selectOption({ label: "Native" });
    expect(await warning("ios").isVisible()).toBe(true);
  });

  it("uploads the service-account JSON, the .p8 key and the .p12 certificate; SAVE stores them, the page shows them only as stored", async () => {
    await field(SERVICE_ACCOUNT).setInputFiles(creds.path("service-account.json"));
    expect(await describedBy(field(SERVICE_ACCOUNT), "state-")).toBe("service-account.json: chosen, saved with SAVE.");
    expect(await warning("android").isVisible()).toBe(false);

    await field("Bundle ID").fill(creds.bundleId);
    await field("APNs Environment").selectOption("Sandbox");
    await field(APNS_KEY).setInputFiles(creds.path("AuthKey_ABCDE12345.p8"));
    await field("Key ID").fill("ABCDE12345");
    await field("Team ID").fill("TEAM123456");
    await field(APNS_CERTIFICATE).setInputFiles(creds.path("modern.p12"));
    await field("Certificate Password").fill(creds.password);
    expect(await warning("ios").isVisible()).toBe(false);
    expect(await save()).toBe("Saved.");

    const s = await storedSettings();
    expect(s.AndroidSettings.ServiceJson).toBe(creds.serviceJson);
    expect(s.IOSsettings).toMatchObject({
      BundleId: creds.bundleId,
      Environment: "Sandbox",
      ApnsKey: creds.p8,
      ApnsKeyId: "ABCDE12345",
      ApnsTeamId: "TEAM123456",
      // The binary .p12 went through FileReader as base64, byte for byte.
      ApnsCertificate: creds.p12.modern.toString("base64"),
      ApnsCertificatePassword: creds.password,
    });

    await page.reload();
    await expect.poll(() => field("Bundle ID").inputValue(), { timeout: 10_000 }).toBe(creds.bundleId);
    for (const label of [SERVICE_ACCOUNT, APNS_KEY, APNS_CERTIFICATE]) {
      expect(await describedBy(field(label), "state-"), label).toBe("Stored (kept secret; choose a file to replace it).");
    }
    expect(await field("Certificate Password").inputValue()).toBe("****");
    expect(await field("APNs Environment").inputValue()).toBe("Sandbox");
    expect(await warning("android").isVisible()).toBe(false);
    expect(await warning("ios").isVisible()).toBe(false);
    const html = await page.content();
    for (const secret of [creds.serviceAccount.private_key!.split("\n")[1]!, creds.p8.split("\n")[1]!, creds.password]) expect(html).not.toContain(secret);

    // Saving again without choosing files keeps every stored one.
    await field("Key ID").fill("ZYXWV98765");
    expect(await save()).toBe("Saved.");
    expect((await storedSettings()).IOSsettings).toMatchObject({ ApnsKeyId: "ZYXWV98765", ApnsKey: creds.p8, ApnsCertificatePassword: creds.password });
    expect((await storedSettings()).AndroidSettings.ServiceJson).toBe(creds.serviceJson);
  });

  it("a refused file's message shows beside its field, and nothing is saved", async () => {
    writeFileSync(creds.path("placeholder.json"), "service-json");
    await field(SERVICE_ACCOUNT).setInputFiles(creds.path("placeholder.json"));
    await field(APNS_CERTIFICATE).setInputFiles(creds.path("legacy.p12"));
    expect(await save()).toMatch(/^Not saved: 2 fields need attention/);
    expect(await describedBy(field(SERVICE_ACCOUNT), "err-")).toMatch(/service-account JSON file downloaded from Firebase/);
    expect(await describedBy(field(APNS_CERTIFICATE), "err-")).toMatch(/legacy PKCS#12 .*re-export it without -legacy/);
    expect(await field(APNS_CERTIFICATE).getAttribute("aria-invalid")).toBe("true");
    expect(await describedBy(field("Bundle ID"), "err-")).toBe("");
    const s = await storedSettings();
    expect(s.AndroidSettings.ServiceJson).toBe(creds.serviceJson);
    expect(s.IOSsettings.ApnsCertificate).toBe(creds.p12.modern.toString("base64"));
  });

  it("Remove takes a stored file away with SAVE, and the platform's warning comes back", async () => {
    await page.reload();
    await expect.poll(() => describedBy(field(SERVICE_ACCOUNT), "state-"), { timeout: 10_000 }).toMatch(/^Stored/);
    await page.getByRole("button", { name: "Remove Service Account" }).click();
    expect(await describedBy(field(SERVICE_ACCOUNT), "state-")).toBe("Removed when you SAVE.");
    expect(await warning("android").isVisible()).toBe(true);
    expect(await save()).toBe("Saved.");
    expect((await storedSettings()).AndroidSettings.ServiceJson).toBe("");
    expect(await describedBy(field(SERVICE_ACCOUNT), "state-")).toBe("Not set.");
    expect(await warning("android").isVisible()).toBe(true);
    expect((await storedSettings()).IOSsettings.ApnsKey).toBe(creds.p8);
    expect(problems.problems).toEqual([]);
  });
});
