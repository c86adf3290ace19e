/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";

/**
 * /docs renders /openapi.json with Swagger UI in real Chromium, under its own CSP (no inline script, nothing from
 * outside: every request the page makes stays on the gateway), and lists every documented operation. And `/`, the
 * landing page, links to each place a newcomer looks for.
 */

let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  gw = await startTestGateway({ mode: "development", worker: false });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

describe("/docs", () => {
  it("renders every documented operation, with no CSP refusal and no request leaving the gateway", async () => {
    const doc = (await call(gw.url, "GET", "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const expected = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(expected.length).toBeGreaterThan(25);

    const page = await browser.newPage();
    const watched = watchPage(page);
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    const res = await page.goto(`${gw.url}/docs`);
    expect(res?.headers()["content-security-policy"]).toMatch(/script-src 'self';/);
    expect(res?.headers()["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval/);
    // Swagger UI draws one block per operation, with its method and path.
    await page.locator(".opblock").first().waitFor({ timeout: 20_000 });
    const shown = await page.$$eval(".opblock-summary", (blocks) =>
      blocks.map((b) => `${b.querySelector(".opblock-summary-method")?.textContent?.trim()} ${b.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? b.querySelector(".opblock-summary-path")?.textContent?.trim()}`),
    );
    expect(expected.filter((op) => !shown.includes(op)), "documented but not shown").toEqual([]);
    expect(watched.problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(gw.url) && !u.startsWith("data:"))).toEqual([]);

    // An operation opens to its schema and example.
    await page.locator(".opblock-summary", { hasText: "/login/2fa/push/ping" }).first().click();
    await page.locator(".opblock-body .responses-table").first().waitFor();
    expect(await page.locator(".opblock-body").first().textContent()).toContain("1295");
    await page.close();
  }, 60_000);

  it("serves Swagger UI's files from the package, and no other file of it", async () => {
    for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "docs.js"]) {
      const res = await fetch(`${gw.url}/docs/${file}`);
      expect(res.status, file).toBe(200);
      expect(await res.text()).not.toMatch(/sourceMappingURL=/);
    }
    for (const file of ["package.json", "index.html", "swagger-initializer.js", "..%2Fpackage.json"]) {
      expect((await fetch(`${gw.url}/docs/${file}`)).status, file).toBe(404);
    }
  });
});

describe("/", () => {
  it("links the demo, the authenticator, the console and the API reference", async () => {
    const page = await browser.newPage();
    const watched = watchPage(page);
    await page.goto(`${gw.url}/`);
    const links = await page.$$eval("a", (as) => as.map((a) => a.getAttribute("href")));
    expect(links).toEqual(expect.arrayContaining(["/demo/", "/authenticator/", "/console", "/docs"]));
    expect(watched.problems).toEqual([]);
    await page.close();
  });

  it("leaves the demo out where it is not mounted (production)", async () => {
    const prod = await startTestGateway({ worker: false });
    try {
      const html = await (await fetch(`${prod.url}/`)).text();
      expect(html).not.toContain("/demo/");
      expect(html).toContain('href="/docs"');
    } finally {
      await prod.stop();
      await deletePrefix(prod.config.REDIS_PREFIX);
    }
  });
});
