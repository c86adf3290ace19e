import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdmin } from "../src/admin/run-admin.js";
import { defaultRateLimits } from "../src/rate-limits.js";
import { expectContractError } from "./support/contract.js";
import { challengeOfToken, deviceOf, enrollWithoutLogin, sendId, settle, uniqueEmail, waitUntil } from "./support/delivery.js";
import { deletePrefix, dumpEntries, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { createAccount, login, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/** Attacks on the first factor (L2), each made as a client would make it, and refused. */

const PASSWORD = "correct horse battery";
let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // The real per-account login limit; the per-IP one stays relaxed because every test call comes from 127.0.0.1.
  gw = await startTestGateway({ rateLimits: { loginPerAccount: defaultRateLimits.loginPerAccount } });
  receiver = await new WebhookReceiver("whsec-login-security-secret-01").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

type Identifier = { email: string } | { username: string } | { phone: string };

/** L2 with any kind of identifier. */
const loginWith = (id: Identifier, password = PASSWORD) =>
  call<{ SecondFactorAuthentication?: { PushQRCode: unknown; IsPushDeviceRegistered: boolean }; ErrorCode?: number }>(
    gw.url, "POST", "/identity/v2/auth/login/2fa", { query: { apikey: gw.apiKey }, json: { ...id, password } },
  );

let n = 0;
/** L1: an account with an email, a username and a phone number. */
async function fullAccount(tag: string) {
  n += 1;
  const email = uniqueEmail(tag);
  const userName = `${tag}-user-${n}`;
  const phone = `+1 (555) 0${String(n).padStart(2, "0")}-${String(Date.now() % 10_000).padStart(4, "0")}`;
  const res = await call<{ Uid: string }>(gw.url, "POST", "/identity/v2/manage/account", {
    headers: secretHeaders(gw),
    json: { Email: [{ Type: "Primary", Value: email }], Password: PASSWORD, UserName: userName, PhoneId: phone },
  });
  expect(res.status, res.text).toBe(200);
  return { uid: res.body.Uid, email, userName, phone };
}

/** How many times the gateway ran the password hash (scrypt), from its own metrics registry. */
async function passwordChecks(): Promise<number> {
  const metric = gw.services.metrics.registry.getSingleMetric("pmg_password_checks_total");
  if (!metric) throw new Error("the gateway exposes no pmg_password_checks_total counter");
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** The outcome of a call as one value: 200, or the contract's error code. */
const outcome = (res: ApiResponse<{ ErrorCode?: number }>) => (res.status === 200 ? 200 : res.body.ErrorCode);

/** Redis as a refused login must leave it: all but rate-limit counters, BullMQ's bookkeeping and the audit stream. */
async function userFacingState(): Promise<string> {
  const entries = (await dumpEntries(gw.config.REDIS_PREFIX)).filter(([k]) => !k.includes(":rl:") && !k.includes(":bull:") && !k.endsWith(":audit"));
  const jobs = await gw.services.queues.push.getJobCounts();
  return JSON.stringify([entries.sort(([a], [b]) => a.localeCompare(b)), jobs]);
}

describe("a dead device does not reopen enrollment", () => {
  it("after the provider reports the only device gone, L2 answers 1313: no QR, no push, no challenge; so do L3 and the test push", async () => {
    const e = await enrollWithoutLogin(gw, { email: uniqueEmail("dead") });
    receiver.script.push(410);
    const first = await login(gw, e.email);
    expect(first.status).toBe(200);
    const token = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const c = await challengeOfToken(gw, token);
    expect((await settle(gw, sendId(c, e.device.id))).state).toBe("failed");
    expect((await deviceOf(gw, e)).active).toBe(false);
    await waitUntil(async () => (await challengeOfToken(gw, token)).delivery === "Failed", "the page told Failed");

    // The attacker has the password, and hopes for an enrollment QR.
    const before = await userFacingState();
    const requests = receiver.requests.length;
    const attack = await login(gw, e.email);
    expectContractError(attack, "L2 with a dead device", 1313);
    expect(attack.status).toBe(403);
    expect(attack.text).not.toContain("PushQRCode");
    expect(attack.text).not.toContain("/push/enroll/");
    // Nothing was opened, issued or queued: no challenge, no enrollment, no send job.
    expect(await userFacingState()).toBe(before);
    expect((await gw.services.challenges.pendingOf(gw.apiKey, e.uid))?.id).toBe(c.id);

    const resend = await call(gw.url, "POST", "/identity/v2/auth/login/2FA", { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: token } });
    expectContractError(resend, "L3 with a dead device", 1313);
    const testPush = await call(gw.url, "POST", "/v2/manage/push/test", { headers: secretHeaders(gw), json: { Uid: e.uid } });
    expectContractError(testPush, "test push to a dead device", 1313);
    expect(await userFacingState()).toBe(before);
    expect(receiver.requests.length).toBe(requests);

    // Only an admin's reset (L8) makes the user enrollable from L2 again.
    const reset = await call(gw.url, "DELETE", `/identity/v2/manage/account/2FA/authenticator/push/${e.uid}`, { headers: secretHeaders(gw) });
    expect(reset.body).toEqual({ IsDeleted: true });
    const fresh = await login(gw, e.email);
    expect(fresh.status).toBe(200);
    expect(fresh.body.SecondFactorAuthentication.IsPushDeviceRegistered).toBe(false);
    expect(fresh.body.SecondFactorAuthentication.PushQRCode).not.toBeNull();
  });
});

describe("identifiers are normalized once", () => {
  it("padded, re-cased and full-width forms find the account and share its per-account limit: after it, every form gets 429", async () => {
    const a = await fullAccount("variants");
    const fullWidth = (s: string) => s.replace(/[!-~]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
    const variants: Identifier[] = [
      { email: a.email },
      { email: ` ${a.email}` },
      { email: `\u3000${a.email}` },
      { email: `\ufeff${a.email}` },
      { email: `${a.email}\u00a0\t` },
      { email: a.email.toUpperCase() },
      { email: fullWidth(a.email) },
      { username: ` ${a.userName.toUpperCase()}\ufeff` },
      { username: fullWidth(a.userName) },
      { phone: a.phone.replace(/[ ()-]/g, "") },
      { phone: ` ${fullWidth(a.phone)}` },
    ];
    // Every form finds the account (a wrong identifier would answer 966).
    const outcomes: Array<number | undefined> = [];
    for (let i = 0; i < 24; i++) outcomes.push(outcome(await loginWith(variants[i % variants.length]!)));
    const limit = defaultRateLimits.loginPerAccount;
    expect(outcomes.slice(0, limit)).toEqual(Array(limit).fill(200));
    expect(outcomes.slice(limit)).toEqual(Array(24 - limit).fill(429));
  }, 60_000);

  it("L1 normalizes the same way: a re-cased or full-width username of an existing account is taken (936)", async () => {
    const a = await fullAccount("taken");
    for (const UserName of [a.userName.toUpperCase(), `\u3000${a.userName}`, a.userName.replace(/[!-~]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0))]) {
      const res = await call(gw.url, "POST", "/identity/v2/manage/account", {
        headers: secretHeaders(gw),
        json: { Email: [{ Type: "Primary", Value: uniqueEmail("other") }], Password: PASSWORD, UserName },
      });
      expectContractError(res, `UserName ${JSON.stringify(UserName)}`, 936);
    }
  });
});

describe("the lockout does not enumerate accounts", () => {
  it("an unknown identifier locks exactly like a known one, and the password is hashed on every attempt", async () => {
    const known = uniqueEmail("known");
    await createAccount(gw, known, PASSWORD);
    const unknown = uniqueEmail("nobody");
    const answers: Record<string, Array<ApiResponse<{ ErrorCode?: number }>>> = { [known]: [], [unknown]: [] };
    const checksBefore = await passwordChecks();
    const perIdentifier = gw.config.LOGIN_MAX_FAILURES + 2;
    // Both identifiers side by side, each one's attempts in order.
    await Promise.all([known, unknown].map(async (email) => {
      for (let i = 0; i < perIdentifier; i++) {
        // The last try has the right password: a locked identifier stays locked.
        answers[email]!.push(await loginWith({ email }, i === perIdentifier - 1 ? PASSWORD : "wrong password"));
      }
    }));
    const codes = (email: string) => answers[email]!.map((r) => `${r.status} ${r.body.ErrorCode}`);
    const expected = [...Array<string>(gw.config.LOGIN_MAX_FAILURES).fill("401 966"), "403 1198", "403 1198"];
    expect(codes(known)).toEqual(expected);
    expect(codes(unknown)).toEqual(expected);
    for (let i = 0; i < expected.length; i++) expect(answers[known]![i]!.text).toBe(answers[unknown]![i]!.text);
    // Locked, unknown or known: the hash work is spent every time, so the answer's timing says nothing.
    expect((await passwordChecks()) - checksBefore).toBe(2 * perIdentifier);
  }, 60_000);

  it("a 'not me' lock shows only to someone with the password: a wrong one still answers 966", async () => {
    const e = await enrollWithoutLogin(gw, { email: uniqueEmail("notme") });
    expect((await login(gw, e.email)).status).toBe(200);
    const push = await waitUntil(() => receiver.pushes.find((p) => p.device.token === e.phone.deviceToken), "the push");
    const denied = await e.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No", { reason: "fraud" });
    expect(denied.status).toBe(200);

    const checksBefore = await passwordChecks();
    const probe = await loginWith({ email: e.email }, "wrong password");
    expectContractError(probe, "wrong password on a fraud-locked account", 966);
    expect(probe.status).toBe(401);
    expectContractError(await loginWith({ email: e.email }), "right password on a fraud-locked account", 1198);
    expect((await passwordChecks()) - checksBefore).toBe(2);
  });

  /** Lock each identifier out with wrong passwords (the identifiers side by side, each one's attempts in order). */
  async function lockOut(ids: Identifier[]) {
    await Promise.all(ids.map(async (id) => {
      for (let i = 0; i < gw.config.LOGIN_MAX_FAILURES; i++) expect(outcome(await loginWith(id, "wrong password")), JSON.stringify(id)).toBe(966);
      expect(outcome(await loginWith(id)), JSON.stringify(id)).toBe(1198);
    }));
  }

  it("the admin's lift-a-lock clears the password lockout of the account's email, username and phone", async () => {
    const a = await fullAccount("unlockapi");
    const ids: Identifier[] = [{ email: a.email }, { username: a.userName }, { phone: a.phone }];
    await lockOut(ids);
    const unlock = await call(gw.url, "DELETE", `/v2/manage/account/${a.uid}/push/lock`, { headers: secretHeaders(gw) });
    expect(unlock.body).toEqual({ IsDeleted: true });
    for (const id of ids) expect(outcome(await loginWith(id)), JSON.stringify(id)).toBe(200);
  }, 60_000);

  it("the admin CLI's unlock, naming the user by email, clears the lockout of their phone number", async () => {
    const a = await fullAccount("unlockcli");
    await lockOut([{ phone: a.phone }]);
    const out: string[] = [];
    const env = { NODE_ENV: "production", REDIS_URL: gw.config.REDIS_URL, REDIS_PREFIX: gw.config.REDIS_PREFIX, MASTER_KEY: gw.config.MASTER_KEY! };
    const code = await runAdmin(["unlock", gw.apiKey, a.email], env, { out: (l) => out.push(l), err: (l) => out.push(l), stdin: async () => "" });
    expect({ code, out }).toEqual({ code: 0, out: [`unlocked user ${a.uid}`] });
    expect(outcome(await loginWith({ phone: a.phone }))).toBe(200);
  });
});
