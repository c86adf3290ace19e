import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAdminApp } from "../src/console/admin-app.js";
import { ROLE_ACTIONS, type AdminAction as ConsoleAction } from "../src/console/admin-access.js";
import { hashToken } from "../src/crypto/tokens.js";
import { enrollWithoutLogin, type Enrolled } from "./support/delivery.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { secretHeaders } from "./support/scenario.js";
import { expectContractError } from "./support/contract.js";
import {
  ADMIN_PASSWORD,
  CONSOLE_API,
  adminAppKey,
  adminCli,
  approveOnPhone,
  approvedAccessToken,
  cookieOf,
  makeAdmin,
  postSignIn,
  sameOrigin,
  signedInCookie,
} from "./support/console-admins.js";

/**
 * Contract 2.14 over HTTP against a real gateway and Redis: the internal admin app made at first start, the admin
 * CLI, a named admin's sign-in (email + password, then a push the admin's phone approves by a signed pull), the
 * session cookie, CSRF, expiry and sign-out, and the role and app scope every management route enforces.
 */

let gw: TestGateway;
let other: { apiKey: string; apiSecret: string };
const phones = new Map<string, TestPhone>();
const cookies = new Map<string, string>();

const EMAILS = { owner: "owner@example.com", operator: "operator@example.com", viewer: "viewer@example.com" } as const;

beforeAll(async () => {
  gw = await startTestGateway();
  const made = await gw.services.apps.create("Another tenant");
  other = { apiKey: made.app.apiKey, apiSecret: made.apiSecret };
  for (const [role, email] of Object.entries(EMAILS)) {
    await makeAdmin(gw, email, role, gw.apiKey);
    phones.set(role, new TestPhone("p256"));
    cookies.set(role, await signedInCookie(gw, email, phones.get(role)!));
  }
}, 120_000);
afterAll(async () => {
  await gw?.stop();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

/** A management call with a named admin's cookie, from the console's own page, on `apiKey`. */
const asAdmin = (cookie: string, method: string, path: string, o: { json?: unknown; apiKey?: string; headers?: Record<string, string> } = {}) =>
  call(gw.url, method, path, {
    headers: { Cookie: cookie, "X-LoginRadius-ApiKey": o.apiKey ?? gw.apiKey, ...sameOrigin(gw), ...o.headers },
    ...(o.json !== undefined && { json: o.json }),
  });

const refusedByRole = (res: ApiResponse, label: string) => {
  expectContractError(res, label, 901);
  expect(res.status, label).toBe(403);
  expect((res.body as { Description: string }).Description, label).toMatch(/console role/);
};

describe("the internal admin app", () => {
  it("is made once at first start, whatever number of nodes make it at once; push on, Native, no relay; never listed as a tenant", async () => {
    const key = await adminAppKey(gw);
    const again = await Promise.all([1, 2, 3, 4, 5].map(() => ensureAdminApp(gw.services)));
    expect(new Set(again.map((a) => a.apiKey))).toEqual(new Set([key]));
    const app = (await gw.services.apps.get(key))!;
    expect(app.internal).toBe(true);
    expect(await gw.services.apps.list()).not.toContain(key);
    const settings = await gw.services.settings.get(key, app.name);
    expect(settings).toMatchObject({ IsEnabled: true, NotificationService: "Native", NativeSettings: { WebhookUrl: "" } });
  });

  it("cannot be used as a tenant: not with a secret, not by an admin given every app", async () => {
    const key = await adminAppKey(gw);
    const settings = "/v2/manage/2fa/push-notification-settings";
    expectContractError(await call(gw.url, "GET", settings, { headers: { "X-LoginRadius-ApiKey": key, "X-LoginRadius-ApiSecret": "guess" } }), "secret", 901);
    await makeAdmin(gw, "everything@example.com", "owner", "all");
    const cookie = await signedInCookie(gw, "everything@example.com", new TestPhone("p256"));
    expectContractError(await asAdmin(cookie, "GET", settings, { apiKey: key }), "admin app", 901);
    const me = await call<{ Apps: Array<{ ApiKey: string }> }>(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookie } });
    expect(me.body.Apps.map((a) => a.ApiKey).sort()).toEqual([gw.apiKey, other.apiKey].sort());
    expect((await adminCli(gw, ["admins", "remove", "everything@example.com"])).code).toBe(0);
  });
});

describe("the admin CLI", () => {
  it("takes the password from stdin only, refuses a short one, a bad role, an unknown app and the admin app", async () => {
    expect((await adminCli(gw, ["admins", "create", "x@example.com", "--role", "viewer", "--apps", "all", "--password", ADMIN_PASSWORD])).code).toBe(2);
    const short = await adminCli(gw, ["admins", "create", "x@example.com", "--role", "viewer", "--apps", "all"], "short\n");
    expect(short).toMatchObject({ code: 1, err: expect.stringMatching(/at least 12/) });
    expect((await adminCli(gw, ["admins", "create", "x@example.com", "--role", "root", "--apps", "all"], `${ADMIN_PASSWORD}\n`)).code).toBe(2);
    expect((await adminCli(gw, ["admins", "create", "x@example.com", "--role", "viewer", "--apps", "b1fbbba5-2a5e-41a2-96da-c216df36e6f4"], `${ADMIN_PASSWORD}\n`)).code).toBe(1);
    expect((await adminCli(gw, ["admins", "create", "x@example.com", "--role", "viewer", "--apps", await adminAppKey(gw)], `${ADMIN_PASSWORD}\n`)).code).toBe(1);
    expect((await adminCli(gw, ["admins", "create", EMAILS.viewer, "--role", "viewer", "--apps", "all"], `${ADMIN_PASSWORD}\n`))).toMatchObject({ code: 1, err: expect.stringMatching(/already/) });
  });

  it("lists the admins with their role and apps, and keeps no password in clear", async () => {
    const listed = await adminCli(gw, ["admins", "list", "--json"]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual(
      expect.arrayContaining([expect.objectContaining({ Email: EMAILS.operator, Role: "operator", Apps: [gw.apiKey] })]),
    );
    expect(await dumpPrefix(gw.config.REDIS_PREFIX)).not.toContain(ADMIN_PASSWORD);
  });

  it("set-role holds at once for an open session; remove ends it", async () => {
    await makeAdmin(gw, "changing@example.com", "viewer", gw.apiKey);
    const cookie = await signedInCookie(gw, "changing@example.com", new TestPhone("p256"));
    refusedByRole(await asAdmin(cookie, "POST", "/v2/manage/push/test", { json: { Email: "nobody@example.com" } }), "viewer test push");
    expect((await adminCli(gw, ["admins", "set-role", "changing@example.com", "operator"])).code).toBe(0);
    expectContractError(await asAdmin(cookie, "POST", "/v2/manage/push/test", { json: { Email: "nobody@example.com" } }), "operator test push", 938);
    expect((await adminCli(gw, ["admins", "remove", "changing@example.com"])).code).toBe(0);
    expectContractError(await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookie } }), "removed", 905);
    expect((await postSignIn(gw, "changing@example.com")).body).toMatchObject({ ErrorCode: 966 });
  });
});

describe("signing in", () => {
  it("first sign-in shows the enrollment QR; the approved login's token becomes an httpOnly SameSite=Strict cookie, once", async () => {
    await makeAdmin(gw, "first@example.com", "viewer", gw.apiKey);
    const started = await postSignIn(gw, "first@example.com");
    expect(started.status, started.text).toBe(200);
    expect(started.body.ApiKey).toBe(await adminAppKey(gw));
    expect(started.body.SecondFactorAuthentication.PushQRCodeDetails?.Url).toMatch(/\/enroll\//);
    await approveOnPhone(gw, new TestPhone("p256"), started.body);
    const accessToken = await approvedAccessToken(gw, started.body);
    const session = await call(gw.url, "POST", CONSOLE_API.session, { headers: sameOrigin(gw), json: { AccessToken: accessToken } });
    expect(session.status, session.text).toBe(200);
    expect(session.body).toMatchObject({ Email: "first@example.com", Role: "viewer", Apps: [{ ApiKey: gw.apiKey }] });
    const setCookie = session.headers.getSetCookie().join("\n");
    expect(setCookie).toMatch(/^pmg_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    // The session id is kept hashed only.
    const id = cookieOf(session).split("=")[1]!;
    expect(await dumpPrefix(gw.config.REDIS_PREFIX)).not.toContain(id);
    expect(await gw.services.redis.exists(gw.services.keys.consoleSession(hashToken(id)))).toBe(1);
    // The token was taken: a replay gets nothing.
    expectContractError(await call(gw.url, "POST", CONSOLE_API.session, { headers: sameOrigin(gw), json: { AccessToken: accessToken } }), "replay", 905);
  });

  it("a wrong password is 966 and no push; the login's lockout and limits apply (L2's)", async () => {
    expect((await postSignIn(gw, EMAILS.viewer, "not the password at all")).body).toMatchObject({ ErrorCode: 966 });
    expect((await postSignIn(gw, "stranger@example.com")).body).toMatchObject({ ErrorCode: 966 });
    const limited = await startTestGateway({ rateLimits: { loginPerIp: 1 } });
    try {
      await postSignIn(limited, "anyone@example.com");
      const refused = await postSignIn(limited, "anyone@example.com");
      expect(refused.status).toBe(429);
    } finally {
      await limited.stop();
      await deletePrefix(limited.config.REDIS_PREFIX);
    }
  });

  it("an access token of a tenant's user, or an unknown one, does not open a console session", async () => {
    expectContractError(await call(gw.url, "POST", CONSOLE_API.session, { headers: sameOrigin(gw), json: { AccessToken: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" } }), "unknown", 905);
    const tenantUser = await gw.services.sessions.mint({ appId: gw.apiKey, uid: "0".repeat(32) });
    expectContractError(await call(gw.url, "POST", CONSOLE_API.session, { headers: sameOrigin(gw), json: { AccessToken: tenantUser.access_token } }), "tenant's token", 905);
    // Left as it was: only the admin app's tokens are taken.
    expect((await gw.services.sessions.resolve(gw.apiKey, tenantUser.access_token)).uid).toBe("0".repeat(32));
  });

  it("over https the cookie is __Host- prefixed and Secure", async () => {
    const secure = await startTestGateway({ env: { PUBLIC_URL: "https://mfa.example.com" } });
    try {
      await makeAdmin(secure, "secure@example.com", "viewer");
      const headers = { Origin: "https://mfa.example.com", "Sec-Fetch-Site": "same-origin" };
      const started = await postSignIn(secure, "secure@example.com", ADMIN_PASSWORD, headers);
      await approveOnPhone(secure, new TestPhone("p256"), started.body);
      const session = await call(secure.url, "POST", CONSOLE_API.session, { headers, json: { AccessToken: await approvedAccessToken(secure, started.body) } });
      expect(session.headers.getSetCookie().join("\n")).toMatch(/^__Host-pmg_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await secure.stop();
      await deletePrefix(secure.config.REDIS_PREFIX);
    }
  });
});

describe("the session", () => {
  it("CSRF: a change with the cookie from another origin, another site, or no origin at all is refused; from the console's own page it goes", async () => {
    const cookie = cookies.get("owner")!;
    const put = (headers: Record<string, string>) =>
      call(gw.url, "PUT", "/v2/manage/2fa/push-notification-settings", { headers: { Cookie: cookie, "X-LoginRadius-ApiKey": gw.apiKey, ...headers }, json: { ChallengeTtlSeconds: 120 } });
    const attempts: Record<string, Record<string, string>> = {
      "another origin": { Origin: "http://evil.example" },
      "a sibling port": { Origin: gw.url.replace(/:\d+$/, ":1") },
      "cross-site fetch metadata": { Origin: gw.url, "Sec-Fetch-Site": "cross-site" },
      "same-site fetch metadata": { Origin: gw.url, "Sec-Fetch-Site": "same-site" },
      "no origin": {},
    };
    for (const [label, headers] of Object.entries(attempts)) {
      const res = await put(headers);
      expectContractError(res, label, 901);
      expect((res.body as { Description: string }).Description, label).toMatch(/own page/);
    }
    expect((await put(sameOrigin(gw))).status).toBe(200);
    // Reads are not changes: the same cookie reads without an Origin.
    expect((await call(gw.url, "GET", "/v2/manage/2fa/push-notification-settings", { headers: { Cookie: cookie, "X-LoginRadius-ApiKey": gw.apiKey } })).status).toBe(200);
    // Sign-in and sign-out are changes too (login CSRF, forced sign-out).
    expectContractError(await postSignIn(gw, EMAILS.viewer, ADMIN_PASSWORD, { Origin: "http://evil.example" }), "sign-in", 901);
    expectContractError(await call(gw.url, "POST", CONSOLE_API.signOut, { headers: { Cookie: cookie, Origin: "http://evil.example" } }), "sign-out", 901);
    expect((await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookie } })).status).toBe(200);
  });

  it("ends after 8 h idle (Redis drops it) or 24 h after sign-in, whichever comes first", async () => {
    await makeAdmin(gw, "expiring@example.com", "viewer", gw.apiKey);
    const phone = new TestPhone("p256");
    const cookie = await signedInCookie(gw, "expiring@example.com", phone);
    const key = gw.services.keys.consoleSession(hashToken(cookie.split("=")[1]!));
    const ttl = await gw.services.redis.ttl(key);
    expect(ttl).toBeGreaterThan(8 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(8 * 3600);
    const record = JSON.parse((await gw.services.redis.get(key))!) as { uid: string; until: number };
    expect(record.until - Date.now()).toBeGreaterThan(24 * 3600_000 - 60_000);
    // Past its absolute end: refused, and gone.
    await gw.services.redis.set(key, JSON.stringify({ ...record, until: Date.now() - 1 }), "KEEPTTL");
    expectContractError(await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookie } }), "absolute end", 905);
    expect(await gw.services.redis.exists(key)).toBe(0);
    // Idle: what Redis's expiry leaves (no key) is refused the same way.
    const idle = await signedInCookie(gw, "expiring@example.com", phone);
    expect((await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: idle } })).status).toBe(200);
    await gw.services.redis.del(gw.services.keys.consoleSession(hashToken(idle.split("=")[1]!)));
    expectContractError(await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: idle } }), "idle", 905);
  });

  it("hostile cookies (malformed, oversized, unknown, repeated) are 905 on the console's API and never a 500; a management call without a secret is then the secret's 923", async () => {
    const settings = "/v2/manage/2fa/push-notification-settings";
    const real = cookies.get("viewer")!.split("=")[1]!;
    for (const value of ["", "x", "a".repeat(43), "%00%ff", "\u00ff\u00e9".repeat(20), "<script>", `${real}x`, real.slice(1), "b".repeat(5000), `${"c".repeat(43)}; pmg_console=${real}`]) {
      const cookie = `pmg_console=${value}`;
      const me = await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookie } });
      const label = `cookie ${value.slice(0, 40)}`;
      expectContractError(me, label, 905);
      const managed = await call(gw.url, "GET", settings, { headers: { Cookie: cookie, "X-LoginRadius-ApiKey": gw.apiKey } });
      expect([905, 923], `${label}: ${managed.text}`).toContain((managed.body as { ErrorCode: number }).ErrorCode);
      const out = await call(gw.url, "POST", CONSOLE_API.signOut, { headers: { Cookie: cookie, ...sameOrigin(gw) } });
      expect(out.status, label).toBe(200);
    }
    // The real session was not touched by any of that.
    expect((await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookies.get("viewer")! } })).status).toBe(200);
  });

  it("sign-out ends the session on the server and clears the cookie", async () => {
    await makeAdmin(gw, "leaving@example.com", "viewer", gw.apiKey);
    const cookie = await signedInCookie(gw, "leaving@example.com", new TestPhone("p256"));
    const out = await call(gw.url, "POST", CONSOLE_API.signOut, { headers: { Cookie: cookie, ...sameOrigin(gw) } });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().join("\n")).toMatch(/^pmg_console=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    // The old cookie, replayed, opens nothing anywhere.
    expectContractError(await call(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookie } }), "me", 905);
    expectContractError(await asAdmin(cookie, "GET", "/v2/manage/push/audit"), "audit", 905);
  });
});

describe("roles on every management route", () => {
  let victim: Enrolled;
  beforeAll(async () => {
    victim = await enrollWithoutLogin(gw);
  });

  /** Each route with the action it needs and a call that the role check comes before. */
  const routes: Array<{ name: string; action: ConsoleAction; method: string; path: () => string; json?: unknown }> = [
    { name: "L10 get settings", action: "read", method: "GET", path: () => "/v2/manage/2fa/push-notification-settings" },
    { name: "L10 put settings", action: "settings.change", method: "PUT", path: () => "/v2/manage/2fa/push-notification-settings", json: { ChallengeTtlSeconds: 120 } },
    { name: "audit", action: "read", method: "GET", path: () => "/v2/manage/push/audit" },
    { name: "a user's devices", action: "read", method: "GET", path: () => `/v2/manage/account/${victim.uid}/push/devices` },
    { name: "unlock", action: "user.unlock", method: "DELETE", path: () => `/v2/manage/account/${victim.uid}/push/lock` },
    { name: "test push", action: "push.test", method: "POST", path: () => "/v2/manage/push/test", json: { Email: "nobody@example.com" } },
    { name: "dead letters", action: "read", method: "GET", path: () => "/v2/manage/push/dead-letters" },
    { name: "retry a dead letter", action: "deadletter.retry", method: "POST", path: () => "/v2/manage/push/dead-letters/no-such-job/retry" },
    { name: "L1 create account", action: "user.create", method: "POST", path: () => "/identity/v2/manage/account", json: { Email: [{ Type: "Primary", Value: "made-by-console@example.com" }], Password: "correct horse battery" } },
    // Last: it removes the victim's device.
    { name: "L8 remove devices", action: "devices.reset", method: "DELETE", path: () => `/identity/v2/manage/account/2fa/authenticator/push/${victim.uid}` },
  ];

  it("each role is refused 403 exactly where it does not allow, and let through elsewhere", async () => {
    for (const role of ["viewer", "operator", "owner"] as const) {
      for (const r of routes) {
        // Allowed, it would remove the device the next test needs: that test covers it.
        if (r.name === "L8 remove devices" && role !== "viewer") continue;
        const res = await asAdmin(cookies.get(role)!, r.method, r.path(), r.json === undefined ? {} : { json: r.json });
        const label = `${role} ${r.name}: ${res.text.slice(0, 160)}`;
        if (ROLE_ACTIONS[role].has(r.action)) expect((res.body as { Description?: string }).Description ?? "", label).not.toMatch(/console role/);
        else refusedByRole(res, label);
      }
    }
  });

  it("a viewer cannot remove a device; an operator can, and the audit names them", async () => {
    const path = `/identity/v2/manage/account/2fa/authenticator/push/${victim.uid}`;
    refusedByRole(await asAdmin(cookies.get("viewer")!, "DELETE", path), "viewer");
    expect(await gw.services.devices.list(gw.apiKey, victim.uid)).toHaveLength(1);
    const removed = await asAdmin(cookies.get("operator")!, "DELETE", path);
    expect(removed.status, removed.text).toBe(200);
    const audit = await call<{ Data: Array<{ type: string; uid?: string; by?: string }> }>(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw) });
    expect(audit.body.Data.find((e) => e.type === "device.removed" && e.uid === victim.uid)).toMatchObject({ by: EMAILS.operator });
  });

  it("an operator cannot change the settings; the owner can, and the audit names them", async () => {
    refusedByRole(await asAdmin(cookies.get("operator")!, "PUT", "/v2/manage/2fa/push-notification-settings", { json: { ChallengeTtlSeconds: 150 } }), "operator");
    const saved = await asAdmin(cookies.get("owner")!, "PUT", "/v2/manage/2fa/push-notification-settings", { json: { ChallengeTtlSeconds: 150 } });
    expect(saved.status, saved.text).toBe(200);
    const audit = await call<{ Data: Array<{ type: string; by?: string }> }>(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw) });
    expect(audit.body.Data.find((e) => e.type === "settings.changed")).toMatchObject({ by: EMAILS.owner });
  });

  it("an admin acts only on the apps they were given: another tenant's apikey is 901, as an unknown one", async () => {
    for (const role of ["viewer", "operator", "owner"] as const) {
      const res = await asAdmin(cookies.get(role)!, "GET", "/v2/manage/push/audit", { apiKey: other.apiKey });
      expectContractError(res, `${role} on another app`, 901);
    }
    const me = await call<{ Apps: Array<{ ApiKey: string }>; Role: string; Can: string[] }>(gw.url, "GET", CONSOLE_API.me, { headers: { Cookie: cookies.get("viewer")! } });
    expect(me.body).toMatchObject({ Role: "viewer", Apps: [{ ApiKey: gw.apiKey }], Can: ["audit.export", "read"] });
  });

  it("the apikey + apisecret sign-in stays the owner of its own app only", async () => {
    expect((await call(gw.url, "PUT", "/v2/manage/2fa/push-notification-settings", { headers: secretHeaders(gw), json: { ChallengeTtlSeconds: 160 } })).status).toBe(200);
    const crossed = await call(gw.url, "GET", "/v2/manage/push/audit", { headers: { "X-LoginRadius-ApiKey": other.apiKey, "X-LoginRadius-ApiSecret": gw.apiSecret } });
    expectContractError(crossed, "another app's key with this secret", 902);
  });
});
