import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { dumpEntries, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import type { TestPhone } from "./support/phone.js";
import { enrolledUser, pushedLogin } from "./support/pushes.js";
import { createAccount, login, ping, secretHeaders } from "./support/scenario.js";
import { WebhookGateways } from "./support/webhook-gateways.js";

/**
 * The attacker's second look at the server-caller credentials (X-Origin-IP, request signing, management bearer),
 * backup codes (L13–L16), the enrollment QR image (L11) and the authenticator app: each attempt as a client would
 * run it, over real HTTP, against a real gateway. Attempts that held stay here as regression tests.
 */

const fleet = new WebhookGateways("whsec-attacker-review-2-secret");
const gateway = (o: Parameters<typeof fleet.start>[0] = {}) => fleet.start(o);
let n = 0;
const email = () => `attack2-${++n}-${Date.now()}@example.com`;

/** A second tenant of the same deployment, with its own apikey and secret. */
async function otherApp(g: TestGateway): Promise<{ apiKey: string; apiSecret: string }> {
  const { app, apiSecret } = await g.services.apps.create("Another tenant");
  return { apiKey: app.apiKey, apiSecret };
}

const issueBearer = async (g: TestGateway, app: { apiKey: string; apiSecret: string }) =>
  (await call<{ access_token: string }>(g.url, "POST", "/v2/manage/token", { headers: { "X-LoginRadius-ApiKey": app.apiKey, "X-LoginRadius-ApiSecret": app.apiSecret } })).body.access_token;

/** A GET with headers given as Node sends them: an array value is sent as repeated header lines. */
function rawGet(base: string, path: string, headers: Record<string, string | string[]>): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method: "GET", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------------------
describe("X-Origin-IP: believed only with this app's credential", () => {
  let g: TestGateway;
  let other: { apiKey: string; apiSecret: string };
  const appinfo = (headers: Record<string, string | string[]>) => rawGet(g.url, `/ciam/appinfo?apikey=${g.apiKey}`, headers);

  beforeAll(async () => {
    // L17 counts strangerPerIp by the client address (X-Origin-IP when believed): 3 a minute here.
    g = await gateway({ rateLimits: { strangerPerIp: 3 } });
    other = await otherApp(g);
    // Spend the test process's own address's budget: from now on, only a believed X-Origin-IP gets an answer.
    for (let i = 0; i < 3; i++) expect((await appinfo({})).status).toBe(200);
    expect((await appinfo({})).status).toBe(429);
  }, 30_000);

  it("control: with the app's secret, a fresh X-Origin-IP is believed (200 although this address is spent)", async () => {
    expect((await appinfo({ "X-LoginRadius-ApiSecret": g.apiSecret, "X-Origin-IP": "198.51.100.1" })).status).toBe(200);
  });

  it("a stranger rotating X-Origin-IP without any credential stays counted under its own address: 429", async () => {
    for (const ip of ["198.51.100.10", "2001:db8:10::1", "::ffff:198.51.100.11"]) expect((await appinfo({ "X-Origin-IP": ip })).status, ip).toBe(429);
  });

  it("a comma list, repeated header lines, legacy or decorated forms are not one address: ignored even with the secret", async () => {
    const s = { "X-LoginRadius-ApiSecret": g.apiSecret };
    expect((await appinfo({ ...s, "X-Origin-IP": "198.51.100.20, 198.51.100.21" })).status).toBe(429);
    expect((await appinfo({ ...s, "X-Origin-IP": ["198.51.100.22", "198.51.100.23"] })).status).toBe(429);
    for (const form of ["0xc6.51.100.24", "3325256728", "198.51.100.25:443", "[2001:db8:25::1]", "fe80::1%eth0", "198.051.100.26", " "]) {
      expect((await appinfo({ ...s, "X-Origin-IP": form })).status, form).toBe(429);
    }
  });

  it("another app's secret, another app's bearer, a user-shaped bearer or a bogus signature do not make it believed", async () => {
    const otherBearer = await issueBearer(g, other);
    const attempts: Array<Record<string, string>> = [
      { "X-LoginRadius-ApiSecret": other.apiSecret },
      { Authorization: `Bearer ${otherBearer}` },
      { Authorization: `Bearer ${crypto.randomUUID()}` },
      { "X-Request-Expires": "2099-01-01 00:00:00", digest: "SHA-256=AAAA" },
    ];
    let i = 30;
    for (const headers of attempts) expect((await appinfo({ ...headers, "X-Origin-IP": `198.51.100.${i++}` })).status, JSON.stringify(Object.keys(headers))).toBe(429);
  });

  it("believed IPv6 addresses are counted by their /64: a backend cannot rotate one user's budget within it", async () => {
    const s = { "X-LoginRadius-ApiSecret": g.apiSecret };
    for (let i = 1; i <= 3; i++) expect((await appinfo({ ...s, "X-Origin-IP": `2001:db8:77:1::${i}` })).status).toBe(200);
    expect((await appinfo({ ...s, "X-Origin-IP": "2001:db8:77:1:ffff::9" })).status).toBe(429);
  });
});

// ---------------------------------------------------------------------------------------------------------------
const pad = (x: number) => String(x).padStart(2, "0");
const utc24 = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);
/** LoginRadius's documented digest, made independently of the gateway's code. */
function digestOf(secret: string, expires: string, fullUrl: string, body?: string): string {
  const encoded = encodeURIComponent(decodeURIComponent(fullUrl)).toLowerCase();
  return `SHA-256=${createHmac("sha256", secret).update(body ? `${expires}:${encoded}:${body}` : `${expires}:${encoded}`).digest("base64")}`;
}

describe("request signing: a captured signature cannot be moved, stretched or mis-read", () => {
  let g: TestGateway;
  const SETTINGS = () => `/v2/manage/2fa/push-notification-settings?apikey=${g.apiKey}`;
  const send = async (method: string, pathAndQuery: string, headers: Record<string, string>, body?: string) => {
    const res = await fetch(`${g.url}${pathAndQuery}`, { method, headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers }, ...(body !== undefined && { body }) });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
  };
  const signedHeaders = (pathAndQuery: string, o: { expires?: string; body?: string; host?: string } = {}) => {
    const expires = o.expires ?? utc24(inMinutes(30));
    return { "X-Request-Expires": expires, digest: digestOf(g.apiSecret, expires, `${o.host ?? g.url}${pathAndQuery}`, o.body) };
  };

  beforeAll(async () => {
    g = await gateway();
  }, 30_000);

  it("control: a signed GET of the push settings is accepted", async () => {
    const res = await send("GET", SETTINGS(), signedHeaders(SETTINGS()));
    expect(res.status, res.text).toBe(200);
  });

  it("a signed GET replayed as a PUT (the method is not signed) changes nothing", async () => {
    const before = (await call(g.url, "GET", SETTINGS(), { headers: secretHeaders(g) })).body;
    const h = signedHeaders(SETTINGS());
    for (const method of ["PUT", "DELETE", "POST"]) {
      const res = await send(method, SETTINGS(), h);
      expect(res.status, `${method}: ${res.text}`).not.toBe(200);
    }
    // With an empty JSON body the body is not signed either: still refused.
    const empty = await send("PUT", SETTINGS(), h, "");
    expect(empty.status, empty.text).not.toBe(200);
    expect((await call(g.url, "GET", SETTINGS(), { headers: secretHeaders(g) })).body).toEqual(before);
  });

  it("no management path answers two methods that may come without a body (PUT and PATCH need one), so the unsigned method cannot turn a read into a delete or a post", async () => {
    const spec = (await call<{ paths: Record<string, Record<string, unknown>> }>(g.url, "GET", "/openapi.json")).body;
    for (const [path, ops] of Object.entries(spec.paths)) {
      if (!/manage/.test(path)) continue;
      const bodyless = Object.keys(ops).filter((m) => ["get", "delete", "head", "post"].includes(m));
      expect(bodyless, path).toHaveLength(Math.min(bodyless.length, 1));
    }
  });

  it("a signature for one uid or one app does not work for another (path and query are signed)", async () => {
    const a = await createAccount(g, email());
    const b = await createAccount(g, email());
    const uidA = a.Uid;
    const uidB = b.Uid;
    const pathA = `/identity/v2/manage/account/2fa/backupcode?apikey=${g.apiKey}&uid=${uidA}`;
    const h = signedHeaders(pathA);
    const res = await send("GET", `/identity/v2/manage/account/2fa/backupcode?apikey=${g.apiKey}&uid=${uidB}`, h);
    expect(res.body).toMatchObject({ ErrorCode: 902 });
    // Query order changed, a parameter appended, an extra slash: each is another URL.
    for (const moved of [
      `/identity/v2/manage/account/2fa/backupcode?uid=${uidA}&apikey=${g.apiKey}`,
      `${pathA}&uid=${uidB}`,
      `//identity/v2/manage/account/2fa/backupcode?apikey=${g.apiKey}&uid=${uidA}`,
    ]) {
      expect((await send("GET", moved, h)).status, moved).not.toBe(200);
    }
  });

  it("a signed body cannot be swapped, and the signature must cover the apikey in the query", async () => {
    const body = JSON.stringify({ Email: [{ Type: "Primary", Value: email() }], Password: "correct horse battery" });
    const path = `/identity/v2/manage/account?apikey=${g.apiKey}`;
    const h = signedHeaders(path, { body });
    const swapped = JSON.stringify({ Email: [{ Type: "Primary", Value: email() }], Password: "correct horse battery" });
    expect((await send("POST", path, h, swapped)).body).toMatchObject({ ErrorCode: 902 });
    // The apikey only in the header: the signed URL does not name the app.
    const bare = "/v2/manage/2fa/push-notification-settings";
    expect((await send("GET", bare, { ...signedHeaders(bare), "X-LoginRadius-ApiKey": g.apiKey })).body).toMatchObject({ ErrorCode: 922 });
  });

  it("expiry edge cases: ISO or zoned times, local times hours ahead, year 99999, impossible dates, 0 or 13 o'clock with AM/PM, an expiry just passed", async () => {
    const ahead = inMinutes(30);
    const y = ahead.getUTCFullYear();
    const bad = [
      ahead.toISOString(),
      `${utc24(ahead)}Z`,
      `${utc24(ahead)} +00:00`,
      `${utc24(ahead)} UTC`,
      utc24(inMinutes(3 * 60)), // a server writing local time at UTC+3
      `99999-01-01 00:00:00`,
      `${y + 1}-02-30 10:00:00`,
      `${y}-13-01 10:00:00`,
      `${y}-01-01 0:10:10 AM`,
      `${y}-01-01 13:10:10 PM`,
      `${y}-01-01 24:00:00`,
      utc24(inMinutes(-1)),
    ];
    for (const expires of bad) {
      const res = await send("GET", SETTINGS(), signedHeaders(SETTINGS(), { expires }));
      expect(res.body, expires).toMatchObject({ ErrorCode: 902 });
    }
  });

  it("a repeated digest header, or a digest for a spoofed Host, is refused", async () => {
    const h = signedHeaders(SETTINGS());
    const twice = await rawGet(g.url, SETTINGS(), { "X-Request-Expires": h["X-Request-Expires"], digest: [h.digest, h.digest] });
    expect(twice.body).toMatchObject({ ErrorCode: 902 });
    // A signature made for another host (with our secret unknown to its maker, here a wrong one) sent with that Host.
    const expires = utc24(inMinutes(30));
    const forged = { "X-Request-Expires": expires, digest: digestOf("not-the-secret", expires, `https://evil.example${SETTINGS()}`), Host: "evil.example" };
    expect((await rawGet(g.url, SETTINGS(), forged)).body).toMatchObject({ ErrorCode: 902 });
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("management bearer tokens: only management calls, only their app, never in clear", () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await gateway({ rateLimits: { failedGuessesPerIp: 4 } });
  }, 30_000);

  it("is not a user's access token: L9 and L13 refuse it (905)", async () => {
    const token = await issueBearer(g, g);
    for (const path of ["/identity/v2/auth/account/2fa", "/identity/v2/auth/account/2fa/backupcode"]) {
      const res = await call(g.url, "GET", path, { query: { apikey: g.apiKey }, headers: { Authorization: `Bearer ${token}` } });
      expect(res.body, path).toMatchObject({ ErrorCode: 905 });
    }
  });

  it("cannot mint a token behind a bogus signature header", async () => {
    const token = await issueBearer(g, g);
    const res = await call(g.url, "POST", "/v2/manage/token", { headers: { "X-LoginRadius-ApiKey": g.apiKey, Authorization: `Bearer ${token}`, digest: "SHA-256=x" } });
    expect(res.status).not.toBe(200);
    expect(res.body).not.toHaveProperty("access_token");
  });

  it("the token is in no log line and not in Redis in clear", async () => {
    const token = await issueBearer(g, g);
    expect((await call(g.url, "GET", "/v2/manage/push/audit", { headers: { "X-LoginRadius-ApiKey": g.apiKey, Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(g.logs.join("\n")).not.toContain(token.slice(4));
    expect(JSON.stringify(await dumpEntries(g.config.REDIS_PREFIX))).not.toContain(token.slice(4));
  });

  it("guessing tokens spends the address's failed-guesses budget: 429 before the check", async () => {
    const guess = () => call(g.url, "GET", "/v2/manage/push/audit", { headers: { "X-LoginRadius-ApiKey": g.apiKey, Authorization: `Bearer mgt_${"A".repeat(43)}` } });
    // The budget (4 here) may already hold this file's other failures on this gateway (the bogus signature above).
    const answers: number[] = [];
    for (let i = 0; i < 5 && answers.at(-1) !== 429; i++) answers.push((await guess()).status);
    expect(answers[0]).toBe(403);
    expect(answers.at(-1)).toBe(429);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("backup codes (L13–L16)", () => {
  const MAX_FAILURES = 3;
  let g: TestGateway;
  beforeAll(async () => {
    g = await gateway({ env: { LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
  }, 30_000);

  const useCode = (token: string, backupcode: unknown, apiKey = g.apiKey) =>
    call<{ access_token?: string; ErrorCode?: number }>(g.url, "PUT", "/identity/v2/auth/login/2fa/verification/backupcode", {
      query: { apikey: apiKey, secondfactorauthenticationtoken: token },
      json: { backupcode },
    });

  async function signedIn(): Promise<{ user: string; phone: TestPhone; accessToken: string; codes: string[] }> {
    const { user, phone } = await enrolledUser(g, fleet.receiver, email());
    const { token, handle } = await pushedLogin(g, fleet.receiver, user);
    expect((await phone.answer(g.url, g.apiKey, handle, "Yes")).status).toBe(200);
    const accessToken = ((await ping(g, token)).body as { access_token: string }).access_token;
    const codes = (await call<{ BackUpCodes: string[] }>(g.url, "GET", "/identity/v2/auth/account/2fa/backupcode", { query: { apikey: g.apiKey }, headers: { Authorization: `Bearer ${accessToken}` } })).body.BackUpCodes;
    expect(codes).toHaveLength(10);
    return { user, phone, accessToken, codes };
  }

  it("parallel wrong codes cannot race past the lockout: at most LOGIN_MAX_FAILURES codes are tested", async () => {
    const u = await signedIn();
    const { token } = await pushedLogin(g, fleet.receiver, u.user);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => useCode(token, `zzzzz-${String(i).padStart(5, "0")}`)));
    const tested = answers.filter((a) => a.body.ErrorCode === 1066).length;
    expect(tested).toBeLessThanOrEqual(MAX_FAILURES);
    for (const a of answers) expect([1066, 1198]).toContain(a.body.ErrorCode);
  });

  it("one user's code does not finish another user's login; another app's apikey does not find the token", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const { token } = await pushedLogin(g, fleet.receiver, b.user);
    expect((await useCode(token, a.codes[0])).body).toMatchObject({ ErrorCode: 1066 });
    const other = await otherApp(g);
    expect((await useCode(token, b.codes[0], other.apiKey)).body).toMatchObject({ ErrorCode: 1103 });
    // Neither attempt spent b's code.
    expect(await g.services.backupCodes.left(g.apiKey, (await g.services.accounts.findUid(g.apiKey, "email", b.user))!)).toBe(10);
  });

  it("a code of a replaced set (L14) is dead; a code on a login already approved is not spent", async () => {
    const u = await signedIn();
    const fresh = (await call<{ BackUpCodes: string[] }>(g.url, "GET", "/identity/v2/auth/account/2fa/backupcode/reset", { query: { apikey: g.apiKey }, headers: { Authorization: `Bearer ${u.accessToken}` } })).body.BackUpCodes;
    const { token, handle } = await pushedLogin(g, fleet.receiver, u.user);
    expect((await useCode(token, u.codes[0])).body).toMatchObject({ ErrorCode: 1066 });
    expect((await u.phone.answer(g.url, g.apiKey, handle, "Yes")).status).toBe(200);
    expect((await useCode(token, fresh[0])).status).not.toBe(200);
    const uid = (await g.services.accounts.findUid(g.apiKey, "email", u.user))!;
    expect(await g.services.backupCodes.left(g.apiKey, uid)).toBe(10);
  });

  it("behind a trusted backend, one user's wrong codes spend that user's budget (X-Origin-IP), not every user's", async () => {
    const t = await gateway({ env: { TRUSTED_ORIGIN_IP_SOURCES: "127.0.0.1, ::1" }, rateLimits: { failedGuessesPerIp: 2 } });
    const viaBackend = (token: string, backupcode: string, user: string) =>
      call<{ access_token?: string; ErrorCode?: number }>(t.url, "PUT", "/identity/v2/auth/login/2fa/verification/backupcode", {
        query: { apikey: t.apiKey, secondfactorauthenticationtoken: token },
        headers: { "X-Origin-IP": user },
        json: { backupcode },
      });
    const { user, phone } = await enrolledUser(t, fleet.receiver, email());
    const first = await pushedLogin(t, fleet.receiver, user);
    expect((await phone.answer(t.url, t.apiKey, first.handle, "Yes")).status).toBe(200);
    const accessToken = ((await ping(t, first.token)).body as { access_token: string }).access_token;
    const codes = (await call<{ BackUpCodes: string[] }>(t.url, "GET", "/identity/v2/auth/account/2fa/backupcode", { query: { apikey: t.apiKey }, headers: { Authorization: `Bearer ${accessToken}` } })).body.BackUpCodes;
    const { token } = await pushedLogin(t, fleet.receiver, user);
    // A stranger's unknown tokens through the same backend, as the stranger's own address.
    for (let i = 0; i < 2; i++) expect((await viaBackend(crypto.randomUUID(), "00000-00000", "198.51.100.66")).body).toMatchObject({ ErrorCode: 1103 });
    expect((await viaBackend(crypto.randomUUID(), "00000-00000", "198.51.100.66")).status).toBe(429);
    // The user, at another address behind the same backend, is not refused.
    const res = await viaBackend(token, codes[0]!, "198.51.100.77");
    expect(res.status, res.text).toBe(200);
  });

  it("a backup code does not turn a step-up (L12) into a session, and is not spent on one", async () => {
    const u = await signedIn();
    const up = await call<{ SecondFactorAuthenticationToken?: string }>(g.url, "GET", "/identity/v2/auth/account/reauth/2fa", { query: { apikey: g.apiKey }, headers: { Authorization: `Bearer ${u.accessToken}` } });
    expect(up.status, up.text).toBe(200);
    const token = up.body.SecondFactorAuthenticationToken!;
    expect(token).toBeTruthy();
    const res = await useCode(token, u.codes[0]);
    expect(res.body).toMatchObject({ ErrorCode: 1103 });
    expect(res.body).not.toHaveProperty("access_token");
    expect(await g.services.backupCodes.left(g.apiKey, (await g.services.accounts.findUid(g.apiKey, "email", u.user))!)).toBe(10);
  });

  it("no code is in a log line, the audit trail or Redis in clear (with or without its dash)", async () => {
    const u = await signedIn();
    const { token } = await pushedLogin(g, fleet.receiver, u.user);
    expect((await useCode(token, u.codes[3])).status).toBe(200);
    const audit = JSON.stringify((await call(g.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(g), query: { count: "500" } })).body);
    const redis = JSON.stringify(await dumpEntries(g.config.REDIS_PREFIX));
    const logs = g.logs.join("\n");
    for (const code of u.codes) {
      for (const form of [code, code.replace("-", "")]) {
        expect(logs).not.toContain(form);
        expect(audit).not.toContain(form);
        expect(redis).not.toContain(form);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("the enrollment QR image (L11)", () => {
  it("a large image costs its pixels' worth of the per-address budget, so size=1000 cannot be asked 300 times a minute", async () => {
    // 24 points: a 300-pixel image is one point, a 1000-pixel one about eleven.
    const g = await gateway({ rateLimits: { strangerPerIp: 24 } });
    await createAccount(g, email());
    const user = email();
    await createAccount(g, user);
    const sfa = (await login(g, user)).body.SecondFactorAuthentication;
    const url = new URL(sfa.PushQRCode!);
    url.searchParams.set("size", "1000");
    let served = 0;
    for (let i = 0; i < 24; i++) {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status !== 200) {
        expect(res.status).toBe(429);
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
        break;
      }
      expect(res.headers.get("cache-control")).toBe("no-store");
      served++;
    }
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(3);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("the authenticator app", () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await gateway();
  }, 30_000);

  it("its page and worker are served with a CSP without inline script, never framed, the worker scoped to /authenticator/", async () => {
    for (const path of ["/authenticator/", "/authenticator/sw.js", "/authenticator/app.js"]) {
      const res = await fetch(`${g.url}${path}`);
      await res.arrayBuffer();
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toMatch(/script-src 'self';/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp).toContain("frame-ancestors 'none'");
      // No header widening the worker's scope beyond its own path.
      expect(res.headers.get("service-worker-allowed")).toBeNull();
    }
    // A worker asked for under another path is not served.
    expect((await fetch(`${g.url}/sw.js`)).status).toBe(404);
  });

  it("push data (browser, location, message, appName, identifier) is never parsed as HTML; device keys are not extractable", async () => {
    const dir = new URL("../web/authenticator/", import.meta.url);
    for (const file of ["app.ts", "request-view.ts", "sw.ts", "enrollment.ts", "gateway-calls.ts", "device-channel.ts"]) {
      const text = await readFile(new URL(file, dir), "utf8");
      expect(text, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    }
    const keyCode = await readFile(new URL("device-key.ts", dir), "utf8");
    expect(keyCode).toMatch(/generateKey\([^)]*,\s*false,/);
  });
});
