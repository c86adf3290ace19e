import { createHmac, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { enrollWithoutLogin } from "./support/delivery.js";
import { dumpEntries, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { enrolledUser, pushedLogin, pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, secretHeaders } from "./support/scenario.js";
import { WebhookGateways } from "./support/webhook-gateways.js";
import {
  ADMIN_PASSWORD,
  CONSOLE_API,
  adminCli,
  adminAppKey,
  approveOnPhone,
  approvedAccessToken,
  cookieOf,
  makeAdmin,
  postSignIn,
  sameOrigin,
  signedInCookie,
  type SignInAnswer,
} from "./support/console-admins.js";

/**
 * The attacker's third look (after attacker-review and attacker-review-2): console admins (sessions, CSRF, roles,
 * app scope, the internal admin app), step-up and own challenges' validation tokens, held long polls, and a
 * captured signed request replayed where it mints a credential. Each attempt over real HTTP against a real
 * gateway; attempts that held stay as regression tests.
 */

const fleet = new WebhookGateways("whsec-attacker-review-3-secret");
const gateway = (o: Parameters<typeof fleet.start>[0] = {}) => fleet.start(o);
let n = 0;
const email = () => `attack3-${++n}-${Date.now()}@example.com`;

const pad = (x: number) => String(x).padStart(2, "0");
const utc24 = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
/** LoginRadius's documented digest, made independently of the gateway's code. */
function digestOf(secret: string, expires: string, fullUrl: string, body?: string): string {
  const encoded = encodeURIComponent(decodeURIComponent(fullUrl)).toLowerCase();
  return `SHA-256=${createHmac("sha256", secret).update(body ? `${expires}:${encoded}:${body}` : `${expires}:${encoded}`).digest("base64")}`;
}
const signed = (g: TestGateway, pathAndQuery: string, minutes = 30) => {
  const expires = utc24(new Date(Date.now() + minutes * 60_000));
  return { "X-Request-Expires": expires, digest: digestOf(g.apiSecret, expires, `${g.url}${pathAndQuery}`) };
};
const errorCode = (res: ApiResponse) => (res.body as { ErrorCode?: number }).ErrorCode;

/** A request with headers fetch would not send as given (Host). */
function rawRequest(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers: { ...headers, ...(body !== undefined && { "content-type": "application/json" }) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------------------------
describe("a captured signed request that mints a credential is good once (L15, POST /v2/manage/token)", () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await gateway();
  }, 30_000);

  it("L15 (with and without /reset): the first use gives codes, the same request again is 902 already used; a fresh signature works", async () => {
    const { Uid } = await createAccount(g, email());
    for (const path of ["/identity/v2/manage/account/2fa/backupcode", "/identity/v2/manage/account/2fa/backupcode/reset"]) {
      const url = `${path}?apikey=${g.apiKey}&uid=${Uid}`;
      const h = signed(g, url);
      const first = await call<{ BackUpCodes?: string[] }>(g.url, "GET", url, { headers: h });
      expect(first.status, first.text).toBe(200);
      expect(first.body.BackUpCodes).toHaveLength(10);
      // Replayed as captured, and with the digest's prefix in another case or padded: the same signature.
      for (const digest of [h.digest, h.digest.replace("SHA-256=", "sha-256="), ` ${h.digest} `]) {
        const again = await call(g.url, "GET", url, { headers: { ...h, digest } });
        expect(again.status, digest).toBe(401);
        expect(again.body).toMatchObject({ ErrorCode: 902, Description: expect.stringMatching(/already used/) });
      }
      // The codes the first call gave are still the user's (the replay issued nothing).
      expect(await g.services.backupCodes.left(g.apiKey, Uid)).toBe(10);
      // A new signature (another expiry) is a new request.
      expect((await call(g.url, "GET", url, { headers: signed(g, url, 31) })).status).toBe(200);
    }
  });

  it("POST /v2/manage/token: the replayed signed request mints no second bearer, even fired in parallel", async () => {
    const url = `/v2/manage/token?apikey=${g.apiKey}`;
    const h = signed(g, url);
    const answers = await Promise.all(Array.from({ length: 6 }, () => call<{ access_token?: string }>(g.url, "POST", url, { headers: h })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(a.body).toMatchObject({ ErrorCode: 902, Description: expect.stringMatching(/already used/) });
    // The digest is kept hashed only, and only until the signature expires.
    const entries = await dumpEntries(g.config.REDIS_PREFIX);
    expect(JSON.stringify(entries)).not.toContain(h.digest.slice("SHA-256=".length));
    const used = (await g.services.redis.keys(`${g.config.REDIS_PREFIX}:sigused:*`)).filter((k) => k.includes(g.apiKey));
    expect(used.length).toBeGreaterThan(0);
    for (const k of used) expect(await g.services.redis.pttl(k)).toBeLessThanOrEqual(31 * 60_000 + 1000);
  });

  it("control: the apisecret still mints again and again, and a signed read (L10) stays replayable until it expires", async () => {
    for (let i = 0; i < 2; i++) expect((await call(g.url, "POST", "/v2/manage/token", { headers: secretHeaders(g) })).status).toBe(200);
    const url = `/v2/manage/2fa/push-notification-settings?apikey=${g.apiKey}`;
    const h = signed(g, url);
    for (let i = 0; i < 2; i++) expect((await call(g.url, "GET", url, { headers: h })).status).toBe(200);
  });

  it("a forged signature burns nothing: the genuine one with the same expiry still works after it", async () => {
    const url = `/v2/manage/token?apikey=${g.apiKey}`;
    // Another expiry than the other tests' (the same second would make the same digest, already used).
    const h = signed(g, url, 28);
    const forged = { ...h, digest: digestOf("not-the-secret", h["X-Request-Expires"], `${g.url}${url}`) };
    expect(errorCode(await call(g.url, "POST", url, { headers: forged }))).toBe(902);
    expect((await call(g.url, "POST", url, { headers: h })).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("console admins", () => {
  let g: TestGateway;
  let other: { apiKey: string; apiSecret: string };
  const cookies: Record<"viewer" | "owner", string> = { viewer: "", owner: "" };
  const phones = { viewer: new TestPhone("p256"), owner: new TestPhone("p256") };
  const EMAILS = { viewer: "viewer3@example.com", owner: "owner3@example.com" };

  beforeAll(async () => {
    g = await gateway();
    const made = await g.services.apps.create("Another tenant");
    other = { apiKey: made.app.apiKey, apiSecret: made.apiSecret };
    for (const role of ["viewer", "owner"] as const) {
      await makeAdmin(g, EMAILS[role], role, g.apiKey);
      cookies[role] = await signedInCookie(g, EMAILS[role], phones[role]);
    }
  }, 120_000);

  const asAdmin = (cookie: string, method: string, path: string, o: { json?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {}) =>
    call(g.url, method, path, {
      headers: { Cookie: cookie, "X-LoginRadius-ApiKey": g.apiKey, ...sameOrigin(g), ...o.headers },
      ...(o.query && { query: o.query }),
      ...(o.json !== undefined && { json: o.json }),
    });

  it("CSRF: a 'null' Origin, one with a trailing slash, a path, userinfo or another scheme, and Sec-Fetch-Site none are refused", async () => {
    const put = (headers: Record<string, string>) =>
      call(g.url, "PUT", "/v2/manage/2fa/push-notification-settings", { headers: { Cookie: cookies.owner, "X-LoginRadius-ApiKey": g.apiKey, ...headers }, json: { ChallengeTtlSeconds: 120 } });
    const u = new URL(g.url);
    for (const origin of ["null", `${g.url}/`, `${g.url}/console`, `http://x@${u.host}`, `${g.url}.evil.example`, `http://${u.hostname}`]) {
      const res = await put({ Origin: origin });
      expect(errorCode(res), origin).toBe(901);
      expect(res.status, origin).toBe(403);
    }
    expect(errorCode(await put({ Origin: g.url, "Sec-Fetch-Site": "none" }))).toBe(901);
    // The same origin in upper case is the same origin (browsers send it lower-cased anyway).
    expect((await put({ Origin: g.url.toUpperCase() })).status).toBe(200);
  });

  it("CSRF over https: a plain-http page of the same host (a network attacker's) is not the console's own page", async () => {
    const secure = await gateway({ env: { PUBLIC_URL: "https://mfa.example.com" } });
    await makeAdmin(secure, "secure3@example.com", "owner", secure.apiKey);
    const headers = { Origin: "https://mfa.example.com", "Sec-Fetch-Site": "same-origin" };
    const started = await postSignIn(secure, "secure3@example.com", ADMIN_PASSWORD, headers);
    await approveOnPhone(secure, new TestPhone("p256"), started.body);
    const session = await call(secure.url, "POST", CONSOLE_API.session, { headers, json: { AccessToken: await approvedAccessToken(secure, started.body) } });
    const cookie = cookieOf(session);
    // Sent to the gateway's public host (the TLS proxy keeps the Host), without Fetch metadata (older browsers).
    const put = (origin: string) =>
      rawRequest(secure.url, "PUT", "/v2/manage/2fa/push-notification-settings", { Host: "mfa.example.com", Origin: origin, Cookie: cookie, "X-LoginRadius-ApiKey": secure.apiKey }, JSON.stringify({ ChallengeTtlSeconds: 130 }));
    const downgraded = await put("http://mfa.example.com");
    expect(downgraded.status, downgraded.text).toBe(403);
    expect(downgraded.body).toMatchObject({ ErrorCode: 901 });
    expect((await put("https://mfa.example.com")).status).toBe(200);
  });

  it("session fixation: a cookie planted before sign-in is not adopted; the new session has its own id and the planted one opens nothing", async () => {
    const planted = `pmg_console=${"A".repeat(43)}`;
    const started = await postSignIn(g, EMAILS.viewer, ADMIN_PASSWORD, { ...sameOrigin(g), Cookie: planted });
    await approveOnPhone(g, phones.viewer, started.body);
    const session = await call(g.url, "POST", CONSOLE_API.session, { headers: { ...sameOrigin(g), Cookie: planted }, json: { AccessToken: await approvedAccessToken(g, started.body) } });
    expect(session.status, session.text).toBe(200);
    expect(cookieOf(session)).not.toBe(planted);
    expect(errorCode(await call(g.url, "GET", CONSOLE_API.me, { headers: { Cookie: planted } }))).toBe(905);
  });

  it("a viewer is refused every change among the newer routes (device removal, L15 codes, dead-letter retry, unlock, test push) and may read users, overview, stats and the audit export", async () => {
    const victim = await enrollWithoutLogin(g);
    const changes: Array<[string, string, unknown?]> = [
      ["DELETE", `/v2/manage/account/${victim.uid}/push/devices/${victim.device.id}`],
      ["GET", `/identity/v2/manage/account/2fa/backupcode?uid=${victim.uid}`],
      ["GET", `/identity/v2/manage/account/2fa/backupcode/reset?uid=${victim.uid}`],
      ["POST", "/v2/manage/push/dead-letters/no-such-job/retry"],
      ["DELETE", `/v2/manage/account/${victim.uid}/push/lock`],
      ["POST", "/v2/manage/push/test", { Email: "nobody@example.com" }],
      ["DELETE", `/identity/v2/manage/account/2fa/authenticator/push/${victim.uid}`],
      ["PUT", "/v2/manage/2fa/push-notification-settings", { ChallengeTtlSeconds: 100 }],
      ["POST", "/identity/v2/manage/account", { Email: [{ Type: "Primary", Value: email() }], Password: "correct horse battery" }],
    ];
    for (const [method, path, json] of changes) {
      const res = await asAdmin(cookies.viewer, method, path, json === undefined ? {} : { json });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
      expect(res.body, `${method} ${path}`).toMatchObject({ ErrorCode: 901, Description: expect.stringMatching(/console role "viewer"/) });
    }
    expect(await g.services.devices.list(g.apiKey, victim.uid)).toHaveLength(1);
    expect(await g.services.backupCodes.left(g.apiKey, victim.uid)).toBe(0);
    for (const path of ["/v2/manage/push/users?q=x", `/v2/manage/account/${victim.uid}/push/overview`, "/v2/manage/push/stats", "/v2/manage/push/audit/export"]) {
      expect((await asAdmin(cookies.viewer, "GET", path)).status, path).toBe(200);
    }
  });

  it("a cookie is no management secret: 2.12's challenge and validate, and minting a bearer, answer 923 even to an owner", async () => {
    const victim = await enrollWithoutLogin(g);
    for (const [path, json] of [
      ["/v2/manage/push/challenge", { Uid: victim.uid }],
      ["/v2/manage/push/challenge/validate", { SecondFactorValidationToken: randomUUID() }],
      ["/v2/manage/token", undefined],
    ] as const) {
      const res = await asAdmin(cookies.owner, "POST", path, json === undefined ? {} : { json });
      expect(errorCode(res), `${path}: ${res.text}`).toBe(923);
    }
    expect(await g.services.redis.get(g.services.keys.pending(g.apiKey, victim.uid))).toBeNull();
  });

  it("app scope: another tenant's apikey in the query beside the given one in the header acts on the given app; swapped, it is 901", async () => {
    // A user only the other tenant has: searched with the other apikey in the query, the given app's answer is empty.
    const theirs = email();
    await createAccount({ ...g, apiKey: other.apiKey, apiSecret: other.apiSecret }, theirs);
    const mine = await asAdmin(cookies.owner, "GET", "/v2/manage/push/users", { query: { apikey: other.apiKey, q: theirs } });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.text).not.toContain(theirs);
    const crossed = await asAdmin(cookies.owner, "GET", "/v2/manage/push/users", { headers: { "X-LoginRadius-ApiKey": other.apiKey }, query: { apikey: g.apiKey, q: theirs } });
    expect(errorCode(crossed)).toBe(901);
    const onlyQuery = await call(g.url, "GET", "/v2/manage/push/users", { headers: { Cookie: cookies.owner }, query: { apikey: other.apiKey, q: theirs } });
    expect(errorCode(onlyQuery)).toBe(901);
  });

  it("the admin app's own calls: a step-up's validation token, the 2FA token or a customer's own-challenge validation do not open a console session", async () => {
    const adminKey = await adminAppKey(g);
    const started = await postSignIn(g, EMAILS.owner);
    await approveOnPhone(g, phones.owner, started.body);
    const accessToken = await approvedAccessToken(g, started.body);
    // The admin, before exchanging the token, steps up on the admin app (L12) and approves it.
    const up = await call<{ SecondFactorAuthenticationToken: string }>(g.url, "GET", "/identity/v2/auth/account/reauth/2fa", { query: { apikey: adminKey }, headers: { Authorization: `Bearer ${accessToken}` } });
    expect(up.status, up.text).toBe(200);
    const upAnswer: SignInAnswer = { SecondFactorAuthentication: { ...up.body, PushQRCode: null, PushQRCodeDetails: null }, ApiKey: adminKey };
    await approveOnPhone(g, phones.owner, upAnswer);
    const validated = await call<{ SecondFactorValidationToken?: string; access_token?: string }>(g.url, "GET", "/identity/v2/auth/login/2fa/push/ping", {
      query: { apikey: adminKey, secondfactorauthenticationtoken: up.body.SecondFactorAuthenticationToken },
    });
    expect(validated.body.SecondFactorValidationToken).toBeTruthy();
    expect(validated.body).not.toHaveProperty("access_token");
    const exchange = (token: string) => call(g.url, "POST", CONSOLE_API.session, { headers: sameOrigin(g), json: { AccessToken: token } });
    for (const token of [validated.body.SecondFactorValidationToken!, up.body.SecondFactorAuthenticationToken, started.body.SecondFactorAuthentication.SecondFactorAuthenticationToken]) {
      const res = await exchange(token);
      expect(errorCode(res), token).toBe(905);
      expect(res.headers.getSetCookie()).toHaveLength(0);
    }
    // A customer's approved own challenge (2.12) gives a validation token: no session either.
    const { user, phone } = await enrolledUser(g, fleet.receiver, email());
    const uid = (await g.services.accounts.findUid(g.apiKey, "email", user))!;
    const own = await call<{ SecondFactorAuthenticationToken: string }>(g.url, "POST", "/v2/manage/push/challenge", { headers: secretHeaders(g), json: { Uid: uid } });
    const handle = (await pushOfLogin(g, fleet.receiver, own.body.SecondFactorAuthenticationToken)).data.secondfactorauthenticationtoken!;
    expect((await phone.answer(g.url, g.apiKey, handle, "Yes")).status).toBe(200);
    const v = (await ping(g, own.body.SecondFactorAuthenticationToken)).body as { SecondFactorValidationToken: string };
    expect(errorCode(await exchange(v.SecondFactorValidationToken))).toBe(905);
    // The admin's own access token still opens the session it was minted for.
    expect((await exchange(accessToken)).status).toBe(200);
  });

  it("the internal admin app is no tenant even with a secret: the CLI will not give it one, and a leaked one mints no bearer and pushes no own challenge (901)", async () => {
    const adminKey = await adminAppKey(g);
    const cli = await adminCli(g, ["rotate-secret", adminKey]);
    expect(cli.code, cli.out).not.toBe(0);
    expect(cli.out).not.toMatch(/apisecret:/);
    // Should its secret be known anyway (set by hand, an old backup): every management call refuses the app.
    const leaked = (await g.services.apps.rotateSecret(adminKey))!;
    const owner = (await g.services.accounts.findUid(adminKey, "email", EMAILS.owner))!;
    const headers = { "X-LoginRadius-ApiKey": adminKey, "X-LoginRadius-ApiSecret": leaked };
    const calls: Array<[string, string, unknown?]> = [
      ["POST", "/v2/manage/token"],
      ["POST", "/v2/manage/push/challenge", { Uid: owner }],
      ["POST", "/v2/manage/push/challenge/validate", { SecondFactorValidationToken: randomUUID() }],
      ["GET", `/identity/v2/manage/account/2fa/backupcode?uid=${owner}`],
      ["GET", "/v2/manage/2fa/push-notification-settings"],
    ];
    for (const [method, path, json] of calls) {
      const res = await call(g.url, method, path, { headers, ...(json !== undefined && { json }) });
      expect(errorCode(res), `${method} ${path}: ${res.text}`).toBe(901);
    }
    expect(await g.services.redis.get(g.services.keys.pending(adminKey, owner))).toBeNull();
  });

  it("sign-in does not tell an admin from a stranger before the second factor: a wrong password and an unknown email answer alike", async () => {
    const known = await postSignIn(g, EMAILS.viewer, "a wrong password, long enough");
    const unknown = await postSignIn(g, "nobody-at-all@example.com", "a wrong password, long enough");
    expect(known.status).toBe(unknown.status);
    expect(known.body).toEqual(unknown.body);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("someone holding a list of passwords for one admin or user", () => {
  it("a parallel burst of wrong passwords learns at most LOGIN_MAX_FAILURES answers: the rest, and the right password after it, answer 1198", async () => {
    const g = await gateway({ env: { LOGIN_MAX_FAILURES: "3" } });
    const user = email();
    await createAccount(g, user);
    const burst = Array.from({ length: 10 }, (_, i) => `wrong password number ${i}`);
    const answers = (await Promise.all(burst.map((p) => login(g, user, p)))).map((a) => a.body.ErrorCode);
    expect(answers.filter((c) => c === 966).length, answers.join(",")).toBeLessThanOrEqual(3);
    for (const c of answers) expect([966, 1198]).toContain(c);
    expect((await login(g, user)).body).toMatchObject({ ErrorCode: 1198 });
    // The same through the console's sign-in, on an admin.
    await makeAdmin(g, "burst-admin@example.com", "viewer", g.apiKey);
    const signIns = (await Promise.all(burst.map((p) => postSignIn(g, "burst-admin@example.com", p)))).map((a) => (a.body as { ErrorCode?: number }).ErrorCode);
    expect(signIns.filter((c) => c === 966).length, signIns.join(",")).toBeLessThanOrEqual(3);
    expect((await postSignIn(g, "burst-admin@example.com")).body).toMatchObject({ ErrorCode: 1198 });
  });

  it("control: parallel logins with the right password all go through (no failure to count)", async () => {
    const g = await gateway({ env: { LOGIN_MAX_FAILURES: "3" } });
    const user = email();
    await createAccount(g, user);
    const answers = await Promise.all(Array.from({ length: 6 }, () => login(g, user)));
    for (const a of answers) expect(a.status, a.text).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("own challenges (2.12): the push handle, backup codes, another app", () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await gateway();
  }, 30_000);

  it("the handle does not ping; a backup code does not finish it (not spent); another app cannot validate its approval, the backend can, once", async () => {
    const { user, phone } = await enrolledUser(g, fleet.receiver, email());
    const uid = (await g.services.accounts.findUid(g.apiKey, "email", user))!;
    const codes = (await call<{ BackUpCodes: string[] }>(g.url, "GET", "/identity/v2/manage/account/2fa/backupcode", { headers: secretHeaders(g), query: { uid } })).body.BackUpCodes;
    const own = await call<{ SecondFactorAuthenticationToken: string }>(g.url, "POST", "/v2/manage/push/challenge", { headers: secretHeaders(g), json: { Uid: uid, Message: "Approve the wire transfer" } });
    expect(own.status, own.text).toBe(200);
    const token = own.body.SecondFactorAuthenticationToken;
    const handle = (await pushOfLogin(g, fleet.receiver, token)).data.secondfactorauthenticationtoken!;

    expect(errorCode(await ping(g, handle))).toBe(1103);
    const code = await call(g.url, "PUT", "/identity/v2/auth/login/2fa/verification/backupcode", { query: { apikey: g.apiKey, secondfactorauthenticationtoken: token }, json: { backupcode: codes[0] } });
    expect(errorCode(code)).toBe(1103);
    expect(code.body).not.toHaveProperty("access_token");
    expect(await g.services.backupCodes.left(g.apiKey, uid)).toBe(10);

    expect((await phone.answer(g.url, g.apiKey, handle, "Yes")).status).toBe(200);
    const answered = await ping(g, token);
    expect(answered.body).not.toHaveProperty("access_token");
    const validation = (answered.body as { SecondFactorValidationToken: string }).SecondFactorValidationToken;
    const { app, apiSecret } = await g.services.apps.create("Another tenant");
    const validate = (headers: Record<string, string>) => call(g.url, "POST", "/v2/manage/push/challenge/validate", { headers, json: { SecondFactorValidationToken: validation } });
    expect((await validate({ "X-LoginRadius-ApiKey": app.apiKey, "X-LoginRadius-ApiSecret": apiSecret })).body).toEqual({ IsValid: false });
    // Not an access token either.
    expect(errorCode(await call(g.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: g.apiKey }, headers: { Authorization: `Bearer ${validation}` } }))).toBe(905);
    expect((await validate(secretHeaders(g))).body).toEqual({ IsValid: true, Uid: uid });
    expect((await validate(secretHeaders(g))).body).toEqual({ IsValid: false });
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe("held long polls", () => {
  /** L4 with `wait`, abortable. */
  async function longPing(g: TestGateway, token: string, wait: number, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<ApiResponse> {
    const url = new URL("/identity/v2/auth/login/2fa/push/ping", g.url);
    url.search = new URLSearchParams({ apikey: g.apiKey, secondfactorauthenticationtoken: token, wait: String(wait) }).toString();
    const res = await fetch(url, { headers, ...(signal && { signal }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as unknown, text };
  }
  const held = (g: TestGateway) => g.logs.filter((l) => l.includes('"msg":"long poll held"')).length;

  it("unknown tokens are never held: each answers 1103 at once and spends the guessing budget, then 429", async () => {
    const g = await gateway({ rateLimits: { failedGuessesPerIp: 5 } });
    // One after the other (a parallel burst is checked side by side with the lookups: see the report).
    const codes: Array<number | undefined> = [];
    for (let i = 0; i < 6; i++) codes.push(errorCode(await longPing(g, randomUUID(), 30)));
    expect(codes).toEqual([1103, 1103, 1103, 1103, 1103, 429]);
    expect(held(g)).toBe(0);
  });

  it("behind a trusted backend, believed IPv6 addresses of one /64 share one per-address cap; another /64 is held", async () => {
    const g = await gateway({ env: { SOCKETS_PER_ADDRESS: "2", TRUSTED_ORIGIN_IP_SOURCES: "127.0.0.1, ::1" } });
    const tokens: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { user } = await enrolledUser(g, fleet.receiver, email());
      tokens.push((await pushedLogin(g, fleet.receiver, user)).token);
    }
    const gone = new AbortController();
    const first = [longPing(g, tokens[0]!, 30, { "X-Origin-IP": "2001:db8:5:1::1" }, gone.signal), longPing(g, tokens[1]!, 30, { "X-Origin-IP": "2001:db8:5:1::2" }, gone.signal)];
    for (const p of first) p.catch(() => undefined);
    await g.waitForLog(() => held(g) >= 2, 15_000);
    const third = await longPing(g, tokens[2]!, 30, { "X-Origin-IP": "2001:db8:5:1:ffff:ffff:ffff:3" });
    expect(third.status, third.text).toBe(429);
    const fourth = longPing(g, tokens[3]!, 30, { "X-Origin-IP": "2001:db8:5:2::1" }, gone.signal);
    fourth.catch(() => undefined);
    await g.waitForLog(() => held(g) >= 3, 15_000);
    gone.abort();
    await g.waitForLog(() => g.logs.filter((l) => l.includes('"msg":"long poll ended"')).length >= 3, 15_000);
    // Every place was given back: the /64 holds again (and answers pending when its second runs out).
    expect(errorCode(await longPing(g, tokens[2]!, 1, { "X-Origin-IP": "2001:db8:5:1::9" }))).toBe(1295);
  }, 60_000);

  it("aborted held requests give their place back every time: ten held-and-aborted in a row leave the one-place address free", async () => {
    const g = await gateway({ env: { SOCKETS_PER_ADDRESS: "1" } });
    const { user } = await enrolledUser(g, fleet.receiver, email());
    const { token } = await pushedLogin(g, fleet.receiver, user);
    const ended = () => g.logs.filter((l) => l.includes('"msg":"long poll ended"')).length;
    for (let i = 1; i <= 10; i++) {
      const gone = new AbortController();
      longPing(g, token, 30, {}, gone.signal).catch(() => undefined);
      await g.waitForLog(() => held(g) >= i, 15_000);
      gone.abort();
      await g.waitForLog(() => ended() >= i, 15_000);
    }
    expect(errorCode(await longPing(g, token, 1))).toBe(1295);
  }, 60_000);

  it("a held request answers its own token's result: two logins held side by side, only the approved one gets a session", async () => {
    const g = await gateway();
    const a = await enrolledUser(g, fleet.receiver, email());
    const b = await enrolledUser(g, fleet.receiver, email());
    const la = await pushedLogin(g, fleet.receiver, a.user);
    const lb = await pushedLogin(g, fleet.receiver, b.user);
    const heldA = longPing(g, la.token, 30);
    const heldB = longPing(g, lb.token, 3);
    await g.waitForLog(() => held(g) >= 2, 15_000);
    expect((await a.phone.answer(g.url, g.apiKey, la.handle, "Yes")).status).toBe(200);
    const [ra, rb] = await Promise.all([heldA, heldB]);
    expect(ra.status).toBe(200);
    const session = (ra.body as { access_token: string }).access_token;
    expect((await g.services.sessions.resolve(g.apiKey, session)).uid).toBe(await g.services.accounts.findUid(g.apiKey, "email", a.user));
    expect(errorCode(rb)).toBe(1295);
  }, 40_000);
});
