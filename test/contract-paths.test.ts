import { generateKeyPairSync } from "node:crypto";
import { createServer as createHttpServer, get as httpGet } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/crypto/tokens.js";
import { createHttpApp } from "../src/http/app.js";
import { createServices } from "../src/services.js";
import { TestPage } from "./support/cluster.js";
import { expectContractError } from "./support/contract.js";
import { putSettings, uniqueEmail, waitUntil } from "./support/delivery.js";
import { deletePrefix, REDIS_CLUSTER, REDIS_URL, relaxedLimits, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { RedisGate } from "./support/redis-gate.js";
import { createAccount, login, ping, secretHeaders, useWebhook, type SecondFactor } from "./support/scenario.js";
import { WebhookReceiver, type ReceivedPush } from "./support/webhook-receiver.js";

/**
 * Contract paths that no other test exercised end to end, each as a client makes the call (HTTP, socket.io-client)
 * against a real gateway on the real Redis, with small windows and limits set by the test. One describe per
 * endpoint; docs/CONTRACT-COVERAGE.md maps every endpoint and error code to the test that exercises it.
 */

const PASSWORD = "correct horse battery";
const LOGIN = "/identity/v2/auth/login/2fa";

let gw: TestGateway;
let receiver: WebhookReceiver;
const pages: TestPage[] = [];

beforeAll(async () => {
  gw = await startTestGateway({
    // A short finalize window to wait out; resends allowed at once, and only one.
    env: { FINALIZE_WINDOW_SECONDS: "2", RESEND_MIN_INTERVAL_SECONDS: "0", RESEND_MAX: "1" },
  });
  receiver = await new WebhookReceiver("whsec-contract-paths-secret-01").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  for (const p of pages) p.close();
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** A waiting page on `node`, closed after the file. */
function openPage(node: { url: string; apiKey: string }, token: string, headers: Record<string, string> = {}): TestPage {
  const page = TestPage.open(node, token, headers);
  pages.push(page);
  return page;
}

/** The pushes that reached the webhook for the account of `email` (its identifier), once there are `count`. */
const pushesTo = (email: string, count = 1): Promise<ReceivedPush[]> =>
  waitUntil(() => {
    const mine = receiver.pushes.filter((p) => p.data.identifier === email);
    return mine.length >= count ? mine : undefined;
  }, `${count} push(es) to ${email}`);

let accounts = 0;
/** L1: an account with an email, a username and a phone number. */
async function fullAccount(node: TestGateway) {
  accounts += 1;
  const email = uniqueEmail("paths");
  const userName = `paths-user-${accounts}-${Date.now()}`;
  const phone = `+1 555 ${String(accounts).padStart(3, "0")} ${String(Date.now() % 10_000).padStart(4, "0")}`;
  const res = await call<{ Uid: string }>(node.url, "POST", "/identity/v2/manage/account", {
    headers: secretHeaders(node),
    json: { Email: [{ Type: "Primary", Value: email }], Password: PASSWORD, UserName: userName, PhoneId: phone },
  });
  expect(res.status, res.text).toBe(200);
  return { uid: res.body.Uid, email, userName, phone };
}

/** A full account with a handset enrolled through an enrollment URL as L9 issues it (no login waiting). */
async function enrolledAccount(node: TestGateway) {
  const account = await fullAccount(node);
  const app = (await node.services.apps.get(node.apiKey))!;
  const qr = await node.services.enrollment.issue({ appId: node.apiKey, uid: account.uid }, await node.services.settings.get(app.apiKey, app.name));
  const handset = new TestPhone();
  expect((await handset.enroll(qr.PushQRCodeDetails.Url)).status).toBe(200);
  return { ...account, handset };
}

type Identifier = { email: string } | { username: string } | { phone: string };

/** L2 with any identifier, from the address `from` when the node trusts X-Forwarded-For. */
const loginWith = (node: TestGateway, id: Identifier, o: { password?: string; from?: string } = {}) =>
  call<{ SecondFactorAuthentication: SecondFactor; ErrorCode?: number }>(node.url, "POST", LOGIN, {
    query: { apikey: node.apiKey },
    headers: o.from ? { "X-Forwarded-For": o.from } : {},
    json: { ...id, password: o.password ?? PASSWORD },
  });

const tokenOf = (res: ApiResponse<{ SecondFactorAuthentication: SecondFactor }>) => res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;

/** L3: the resend. */
const resend = (node: TestGateway, token: string) =>
  call(node.url, "POST", "/identity/v2/auth/login/2FA", { query: { apikey: node.apiKey, secondfactorauthenticationtoken: token } });

/** The contract's 429: its error body, and a Retry-After of whole seconds within the limit's window. */
function expectTooMany(res: ApiResponse, label: string): void {
  expectContractError(res, label, 429);
  expect(res.status, label).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1, `${label}: Retry-After ${res.headers.get("retry-after")}`).toBe(true);
}

/** An L2 whose push reached the phone: the browser token and the handle the push carried. */
async function pushedLogin(node: TestGateway, account: { email: string }) {
  const before = receiver.pushes.filter((p) => p.data.identifier === account.email).length;
  const res = await loginWith(node, { email: account.email });
  expect(res.status, res.text).toBe(200);
  const push = (await pushesTo(account.email, before + 1))[before]!;
  return { res, token: tokenOf(res), push, handle: push.data.secondfactorauthenticationtoken! };
}

describe("L1 create account", () => {
  it("L1 answers the new profile itself, with Uid, ID, Email, EmailVerified, IsActive and CreatedDate at the top level", async () => {
    const email = uniqueEmail("shape");
    const res = await call(gw.url, "POST", "/identity/v2/manage/account", {
      headers: secretHeaders(gw),
      json: { Email: [{ Type: "Primary", Value: email }], Password: PASSWORD, FirstName: "Ada" },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      Uid: expect.stringMatching(/^[0-9a-f]{32}$/),
      ID: expect.stringMatching(/^[0-9a-f]{32}$/),
      Email: [{ Type: "Primary", Value: email }],
      EmailVerified: true,
      IsActive: true,
      IsDeleted: false,
      FirstName: "Ada",
    });
    const created = (res.body as { CreatedDate: string }).CreatedDate;
    expect(new Date(created).toISOString()).toBe(created);
    expect(res.body.Uid).not.toBe(res.body.ID);
    // The profile itself, not wrapped, and nothing of the password.
    expect(res.body).not.toHaveProperty("Profile");
    expect(res.text).not.toContain(PASSWORD);
    expect(Object.keys(res.body)).not.toContain("Password");
  });

  it("L1 answers 403 936 when the email is already registered, in any letter case", async () => {
    const email = uniqueEmail("taken");
    await createAccount(gw, email);
    for (const again of [email, email.toUpperCase()]) {
      const res = await call(gw.url, "POST", "/identity/v2/manage/account", {
        headers: secretHeaders(gw),
        json: { Email: [{ Type: "Primary", Value: again }], Password: PASSWORD },
      });
      expectContractError(res, again, 936);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ Message: "Email address is already registered with your LoginRadius site" });
    }
  });
});

describe("L2 first factor", () => {
  it("L2 signs in by username: the push goes to that account's phone", async () => {
    const a = await enrolledAccount(gw);
    const res = await loginWith(gw, { username: a.userName });
    expect(res.status, res.text).toBe(200);
    expect(res.body.SecondFactorAuthentication).toMatchObject({ IsPushDeviceRegistered: true, PushQRCode: null });
    const [push] = await pushesTo(a.email);
    expect(push!.device.token).toBe(a.handset.deviceToken);
  });

  it("L2 signs in by phone, written with or without its spaces: the push goes to that account's phone", async () => {
    const a = await enrolledAccount(gw);
    const first = await loginWith(gw, { phone: a.phone });
    expect(first.status, first.text).toBe(200);
    // Its push first: a newer login would cancel it before it is sent.
    await pushesTo(a.email, 1);
    const second = await loginWith(gw, { phone: a.phone.replaceAll(" ", "") });
    expect(second.status, second.text).toBe(200);
    const pushes = await pushesTo(a.email, 2);
    expect(pushes.map((p) => p.device.token)).toEqual([a.handset.deviceToken, a.handset.deviceToken]);
    // One account: the second login cancelled the first (one pending challenge per user).
    expect((await ping(gw, tokenOf(first))).body).toMatchObject({ ErrorCode: 1104 });
    expect((await ping(gw, tokenOf(second))).body).toMatchObject({ ErrorCode: 1295 });
  });

  it("L2 answers 922 without an apikey, 920 for a malformed one and 901 for an unknown one", async () => {
    const a = await fullAccount(gw);
    const attempt = (query: Record<string, string>) => call(gw.url, "POST", LOGIN, { query, json: { email: a.email, password: PASSWORD } });
    const missing = await attempt({});
    expectContractError(missing, "no apikey", 922);
    expect(missing.status).toBe(400);
    const malformed = await attempt({ apikey: "not-a-guid" });
    expectContractError(malformed, "malformed apikey", 920);
    expect(malformed.status).toBe(400);
    const unknown = await attempt({ apikey: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" });
    expectContractError(unknown, "unknown apikey", 901);
    expect(unknown.status).toBe(403);
  });

  describe("with push switched off", () => {
    let off: TestGateway;
    beforeAll(async () => {
      // A new app's settings: push is off until L10 switches it on.
      off = await startTestGateway({ worker: false });
    });
    afterAll(async () => {
      await off.stop();
      await deletePrefix(off.config.REDIS_PREFIX);
    });

    it("L2 answers 403 1299 while push is switched off in the app's settings", async () => {
      const email = uniqueEmail("off");
      await createAccount(off, email);
      const res = await loginWith(off, { email });
      expectContractError(res, "push off", 1299);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ Message: "Push Notifications are not set up for Two-Factor Authentication" });
    });
  });
});

describe("L3 resend", () => {
  it("L3 resends the push: 200 IsPosted true, and the phone gets the same handle again", async () => {
    const a = await enrolledAccount(gw);
    const { token, handle } = await pushedLogin(gw, a);
    const res = await resend(gw, token);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ IsPosted: true });
    const [first, again] = await pushesTo(a.email, 2);
    expect(again!.data.secondfactorauthenticationtoken).toBe(handle);
    expect(again!.id).not.toBe(first!.id);
    // The resent push answers the same login.
    expect((await a.handset.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    expect((await ping(gw, token)).status).toBe(200);
  });

  it("L3 answers 429 with Retry-After once RESEND_MAX resends were made", async () => {
    const a = await enrolledAccount(gw);
    const { token } = await pushedLogin(gw, a);
    expect((await resend(gw, token)).status).toBe(200);
    expectTooMany(await resend(gw, token), "resend beyond RESEND_MAX=1");
  });
});

describe("L4 ping", () => {
  it("L4 answers the same login until the finalize window has closed, then 1104", async () => {
    const a = await enrolledAccount(gw);
    const { token, handle } = await pushedLogin(gw, a);
    expect((await a.handset.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    const approved = await ping(gw, token);
    expect(approved.status, approved.text).toBe(200);
    // FINALIZE_WINDOW_SECONDS is 2 here: poll until the answer changes, each 200 the same login meanwhile.
    const after = await waitUntil(async () => {
      const res = await ping(gw, token);
      if (res.status !== 200) return res;
      expect(res.body).toEqual(approved.body);
      return undefined;
    }, "the finalize window to close");
    expectContractError(after, "ping after the finalize window", 1104);
    expect(after.status).toBe(403);
    expect(after.body).toMatchObject({ Message: "Two factor authentication token has expired" });
  });
});

describe("L5 answer, with number matching", () => {
  let nm: TestGateway;
  beforeAll(async () => {
    nm = await startTestGateway();
    await useWebhook(nm, receiver, { NumberMatching: "PickOne" });
  });
  afterAll(async () => {
    await nm.stop();
    await deletePrefix(nm.config.REDIS_PREFIX);
  });

  /** A PickOne login: its page waiting on the socket, the number L2 answered, and the three the push offers. */
  async function pickOneLogin() {
    const a = await enrolledAccount(nm);
    const { res, token, push, handle } = await pushedLogin(nm, a);
    const number = res.body.SecondFactorAuthentication.PushNumber!;
    const page = openPage(nm, token);
    return { a, token, handle, number, options: push.data.challenge!.split(","), page };
  }

  it("push:status carries Number while pending: the PushNumber L2 answered, one of the three the push offers; the right one approves", async () => {
    const { a, handle, number, options, page } = await pickOneLogin();
    expect(number).toMatch(/^\d{2}$/);
    expect(options).toHaveLength(3);
    expect(options).toContain(number);
    expect((await page.waitFor((s) => s.Status === "Pending")).Number).toBe(number);
    expect((await a.handset.answer(nm.url, nm.apiKey, handle, "Yes", { number })).status).toBe(200);
    const approved = await page.waitFor((s) => s.Status === "Approved");
    expect(approved.Login?.access_token).toEqual(expect.any(String));
    expect(approved.Number).toBeUndefined();
  });

  it("L5 answers 1297 for a wrong number, and the login is denied: ping 1312, the page hears Denied", async () => {
    const { a, token, handle, number, options, page } = await pickOneLogin();
    await page.waitFor((s) => s.Status === "Pending");
    const wrong = options.find((o) => o !== number)!;
    // Signed correctly, over the wrong number: the signature holds, the number does not.
    const res = await a.handset.answer(nm.url, nm.apiKey, handle, "Yes", { number: wrong });
    expectContractError(res, "wrong number", 1297);
    expect(res.status).toBe(403);
    expect((await ping(nm, token)).body).toMatchObject({ ErrorCode: 1312 });
    expect((await page.waitFor((s) => s.Status === "Denied")).Error).toMatchObject({ ErrorCode: 1312 });
    // Denied for good: the right number comes too late.
    expect((await a.handset.answer(nm.url, nm.apiKey, handle, "Yes", { number })).body).toMatchObject({ ErrorCode: 1311 });
  });

  it("L5 answers 1297 when the number is missing, and the login is denied: ping 1312, the page hears Denied", async () => {
    const { a, token, handle, page } = await pickOneLogin();
    await page.waitFor((s) => s.Status === "Pending");
    // A blind "Approve" of an app that does not know about number matching: signed, but no number.
    const res = await a.handset.answer(nm.url, nm.apiKey, handle, "Yes");
    expectContractError(res, "missing number", 1297);
    expect((await ping(nm, token)).body).toMatchObject({ ErrorCode: 1312 });
    expect((await page.waitFor((s) => s.Status === "Denied")).Error).toMatchObject({ ErrorCode: 1312 });
  });

  it("with Typed, the push asks for the number to be typed, and the typed number approves", async () => {
    await putSettings(nm, { NumberMatching: "Typed" });
    const a = await enrolledAccount(nm);
    const { res, token, push, handle } = await pushedLogin(nm, a);
    const number = res.body.SecondFactorAuthentication.PushNumber!;
    expect(push.data.challenge).toBe("typed");
    const page = openPage(nm, token);
    expect((await page.waitFor((s) => s.Status === "Pending")).Number).toBe(number);
    expect((await a.handset.answer(nm.url, nm.apiKey, handle, "Yes", { number })).status).toBe(200);
    expect((await ping(nm, token)).status).toBe(200);
  });
});

describe("L6 enrollment", () => {
  /** An account without a device, and the enrollment URL its L2 answered. */
  async function enrollmentUrl() {
    const a = await fullAccount(gw);
    const res = await loginWith(gw, { email: a.email });
    expect(res.status, res.text).toBe(200);
    return { a, url: res.body.SecondFactorAuthentication.PushQRCodeDetails!.Url };
  }

  it("L6 answers 1103 to an enrollment URL already used, and adds no device", async () => {
    const { a, url } = await enrollmentUrl();
    expect((await new TestPhone().enroll(url)).status).toBe(200);
    const replay = await new TestPhone().enroll(url);
    expectContractError(replay, "used URL", 1103);
    expect(replay.status).toBe(403);
    expect(await gw.services.devices.list(gw.apiKey, a.uid)).toHaveLength(1);
  });

  it("L6 answers 1103 to an enrollment URL past its lifetime, and adds no device", async () => {
    const { a, url } = await enrollmentUrl();
    // ENROLLMENT_TTL_SECONDS is at least 30: rather than wait that out, bring the enrollment's own Redis expiry
    // forward to now. Redis expires it; the phone then posts as it would after five minutes.
    const token = new URL(url).pathname.split("/").at(-1)!;
    const key = gw.services.keys.enrollment(hashToken(token));
    expect(await gw.services.redis.pexpire(key, 1)).toBe(1);
    await waitUntil(async () => (await gw.services.redis.exists(key)) === 0, "the enrollment to expire");
    const late = await new TestPhone().enroll(url);
    expectContractError(late, "expired URL", 1103);
    expect(await gw.services.devices.list(gw.apiKey, a.uid)).toHaveLength(0);
  });

  it("L6 refuses an RSA key under 2048 bits with 400 965 naming publicKey, and the URL stays usable", async () => {
    const { a, url } = await enrollmentUrl();
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "der", type: "spki" }).toString("hex");
    const res = await call(url, "POST", url, { json: { deviceName: "Old phone", deviceType: "android", publicKey: weak, deviceToken: "fcm-weak-key-token" } });
    expectContractError(res, "RSA-1024", 965);
    expect(res.status).toBe(400);
    expect((res.body as { Errors: Array<{ FieldName: string }> }).Errors.map((e) => e.FieldName)).toEqual(["publicKey"]);
    expect(await gw.services.devices.list(gw.apiKey, a.uid)).toHaveLength(0);
    expect((await new TestPhone().enroll(url)).status).toBe(200);
  });
});

describe("L7 and L9 with an expired access token", () => {
  /** A gateway node of the same deployment whose clock reads `ahead` ms later than this one's. */
  async function nodeAhead(ahead: number) {
    const s = createServices({
      config: gw.config,
      logger: gw.services.logger,
      redis: gw.services.redis,
      sealer: gw.services.sealer,
      queues: gw.services.queues,
      notifier: gw.services.notifier,
      rateLimits: relaxedLimits,
      now: () => Date.now() + ahead,
    });
    const server = createHttpServer(createHttpApp(s, { isAccepting: () => true }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it("L9 and L7 answer 403 906 for an access token past its expiry, and L7 removes nothing", async () => {
    const a = await enrolledAccount(gw);
    const { token, handle } = await pushedLogin(gw, a);
    expect((await a.handset.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    const accessToken = ((await ping(gw, token)).body as { access_token: string }).access_token;
    const asUser = (base: string, method: string, path: string) => call(base, method, path, { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${accessToken}` } });

    // SESSION_TTL_SECONDS is at least a minute: rather than wait it out, ask a node whose clock is past the
    // token's expiry. The record must still be there then, so a token that simply ran out answers 906, not 905.
    const ttlMs = gw.config.SESSION_TTL_SECONDS * 1000;
    expect(await gw.services.redis.pttl(gw.services.keys.session(hashToken(accessToken)))).toBeGreaterThan(ttlMs);
    const later = await nodeAhead(ttlMs + 1000);
    try {
      for (const [method, path] of [["GET", "/identity/v2/auth/account/2fa"], ["DELETE", "/identity/v2/auth/account/2fa/authenticator/push"]] as const) {
        const res = await asUser(later.url, method, path);
        expectContractError(res, `${method} ${path}`, 906);
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ Message: "Access token has expired" });
      }
    } finally {
      await later.close();
    }
    // Still valid now, and the refused L7 removed nothing.
    const mfa = await asUser(gw.url, "GET", "/identity/v2/auth/account/2fa");
    expect(mfa.status, mfa.text).toBe(200);
    expect(mfa.body).toMatchObject({ IsPushDeviceRegistered: true });
  });
});

describe("conventions (section 0)", () => {
  it("a query parameter given twice answers 403 908 naming it", async () => {
    for (const name of ["apikey", "secondfactorauthenticationtoken"]) {
      const url = new URL("/login/2fa/push/ping", gw.url);
      url.searchParams.append("apikey", gw.apiKey);
      url.searchParams.append("secondfactorauthenticationtoken", "b1fbbba5-2a5e-41a2-96da-c216df36e6f4");
      url.searchParams.append(name, "b1fbbba5-2a5e-41a2-96da-c216df36e6f4");
      const res = await call(gw.url, "GET", url.pathname + url.search);
      expectContractError(res, `${name} twice`, 908);
      expect(res.status).toBe(403);
      expect((res.body as { Errors: Array<{ FieldName: string }> }).Errors.map((e) => e.FieldName)).toEqual([name]);
    }
  });
});

describe("PUBLIC_URL (2.3)", () => {
  let pub: TestGateway;
  beforeAll(async () => {
    pub = await startTestGateway({ worker: false, env: { PUBLIC_URL: "https://mfa.example.com/" } });
    await useWebhook(pub, receiver);
  });
  afterAll(async () => {
    await pub.stop();
    await deletePrefix(pub.config.REDIS_PREFIX);
  });

  it("enrollment URLs are built on PUBLIC_URL, and the phone's POST to that path enrolls", async () => {
    const email = uniqueEmail("public");
    await createAccount(pub, email);
    const res = await loginWith(pub, { email });
    expect(res.status, res.text).toBe(200);
    const url = new URL(res.body.SecondFactorAuthentication.PushQRCodeDetails!.Url);
    expect(url.origin).toBe("https://mfa.example.com");
    expect(url.pathname).toMatch(/^\/identity\/v2\/auth\/account\/2fa\/push\/enroll\/[0-9a-f-]{36}$/);
    expect(url.searchParams.get("apikey")).toBe(pub.apiKey);
    // The proxy at PUBLIC_URL forwards to a gateway node: the same path and query, posted to the node.
    const enrolled = await new TestPhone().enroll(new URL(url.pathname + url.search, pub.url).href);
    expect(enrolled.body, enrolled.text).toMatchObject({ isRegistered: true, identifier: email });
  });
});

describe("health (2.4)", () => {
  const redisAddress = new URL(REDIS_URL);
  const gates: RedisGate[] = [];
  afterAll(async () => {
    for (const g of gates) await g.close();
  });

  /** A port nothing listens on now (the node under test is told to bind it). */
  async function freePort(): Promise<number> {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  /** A gateway node whose Redis connections go through a gate; resolves once it is started. */
  async function gatedNode(o: { holdAtConnection?: number } = {}) {
    const gate = await new RedisGate(redisAddress.hostname, Number(redisAddress.port || 6379)).start();
    gates.push(gate);
    gate.holdAtConnection = o.holdAtConnection;
    const port = await freePort();
    const starting = startTestGateway({ worker: false, env: { REDIS_URL: gate.url, PORT: String(port) } });
    return { gate, base: `http://127.0.0.1:${port}`, starting };
  }

  /** One GET on a connection of its own (no keep-alive: a drain would wait for an idle kept-alive connection). */
  const get = (base: string, path: string) =>
    new Promise<{ status: number; type: string | undefined; body: Record<string, unknown> }>((resolve, reject) => {
      httpGet(`${base}${path}`, { agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body: JSON.parse(text) as Record<string, unknown> }));
        res.on("error", reject);
      }).on("error", reject);
    });

  // Skipped on `npm run test:cluster` only: the gate is a single TCP proxy in front of one Redis, and a cluster
  // client follows the nodes' own addresses past it. The ordinary run (and CI) covers both readiness states.
  it.skipIf(REDIS_CLUSTER)("/readyz answers 503 while the node is starting, /healthz 200, the API 503 with 950; /readyz 200 once it takes work", async () => {
    // The node's first Redis client connects; from its second on, Redis's replies are held: the node listens,
    // then waits for its other clients to be ready, as a node does while Redis is slow to answer.
    const { gate, base, starting } = await gatedNode({ holdAtConnection: 2 });
    try {
      const ready = await waitUntil(() => get(base, "/readyz").catch(() => undefined), "the node to listen");
      expect(ready).toMatchObject({ status: 503, type: expect.stringMatching(/application\/json/), body: { Status: "starting" } });
      expect(await get(base, "/healthz")).toMatchObject({ status: 200, body: { Status: "ok" } });
      const early = await call(base, "POST", LOGIN, { query: { apikey: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" }, json: {} });
      expect(early.status).toBe(503);
      expect(early.headers.get("retry-after")).toBe("1");
      expect(early.body).toMatchObject({ ErrorCode: 950, Message: "Operation failed due to an unknown error", IsProviderError: false, ProviderErrorResponse: null });
    } finally {
      gate.release();
    }
    const node = await starting;
    try {
      expect(await get(base, "/readyz")).toMatchObject({ status: 200, body: { Status: "ready", Accepting: true } });
    } finally {
      await node.stop();
      await deletePrefix(node.config.REDIS_PREFIX);
    }
  });

  // Skipped on the cluster run for the same reason as the test above.
  it.skipIf(REDIS_CLUSTER)("/readyz answers 503 while the node drains: a readiness check in flight when the drain begins", async () => {
    const { gate, base, starting } = await gatedNode();
    const node = await starting;
    expect((await get(base, "/readyz")).status).toBe(200);
    // Keep a readiness check in flight: its PING reached Redis, the reply is held.
    gate.hold();
    const inFlight = get(base, "/readyz");
    await gate.sawCommand("ping");
    const drained = node.stop();
    gate.release();
    expect(await inFlight).toMatchObject({ status: 503, body: { Status: "unavailable", Accepting: false } });
    await drained;
    await deletePrefix(node.config.REDIS_PREFIX);
  });
});

describe("rate limits (429 with Retry-After)", () => {
  // The other limits are reached in their own files: answerFailuresPerHandleIp in device-signatures.test.ts,
  // strangerPerIp in realtime-limits.test.ts, failedGuessesPerIp in guessing.test.ts.
  let rl: TestGateway;
  beforeAll(async () => {
    rl = await startTestGateway({
      worker: false,
      env: { TRUST_PROXY: "1" },
      rateLimits: { loginPerIp: 3, loginPerAccount: 2, pingPerToken: 3, handshakePerIp: 2 },
    });
    await useWebhook(rl, receiver);
  });
  afterAll(async () => {
    await rl.stop();
    await deletePrefix(rl.config.REDIS_PREFIX);
  });

  it("loginPerIp: the fourth login from one address in a minute answers 429 with Retry-After; another address goes on", async () => {
    const from = "198.51.100.1";
    for (let i = 0; i < 3; i++) expectContractError(await loginWith(rl, { email: uniqueEmail("nobody") }, { from }), `login ${i + 1}`, 966);
    expectTooMany(await loginWith(rl, { email: uniqueEmail("nobody") }, { from }), "the fourth login");
    expectContractError(await loginWith(rl, { email: uniqueEmail("nobody") }, { from: "198.51.100.2" }), "another address", 966);
  });

  it("loginPerAccount: the third login of one account in a minute answers 429 with Retry-After, whatever the address", async () => {
    const a = await fullAccount(rl);
    expect((await loginWith(rl, { email: a.email }, { from: "198.51.100.10" })).status).toBe(200);
    expect((await loginWith(rl, { username: a.userName }, { from: "198.51.100.11" })).status).toBe(200);
    expectTooMany(await loginWith(rl, { email: a.email }, { from: "198.51.100.12" }), "the third login");
  });

  it("pingPerToken: the fourth ping of one token in a minute answers 429 with Retry-After", async () => {
    const a = await fullAccount(rl);
    const token = tokenOf(await loginWith(rl, { email: a.email }, { from: "198.51.100.20" }));
    for (let i = 0; i < 3; i++) expect((await ping(rl, token)).body, `ping ${i + 1}`).toMatchObject({ ErrorCode: 1295 });
    expectTooMany(await ping(rl, token), "the fourth ping");
  });

  it("handshakePerIp: the third page handshake from one address in a minute is refused 429 with RetryAfter", async () => {
    const a = await fullAccount(rl);
    const token = tokenOf(await loginWith(rl, { email: a.email }, { from: "198.51.100.30" }));
    const from = { "X-Forwarded-For": "198.51.100.31" };
    for (const page of [openPage(rl, token, from), openPage(rl, token, from)]) await page.waitFor((s) => s.Status === "Pending");
    const refusal = await openPage(rl, token, from).refused();
    expect(refusal).toMatchObject({ ErrorCode: 429, Message: "Too many requests in a particular time frame", IsProviderError: false, ProviderErrorResponse: null });
    expect(refusal.RetryAfter).toBeGreaterThanOrEqual(1);
    // Another address's page is admitted.
    await openPage(rl, token, { "X-Forwarded-For": "198.51.100.32" }).waitFor((s) => s.Status === "Pending");
  });
});
