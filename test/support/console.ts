import { expect } from "vitest";
import type { Page } from "playwright-core";
import type { TestGateway } from "./gateway.js";

/** Press the console's SAVE and return what its status line says once the answer is in (saved, or why not). */
export async function saveSettings(page: Page): Promise<string> {
  await page.locator("#save-status").evaluate((el) => (el.textContent = ""));
  await page.getByRole("button", { name: "SAVE" }).click();
  await expect.poll(() => page.textContent("#save-status"), { timeout: 10_000 }).toMatch(/Saved|Not saved|\(\d+\)/);
  return (await page.textContent("#save-status")) ?? "";
}

/** The gateway's bootstrap app's settings as stored (secrets opened), to check what a SAVE wrote. */
export async function storedSettingsOf(gw: TestGateway) {
  const app = (await gw.services.apps.get(gw.apiKey))!;
  return gw.services.settings.get(app.apiKey, app.name);
}
