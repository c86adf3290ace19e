import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockAfterFraudReport } from "../src/accounts/lockout.js";
import { runAdmin } from "../src/admin/run-admin.js";
import type { AuditEntry } from "../src/audit/audit-log.js";
import { TestPage } from "./support/cluster.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import type { TestPhone } from "./support/phone.js";
import { enrolledUser, pushedLogin } from "./support/pushes.js";
import { login, ping, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Backup codes (contract 1.6, L13–L16): ten single-use codes, shown once and stored as keyed hashes; a login finished
 * with one instead of the push (the push challenge ends Cancelled for its page, its pings and its phone); one code
 * finishes one login however many requests race; wrong codes count toward the lockout and the guess budget.
 */

const MAX_FAILURES = 3;
let gw: TestGateway;
let receiver: WebhookReceiver;
const pages: TestPage[] = [];
let n = 0;
const email = () => `bc${++n}-${Date.now()}@example.com`;

beforeAll(async () => {
  gw = await startTestGateway({ env: { LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
  receiver = await new WebhookReceiver("whsec-backup-codes-signing-secret").start();
  await useWebhook(gw, receiver);
}, 30_000);
afterAll(async () => {
  for (const p of pages) p.close();
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

interface SignedIn {
  user: string;
  uid: string;
  phone: TestPhone;
  accessToken: string;
}

/** A new account with an enrolled phone, signed in through a push it approved. */
async function signedInUser(): Promise<SignedIn> {
  const { user, phone } = await enrolledUser(gw, receiver, email());
  const { token, handle } = await pushedLogin(gw, receiver, user);
  expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
  const session = (await ping(gw, token)).body as { access_token: string; Profile: { Uid: string } };
  return { user, uid: session.Profile.Uid, phone, accessToken: session.access_token };
}

const ownCodes = (accessToken: string, reset = false) =>
  call<{ BackUpCodes: string[] }>(gw.url, "GET", `/identity/v2/auth/account/2fa/backupcode${reset ? "/reset" : ""}`, {
    query: { apikey: gw.apiKey },
    headers: { Authorization: `Bearer ${accessToken}` },
  });

const useCode = (token: string, backupcode: unknown, node = gw) =>
  call<{ access_token?: string; Profile?: { Uid: string }; ErrorCode?: number }>(node.url, "PUT", "/identity/v2/auth/login/2fa/verification/backupcode", {
    query: { apikey: node.apiKey, secondfactorauthenticationtoken: token },
    json: { backupcode },
  });

const auditOf = async (uid: string) =>
  ((await call<{ Data: AuditEntry[] }>(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw), query: { count: "200" } })).body.Data ?? []).filter((e) => e.uid === uid);

describe("issuing backup codes (L13, L14, L15)", () => {
  it("L13 gives ten codes, kept only as keyed hashes; L2 then says IsBackupCodeEnabled; L14 replaces the set", async () => {
    const u = await signedInUser();
    const before = await login(gw, u.user);
    expect(before.body.SecondFactorAuthentication.IsBackupCodeEnabled).toBe(false);

    const first = await ownCodes(u.accessToken);
    expect(first.status, first.text).toBe(200);
    expect(Object.keys(first.body)).toEqual(["BackUpCodes"]);
    const codes = first.body.BackUpCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);

    // Redis holds ten HMACs, none the code, its SHA-256, or anything that contains it.
    const stored = await gw.services.redis.smembers(gw.services.keys.backupCodes(gw.apiKey, u.uid));
    expect(stored).toHaveLength(10);
    const bare = codes.flatMap((c) => [c, c.replace("-", ""), createHash("sha256").update(c).digest("hex"), createHash("sha256").update(c.replace("-", "")).digest("hex")]);
    for (const s of stored) {
      expect(s).toMatch(/^[0-9a-f]{64}$/);
      expect(bare).not.toContain(s);
    }

    const after = await login(gw, u.user);
    expect(after.body.SecondFactorAuthentication.IsBackupCodeEnabled).toBe(true);

    const second = await ownCodes(u.accessToken, true);
    expect(second.status, second.text).toBe(200);
    expect(second.body.BackUpCodes).toHaveLength(10);
    expect(second.body.BackUpCodes.filter((c) => codes.includes(c))).toEqual([]);
    // The old set is gone: its first code no longer finishes a login; the new one does.
    const { token } = await pushedLogin(gw, receiver, u.user);
    expect((await useCode(token, codes[0])).body).toMatchObject({ ErrorCode: 1066 });
    expect((await useCode(token, second.body.BackUpCodes[0])).status).toBe(200);

    const types = (await auditOf(u.uid)).map((e) => e.type);
    expect(types).toContain("backup_codes.issued");
    expect(types).toContain("backup_codes.reset");
    expect(types).toContain("backup_code.used");
  });

  it("L13 and L14 without an access token answer 1060, with an unknown one 905", async () => {
    for (const path of ["/identity/v2/auth/account/2fa/backupcode", "/identity/v2/auth/account/2fa/backupcode/reset"]) {
      const missing = await call(gw.url, "GET", path, { query: { apikey: gw.apiKey } });
      expect(missing.status, path).toBe(400);
      expect(missing.body, path).toMatchObject({ ErrorCode: 1060 });
      const unknown = await call(gw.url, "GET", path, { query: { apikey: gw.apiKey, access_token: crypto.randomUUID() } });
      expect(unknown.body, path).toMatchObject({ ErrorCode: 905 });
    }
  });

  it("L15: an admin issues a set with the apisecret, on both paths; a wrong secret is 902, an unknown uid 938, none 908", async () => {
    const u = await signedInUser();
    for (const path of ["/identity/v2/manage/account/2fa/backupcode", "/identity/v2/manage/account/2fa/backupcode/reset"]) {
      const res = await call<{ BackUpCodes: string[] }>(gw.url, "GET", path, { headers: secretHeaders(gw), query: { uid: u.uid } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.BackUpCodes).toHaveLength(10);
      const wrong = await call(gw.url, "GET", path, { headers: { ...secretHeaders(gw), "X-LoginRadius-ApiSecret": "wrong" }, query: { uid: u.uid } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({ ErrorCode: 902 });
      expect((await call(gw.url, "GET", path, { headers: secretHeaders(gw), query: { uid: "0".repeat(32) } })).body).toMatchObject({ ErrorCode: 938 });
      expect((await call(gw.url, "GET", path, { headers: secretHeaders(gw), query: { uid: "<script>" } })).body).toMatchObject({ ErrorCode: 938 });
      expect((await call(gw.url, "GET", path, { headers: secretHeaders(gw) })).body).toMatchObject({ ErrorCode: 908, Errors: [{ FieldName: "uid" }] });
    }
    // The user's own access token is no admin credential.
    const asUser = await call(gw.url, "GET", "/identity/v2/manage/account/2fa/backupcode", { query: { apikey: gw.apiKey, uid: u.uid, access_token: u.accessToken } });
    expect(asUser.body).toMatchObject({ ErrorCode: 923 });
    expect((await auditOf(u.uid)).filter((e) => e.detail === "by an admin").map((e) => e.type).sort()).toEqual(["backup_codes.issued", "backup_codes.reset"]);
  });

  it("the admin CLI issues a new set for a user and prints it; the set works and the old one does not", async () => {
    const u = await signedInUser();
    const old = (await ownCodes(u.accessToken)).body.BackUpCodes;
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdmin(["backup-codes", gw.apiKey, u.user], {
      NODE_ENV: "production",
      REDIS_URL: gw.config.REDIS_URL,
      REDIS_PREFIX: gw.config.REDIS_PREFIX,
      MASTER_KEY: gw.config.MASTER_KEY!,
    }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code, err.join("\n")).toBe(0);
    expect(out).toHaveLength(10);
    const { token } = await pushedLogin(gw, receiver, u.user);
    expect((await useCode(token, old[0])).body).toMatchObject({ ErrorCode: 1066 });
    expect((await useCode(token, out[3])).status).toBe(200);
    expect((await auditOf(u.uid)).some((e) => e.type === "backup_codes.reset" && e.detail === "by an admin (CLI)")).toBe(true);
  });
});

describe("signing in with a backup code (L16)", () => {
  it("finishes the login: the caller gets the login response, the page sees Cancelled, pings and the phone's answer get 1104", async () => {
    const u = await signedInUser();
    const codes = (await ownCodes(u.accessToken)).body.BackUpCodes;
    const { token, handle } = await pushedLogin(gw, receiver, u.user);
    const page = TestPage.open(gw, token);
    pages.push(page);
    await page.waitFor((s) => s.Status === "Pending");

    // As typed by hand: upper case, without its dash, padded.
    const res = await useCode(token, ` ${codes[0]!.toUpperCase().replace("-", "")} `);
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["Profile", "access_token", "expires_in", "refresh_token"]);
    expect(res.body.Profile!.Uid).toBe(u.uid);
    // The session works.
    const mfa = await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey, access_token: res.body.access_token! } });
    expect(mfa.status, mfa.text).toBe(200);

    const cancelled = await page.waitFor((s) => s.Status === "Cancelled");
    expect(cancelled.Login).toBeUndefined();
    expect(cancelled.Error).toMatchObject({ ErrorCode: 1104 });
    expect(await page.disconnected()).toBe("io server disconnect");
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1104 });
    expect((await u.phone.answer(gw.url, gw.apiKey, handle, "Yes")).body).toMatchObject({ ErrorCode: 1104 });
    // Used once: the same code on the same token, and on the next login, is refused.
    expect((await useCode(token, codes[0])).body).toMatchObject({ ErrorCode: 1104 });
    const next = await pushedLogin(gw, receiver, u.user);
    const again = await useCode(next.token, codes[0]);
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ ErrorCode: 1066 });
    expect((await useCode(next.token, codes[1])).status).toBe(200);
    expect(await gw.services.backupCodes.left(gw.apiKey, u.uid)).toBe(8);
  });

  it("ten parallel uses of one code: exactly one 200, and the code is spent once", async () => {
    const u = await signedInUser();
    const codes = (await ownCodes(u.accessToken)).body.BackUpCodes;
    const { token } = await pushedLogin(gw, receiver, u.user);
    const answers = await Promise.all(Array.from({ length: 10 }, () => useCode(token, codes[5])));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(a.body).toMatchObject({ ErrorCode: 1104 });
    expect(await gw.services.backupCodes.left(gw.apiKey, u.uid)).toBe(9);
    // Only one session was made: one backup_code.used in the audit.
    expect((await auditOf(u.uid)).filter((e) => e.type === "backup_code.used")).toHaveLength(1);
  });

  it("wrong codes (1066) lock the account after LOGIN_MAX_FAILURES: then even a right code and the password get 1198, until an admin unlocks", async () => {
    const u = await signedInUser();
    const codes = (await ownCodes(u.accessToken)).body.BackUpCodes;
    const { token } = await pushedLogin(gw, receiver, u.user);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const wrong = await useCode(token, "00000-00000");
      expect(wrong.status, `try ${i + 1}`).toBe(403);
      expect(wrong.body).toMatchObject({ ErrorCode: 1066 });
    }
    expect((await useCode(token, codes[0])).body).toMatchObject({ ErrorCode: 1198 });
    expect((await login(gw, u.user)).body).toMatchObject({ ErrorCode: 1198 });
    // The right code was not spent by the refusal.
    expect(await gw.services.backupCodes.left(gw.apiKey, u.uid)).toBe(10);
    const audit = await auditOf(u.uid);
    expect(audit.some((e) => e.type === "user.locked" && e.detail === "wrong backup codes")).toBe(true);
    expect(audit.filter((e) => e.type === "login.refused" && e.detail === "wrong backup code")).toHaveLength(MAX_FAILURES);

    const unlocked = await call(gw.url, "DELETE", `/v2/manage/account/${u.uid}/push/lock`, { headers: secretHeaders(gw) });
    expect(unlocked.status, unlocked.text).toBe(200);
    const { token: fresh } = await pushedLogin(gw, receiver, u.user);
    expect((await useCode(fresh, codes[0])).status).toBe(200);
  });

  it("a 'not me' lock refuses backup codes too (1198)", async () => {
    const u = await signedInUser();
    const codes = (await ownCodes(u.accessToken)).body.BackUpCodes;
    const { token } = await pushedLogin(gw, receiver, u.user);
    // A "not me" answer on another login locks the user while this one still waits (a reported login and a
    // waiting one cannot both be pending, so the lock is set as L5's fraud answer sets it).
    await lockAfterFraudReport(gw.services, gw.apiKey, u.uid, "another-challenge");
    expect((await useCode(token, codes[0])).body).toMatchObject({ ErrorCode: 1198 });
    expect(await gw.services.backupCodes.left(gw.apiKey, u.uid)).toBe(10);
  });

  it("refuses an unknown token (1103), a missing one (1103), no body or a code that is not text (965), an unknown apikey (901)", async () => {
    expect((await useCode(crypto.randomUUID(), "abcde-abcde")).body).toMatchObject({ ErrorCode: 1103 });
    const noToken = await call(gw.url, "PUT", "/identity/v2/auth/login/2fa/verification/backupcode", { query: { apikey: gw.apiKey }, json: { backupcode: "abcde-abcde" } });
    expect(noToken.body).toMatchObject({ ErrorCode: 1103 });
    const { user } = await enrolledUser(gw, receiver, email());
    const { token } = await pushedLogin(gw, receiver, user);
    for (const body of [undefined, 12345, null, "", "x".repeat(65)]) {
      const res = await useCode(token, body);
      expect(res.status, String(body)).toBe(400);
      expect(res.body, String(body)).toMatchObject({ ErrorCode: 965 });
    }
    expect((await call(gw.url, "PUT", "/identity/v2/auth/login/2fa/verification/backupcode", { query: { apikey: crypto.randomUUID(), secondfactorauthenticationtoken: token }, json: { backupcode: "a" } })).body).toMatchObject({ ErrorCode: 901 });
    // A user without codes: any code is wrong.
    expect((await useCode(token, "abcde-abcde")).body).toMatchObject({ ErrorCode: 1066 });
  });
});

describe("the guess budget", () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await startTestGateway({ rateLimits: { failedGuessesPerIp: 2 } });
    await useWebhook(g, receiver);
  }, 30_000);
  afterAll(async () => {
    await g.stop();
    await deletePrefix(g.config.REDIS_PREFIX);
  });

  it("wrong codes spend the address's failed-guesses budget: then 429 with Retry-After, even for a right code", async () => {
    const { user } = await enrolledUser(g, receiver, email());
    const { token } = await pushedLogin(g, receiver, user);
    const uid = (await g.services.challenges.pendingOf(g.apiKey, (await g.services.accounts.findUid(g.apiKey, "email", user))!))!.uid;
    const [right] = await g.services.backupCodes.issue(g.apiKey, uid);
    expect((await useCode(token, "zzzzz-zzzzz", g)).body).toMatchObject({ ErrorCode: 1066 });
    expect((await useCode(token, "yyyyy-yyyyy", g)).body).toMatchObject({ ErrorCode: 1066 });
    const refused = await useCode(token, right, g);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
