import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium package (never `npx playwright install`: nothing is downloaded here). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/**
 * What went wrong inside a page: uncaught exceptions and Content-Security-Policy refusals (network failures are
 * expected in some tests and are not collected).
 */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { problems };
}
