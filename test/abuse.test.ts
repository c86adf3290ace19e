import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SendJob } from "../src/delivery/queues.js";
import { defaultRateLimits } from "../src/rate-limits.js";
import { challengeOfToken } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { carriesHandleOf, pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // The real per-account login and per-token poll limits; the per-IP one stays relaxed because every test call
  // comes from 127.0.0.1.
  gw = await startTestGateway({ rateLimits: { loginPerAccount: defaultRateLimits.loginPerAccount, pingPerToken: defaultRateLimits.pingPerToken } });
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
    await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url);
    // The logins that were let through: the first (enrolled from its QR) and those answered 200 below.
    const tokens = [first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken];
    await pushOfLogin(gw, receiver, tokens[0]!);

    const outcomes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await login(gw, email);
      outcomes.push(res.status === 200 ? 200 : (res.body as unknown as { ErrorCode: number }).ErrorCode);
      if (res.status === 200) tokens.push(res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
      if (i === 2) {
        // The user, bothered by a push they did not ask for, answers "Not me" on it: the push of this login, the
        // one still pending (the earlier ones' pushes may still be arriving, in any order).
        const push = await pushOfLogin(gw, receiver, tokens.at(-1)!);
        const notMe = await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No", { reason: "fraud" });
        expect(notMe.status, notMe.text).toBe(200);
      }
    }
    // Every login spends a point of the per-account budget (the first one included) before the lock is looked at:
    // after "not me" the lock answers 1198 until the budget is spent, then the limit answers 429.
    const budget = defaultRateLimits.loginPerAccount;
    expect(outcomes).toEqual([200, 200, 200, ...Array<number>(budget - 4).fill(1198), ...Array<number>(21 - budget).fill(429)]);

    // The refused logins opened nothing to push: the only sends ever queued for the user are those of the four
    // logins let through, and every push the phone got carries one of their handles.
    const opened = await Promise.all(tokens.map((t) => challengeOfToken(gw, t)));
    expect(new Set(opened.map((c) => c.id)).size).toBe(4);
    const jobs = await gw.services.queues.push.getJobs(["completed", "failed", "active", "waiting", "delayed", "prioritized"], 0, -1);
    const sent = new Set(jobs.map((j) => j.data as SendJob).filter((d) => d.uid === uid).map((d) => d.challengeId));
    expect(sent).toEqual(new Set(opened.map((c) => c.id)));
    const received = receiver.pushes.filter((p) => p.device.token === phone.deviceToken);
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received.map((p) => opened.findIndex((c) => carriesHandleOf(c)(p)))).not.toContain(-1);

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

describe("poll flooding", () => {
  it("a token polled more than pingPerToken times in a minute is refused 429 with Retry-After; its counter is by hash, expiring with the window", async () => {
    await createAccount(gw, "flooded@example.com");
    const { body } = await login(gw, "flooded@example.com");
    const token = body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const budget = defaultRateLimits.pingPerToken;
    const codes: number[] = [];
    for (let i = 0; i < budget; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, budget - i) }, () => ping(gw, token)));
      codes.push(...batch.map((r) => (r.body as { ErrorCode: number }).ErrorCode));
    }
    expect(codes).toEqual(Array<number>(budget).fill(1295));
    const refused = await ping(gw, token);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ ErrorCode: 429, Message: "Too many requests in a particular time frame" });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${refused.headers.get("retry-after")}`).toBe(true);

    const c = await challengeOfToken(gw, token);
    const counter = gw.services.keys.tokenPolls(c.tokenHash);
    expect(counter).not.toContain(token);
    expect(Number(await gw.services.redis.get(counter))).toBe(budget + 1);
    const ttl = await gw.services.redis.pttl(counter);
    expect(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`).toBe(true);
  });
});
