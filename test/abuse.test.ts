import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRateLimits } from "../src/rate-limits.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { createAccount, login, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // The real per-account login limit; the per-IP one stays relaxed because every test call comes from 127.0.0.1.
  gw = await startTestGateway({ rateLimits: { loginPerAccount: defaultRateLimits.loginPerAccount } });
  receiver = await new WebhookReceiver("whsec-abuse-signing-secret-01").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

const audit = async () =>
  ((await call(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw), query: { count: "200" } })).body as { Data: Array<{ type: string; uid?: string; detail?: string }> }).Data;

describe("push bombing", () => {
  it("20 logins in a minute: the per-account limit and the 'not me' lock stop the pushes, and the audit shows why", async () => {
    const email = "bombed@example.com";
    const { Uid: uid } = await createAccount(gw, email);
    const phone = new TestPhone();
    const first = await login(gw, email);
    await phone.enroll(first.body.SecondFactorAuthentication.PushQRCode!.Url);
    await receiver.waitFor(1);

    const outcomes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await login(gw, email);
      outcomes.push(res.status === 200 ? 200 : (res.body as unknown as { ErrorCode: number }).ErrorCode);
      if (i === 2) {
        // The user, bothered by a push they did not ask for, answers "Not me".
        // Pushes of the earlier (cancelled) logins may arrive in any order: answer the one still pending.
        const pushes = await receiver.waitFor(4);
        const answers = await Promise.all(pushes.map((p) => phone.answer(gw.url, gw.apiKey, p.data.secondfactorauthenticationtoken!, "No", { reason: "fraud" })));
        expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      }
    }
    expect(outcomes.slice(0, 3)).toEqual([200, 200, 200]);
    // After "not me" every attempt is refused: locked (1198) until the per-account limit answers first (429).
    expect(outcomes.slice(3).every((c) => c === 1198 || c === 429)).toBe(true);
    expect(outcomes).toContain(1198);
    expect(outcomes).toContain(429);
    await new Promise((r) => setTimeout(r, 500));
    const pushesSoFar = receiver.pushes.length;
    expect(pushesSoFar).toBeLessThanOrEqual(4);

    const events = (await audit()).filter((e) => e.uid === uid).map((e) => e.type);
    expect(events).toContain("challenge.fraud_reported");
    expect(events).toContain("user.locked");
    expect(events).toContain("login.refused");

    // An admin lifts the lock.
    const unlock = await call(gw.url, "DELETE", `/v2/manage/account/${uid}/push/lock`, { headers: secretHeaders(gw) });
    expect(unlock.body).toEqual({ IsDeleted: true });
    expect((await audit()).some((e) => e.type === "user.unlocked" && e.uid === uid)).toBe(true);
  });
});

describe("password lockout", () => {
  it("locks the account with 1198 after repeated wrong passwords, until an admin unlocks it", async () => {
    const email = "guessed@example.com";
    const { Uid: uid } = await createAccount(gw, email);
    for (let i = 0; i < gw.config.LOGIN_MAX_FAILURES; i++) {
      expect((await login(gw, email, "not the password")).body).toMatchObject({ ErrorCode: 966 });
    }
    expect((await login(gw, email)).body).toMatchObject({ ErrorCode: 1198, Message: "Your account has been locked" });
    expect((await audit()).some((e) => e.type === "user.locked" && e.uid === uid && e.detail === "wrong passwords")).toBe(true);
    await call(gw.url, "DELETE", `/v2/manage/account/${uid}/push/lock`, { headers: secretHeaders(gw) });
    expect((await login(gw, email)).status).toBe(200);
  });
});
