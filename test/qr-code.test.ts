/// <reference lib="dom" />
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import jsqr from "jsqr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium, watchPage } from "./support/browser.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, useWebhook, type SecondFactor } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 1.3 and L11: `PushQRCode` is the URL of a PNG that a customer's page on another origin shows with
 * `img.src = sfa.PushQRCode`, in real Chromium; the image decodes (jsQR, from the pixels Chromium drew) to the
 * enrollment URL; it is served while the enrollment is open and refused once it is used (1104) or unknown (1103).
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
let browser: Browser;
/** A page of another origin than the gateway's: the customer's site. */
let site: Server;
let siteUrl: string;
const problems: string[] = [];
let n = 0;
const email = () => `qr${++n}-${Date.now()}@example.com`;
const WIDTH = 240;
const PLAYSTORE = "https://play.google.com/store/apps/details?id=com.acme.auth";

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-qr-code-signing-secret").start();
  await useWebhook(gw, receiver, {
    QRCodeWidth: WIDTH,
    Message: "Acme: approve?",
    AndroidSettings: { Enabled: true, PlaystoreUrl: PLAYSTORE },
    IOSsettings: { Enabled: false, AppstoreUrl: "https://apps.apple.com/app/id000000001" },
  });
  site = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>Acme</title><body></body>"));
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
  expect(problems).toEqual([]);
});

/** The first factor of a new account without a device: the answer of 1.1 with its QR. */
async function newcomer(): Promise<{ user: string; uid: string; sfa: SecondFactor }> {
  const user = email();
  const { Uid: uid } = await createAccount(gw, user);
  const res = await login(gw, user);
  expect(res.status, res.text).toBe(200);
  return { user, uid, sfa: res.body.SecondFactorAuthentication };
}

const qrUrl = (token: string, size?: string) => {
  const url = new URL("/identity/v2/auth/qr-code", gw.services.config.PUBLIC_URL);
  url.search = new URLSearchParams({ apikey: gw.apiKey, token, ...(size !== undefined && { size }) }).toString();
  return url.href;
};

/** The PNG's width and height, from its IHDR chunk (big-endian, at bytes 16 and 20). */
function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

async function fetchPng(url: string): Promise<{ status: number; headers: Headers; png: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, png: Buffer.from(await res.arrayBuffer()) };
}

/**
 * On the customer's page (another origin), `img.src = url` as LoginRadius's docs show it: the image loads (no CORS,
 * no CORP refusal). Returns its natural size, the PNG Chromium received, and the text jsQR reads from the pixels
 * Chromium decoded from it.
 */
async function showOnCustomerPage(url: string): Promise<{ size: [number, number]; headers: Record<string, string>; text: string | undefined }> {
  const page: Page = await browser.newPage();
  const watched = watchPage(page);
  try {
    await page.goto(siteUrl);
    const response = page.waitForResponse((r) => r.url() === url);
    const size = await page.evaluate(
      (src) =>
        new Promise<[number, number]>((resolve, reject) => {
          const img = document.createElement("img");
          img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
          img.onerror = () => reject(new Error("the image did not load"));
          document.body.append(img);
          img.src = src;
        }),
      url,
    );
    const received = await response;
    const png = await received.body();
    // The PNG Chromium received, decoded by Chromium itself into pixels (a blob of this page's origin, so the
    // canvas is not tainted), then read by jsQR.
    const pixels = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const canvas = document.createElement("canvas");
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      const ctx = canvas.getContext("2d")!;
      ctx.drawImage(bitmap, 0, 0);
      return { width: bitmap.width, height: bitmap.height, data: Array.from(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data) };
    }, png.toString("base64"));
    // jsqr is CommonJS: under Node's ESM its function is the default export's `default`.
    const text = jsqr.default(Uint8ClampedArray.from(pixels.data), pixels.width, pixels.height)?.data;
    return { size, headers: received.headers(), text };
  } finally {
    await page.close();
    problems.push(...watched.problems);
  }
}

describe("the enrollment QR (contract 1.3, L11)", () => {
  it("L2's PushQRCode is the URL of a PNG that a page of another origin shows with img.src, and it decodes to the enrollment URL", async () => {
    const { sfa } = await newcomer();
    expect(sfa.IsPushDeviceRegistered).toBe(false);
    expect(sfa.PushQRCode).toBe(qrUrl(sfa.SecondFactorAuthenticationToken, String(WIDTH)));
    const details = sfa.PushQRCodeDetails!;
    expect(details.Url).toContain("/identity/v2/auth/account/2fa/push/enroll/");
    expect(new URL(sfa.PushQRCode!).origin).not.toBe(new URL(siteUrl).origin);

    const shown = await showOnCustomerPage(sfa.PushQRCode!);
    expect(shown.size).toEqual([WIDTH, WIDTH]);
    expect(shown.text).toBe(details.Url);
    expect(shown.headers["content-type"]).toBe("image/png");
    expect(shown.headers["cross-origin-resource-policy"]).toBe("cross-origin");
    expect(shown.headers["cache-control"]).toBe("no-store");
  });

  it("PushQRCodeDetails carries the URL, the image inline, the app's name and message, the enabled store's link and the authenticator link", async () => {
    const { sfa } = await newcomer();
    const details = sfa.PushQRCodeDetails!;
    expect(Object.keys(details).sort()).toEqual(["AppName", "AuthenticatorUrl", "ExpireIn", "Image", "Message", "PlaystoreUrl", "Url"]);
    expect(details).toMatchObject({ AppName: "Acme Authenticator", Message: "Acme: approve?", PlaystoreUrl: PLAYSTORE });
    expect(details.AuthenticatorUrl).toBe(`${gw.services.config.PUBLIC_URL}/authenticator/#enroll=${encodeURIComponent(details.Url)}`);
    expect(Date.parse(details.ExpireIn)).toBeGreaterThan(Date.now());
    const inline = Buffer.from(details.Image.replace(/^data:image\/png;base64,/, ""), "base64");
    expect(pngSize(inline)).toEqual([WIDTH, WIDTH]);
  });

  it("size is clamped to 100-1000 pixels, defaults to QRCodeWidth, and anything but a number is 908", async () => {
    const { sfa } = await newcomer();
    const token = sfa.SecondFactorAuthenticationToken;
    for (const [size, expected] of [[undefined, WIDTH], ["", WIDTH], ["50", 100], ["-3", 100], ["321", 321], ["5000", 1000], ["1000", 1000]] as const) {
      const { status, headers, png } = await fetchPng(qrUrl(token, size));
      expect(status, `size ${size}`).toBe(200);
      expect(headers.get("content-type")).toBe("image/png");
      expect(pngSize(png), `size ${size}`).toEqual([expected, expected]);
    }
    for (const size of ["abc", "12.5", "1e3", "9".repeat(20)]) {
      const res = await call(gw.url, "GET", "/identity/v2/auth/qr-code", { query: { apikey: gw.apiKey, token, size } });
      expect(res.status, size).toBe(403);
      expect(res.body, size).toMatchObject({ ErrorCode: 908, Errors: [{ FieldName: "size" }] });
    }
  });

  it("once the enrollment is used the image answers 1104; an unknown token 1103; an unknown apikey 901", async () => {
    const { sfa } = await newcomer();
    const token = sfa.SecondFactorAuthenticationToken;
    expect((await fetchPng(sfa.PushQRCode!)).status).toBe(200);
    expect((await new TestPhone().enroll(sfa.PushQRCodeDetails!.Url)).status).toBe(200);
    const used = await call(gw.url, "GET", "/identity/v2/auth/qr-code", { query: { apikey: gw.apiKey, token } });
    expect(used.status).toBe(403);
    expect(used.body).toMatchObject({ ErrorCode: 1104 });
    expect(used.headers.get("cache-control")).toBe("no-store");

    const unknown = await call(gw.url, "GET", "/identity/v2/auth/qr-code", { query: { apikey: gw.apiKey, token: crypto.randomUUID() } });
    expect(unknown.status).toBe(403);
    expect(unknown.body).toMatchObject({ ErrorCode: 1103 });
    const missing = await call(gw.url, "GET", "/identity/v2/auth/qr-code", { query: { apikey: gw.apiKey } });
    expect(missing.body).toMatchObject({ ErrorCode: 1103 });

    // An open enrollment's reference, asked for under an apikey no app has.
    const open = await newcomer();
    const other = await call(gw.url, "GET", "/identity/v2/auth/qr-code", {
      query: { apikey: crypto.randomUUID(), token: open.sfa.SecondFactorAuthenticationToken },
    });
    expect(other.body).toMatchObject({ ErrorCode: 901 });
  });

  it("L9's QR works: its token is an opaque reference, not the enrollment token, and dies with the enrollment", async () => {
    const { user, sfa } = await newcomer();
    const phone = new TestPhone();
    expect((await phone.enroll(sfa.PushQRCodeDetails!.Url)).status).toBe(200);
    const push = await pushOfLogin(gw, receiver, sfa.SecondFactorAuthenticationToken);
    expect((await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
    const session = (await ping(gw, sfa.SecondFactorAuthenticationToken)).body as { access_token: string };
    expect(session.access_token, user).toBeTruthy();

    const mfa = await call<{ PushQRCode: string; PushQRCodeDetails: { Url: string } }>(gw.url, "GET", "/identity/v2/auth/account/2fa", {
      query: { apikey: gw.apiKey },
      headers: { Authorization: `Bearer ${session.access_token}` },
    });
    expect(mfa.status, mfa.text).toBe(200);
    const image = new URL(mfa.body.PushQRCode);
    const reference = image.searchParams.get("token")!;
    expect(image.searchParams.get("size")).toBe(String(WIDTH));
    expect(reference).toMatch(/^[0-9a-f-]{36}$/);
    // Neither the enrollment token nor the access token: a reference of its own.
    const enrollmentToken = new URL(mfa.body.PushQRCodeDetails.Url).pathname.split("/").at(-1)!;
    expect(reference).not.toBe(enrollmentToken);
    expect(reference).not.toBe(session.access_token);
    expect(mfa.body.PushQRCode).not.toContain(enrollmentToken);

    const shown = await showOnCustomerPage(mfa.body.PushQRCode);
    expect(shown.text).toBe(mfa.body.PushQRCodeDetails.Url);

    expect((await new TestPhone().enroll(mfa.body.PushQRCodeDetails.Url)).status).toBe(200);
    const after = await call(gw.url, "GET", "/identity/v2/auth/qr-code", { query: { apikey: gw.apiKey, token: reference } });
    expect(after.body).toMatchObject({ ErrorCode: 1104 });
  });

  it("Redis keeps only the reference's hash and the enrollment URL sealed", async () => {
    const { sfa } = await newcomer();
    const token = sfa.SecondFactorAuthenticationToken;
    const enrollmentToken = new URL(sfa.PushQRCodeDetails!.Url).pathname.split("/").at(-1)!;
    const keys = await gw.services.redis.keys(`${gw.config.REDIS_PREFIX}:enrqr:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(token);
      const value = (await gw.services.redis.get(key))!;
      expect(value).not.toContain(enrollmentToken);
      expect(value).not.toContain(token);
    }
  });
});

describe("L11's limits", () => {
  let limited: TestGateway;
  beforeAll(async () => {
    limited = await startTestGateway({ rateLimits: { failedGuessesPerIp: 2 } });
    await useWebhook(limited, receiver);
  }, 30_000);
  afterAll(async () => {
    await limited.stop();
    await deletePrefix(limited.config.REDIS_PREFIX);
  });

  it("unknown references spend the address's failed-guesses budget: then 429 with Retry-After", async () => {
    const ask = () => call(limited.url, "GET", "/identity/v2/auth/qr-code", { query: { apikey: limited.apiKey, token: crypto.randomUUID() } });
    expect((await ask()).body).toMatchObject({ ErrorCode: 1103 });
    expect((await ask()).body).toMatchObject({ ErrorCode: 1103 });
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ ErrorCode: 429 });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("each address may ask strangerPerIp times a minute: then 429 with Retry-After", async () => {
    // A gateway of its own: the guesses above spent this one's budget.
    const g = await startTestGateway({ rateLimits: { strangerPerIp: 3 } });
    try {
      await useWebhook(g, receiver);
      const user = email();
      await createAccount(g, user);
      const sfa = (await login(g, user)).body.SecondFactorAuthentication;
      for (let i = 0; i < 3; i++) expect((await fetchPng(sfa.PushQRCode!)).status).toBe(200);
      const refused = await call(g.url, "GET", "/identity/v2/auth/qr-code", { query: { apikey: g.apiKey, token: sfa.SecondFactorAuthenticationToken } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await g.stop();
      await deletePrefix(g.config.REDIS_PREFIX);
    }
  });
});
