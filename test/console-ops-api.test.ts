import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithoutLogin, sendId, uniqueEmail, waitUntil, type Enrolled } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError } from "./support/contract.js";
import { pushOfLogin } from "./support/pushes.js";
import { login, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import { csvCell, toCsv } from "../src/audit/csv.js";
import { parseCsv } from "./support/csv.js";
import { runAdmin } from "../src/admin/run-admin.js";

/**
 * The console's admin endpoints (issue 16) over real HTTP on a real gateway, Redis, worker and webhook receiver:
 * user search through the index, a user's overview, removing a device (audited with who did it), the dashboard's
 * counters, the readable audit with its paging and CSV export, retrying jobs beside dead letters; and each
 * endpoint's refusals (credentials, hostile parameters) with the contract's error body.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
let alice: Enrolled;

const USERS = "/v2/manage/push/users";
const LINES = "/v2/manage/push/audit/lines";
const EXPORT = "/v2/manage/push/audit/export";
const STATS = "/v2/manage/push/stats";
const DEAD = "/v2/manage/push/dead-letters";
const overview = (uid: string) => `/v2/manage/account/${uid}/push/overview`;

const admin = (path: string, query: Record<string, string> = {}, method = "GET") => call<Record<string, unknown>>(gw.url, method, path, { headers: secretHeaders(gw), query });

interface Line { Id: string; Kind: string; Title: string; User: string | null; Uid: string | null; Outcome: string | null; IsTest: boolean; By: string | null; Challenge: string | null; Events: Array<{ Type: string; Text: string }> }

beforeAll(async () => {
  // A long backoff: a send that failed once stays "retrying" (delayed) while the test looks at it.
  gw = await startTestGateway({ env: { PUSH_BACKOFF_MS: "60000" } });
  receiver = await new WebhookReceiver("whsec-console-ops-signing-1").start();
  await useWebhook(gw, receiver, { ChallengeTtlSeconds: 900 });
  alice = await enrollWithoutLogin(gw, { email: uniqueEmail("alice.ops") });
}, 60_000);
afterAll(async () => {
  await gw?.stop();
  await receiver?.close();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

/** An approved login of `user`: L2, the push, the phone's Yes. */
async function approvedLogin(user: Enrolled): Promise<string> {
  const res = await login(gw, user.email);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const push = await pushOfLogin(gw, receiver, token);
  expect((await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
  return token;
}

describe("users and devices", () => {
  it("finds a user by email (exact, prefix, any case), by uid and uid prefix, through the index", async () => {
    const prefix = alice.email.slice(0, 9).toUpperCase();
    for (const q of [alice.email, prefix, ` ${alice.email.toUpperCase()} `, alice.uid, alice.uid.slice(0, 8)]) {
      const res = await admin(USERS, { q });
      expect(res.status, res.text).toBe(200);
      expect((res.body.Data as Array<{ Uid: string; Email: string }>).map((u) => u.Uid), q).toContain(alice.uid);
    }
    expect((await admin(USERS, { q: "nobody-here" })).body.Data).toEqual([]);
    // The index, not a scan: one sorted set with the account's members.
    const members = await gw.services.redis.zrange(gw.services.keys.userIndex(gw.apiKey), "0", "-1");
    expect(members).toContain(`u:${alice.uid}`);
  });

  it("accounts made before the index are found by their whole email, and by prefix once the CLI's index-users ran", async () => {
    await gw.services.redis.del(gw.services.keys.userIndex(gw.apiKey));
    const ids = async (q: string) => ((await admin(USERS, { q })).body.Data as Array<{ Uid: string }>).map((u) => u.Uid);
    expect(await ids(alice.email)).toEqual([alice.uid]);
    expect(await ids(alice.email.slice(0, 9))).toEqual([]);
    const out: string[] = [];
    const env = { NODE_ENV: "production", REDIS_URL: gw.config.REDIS_URL, REDIS_PREFIX: gw.config.REDIS_PREFIX, MASTER_KEY: gw.config.MASTER_KEY!, ALLOW_PRIVATE_WEBHOOKS: "true" };
    const code = await runAdmin(["index-users", gw.apiKey], env, { out: (l) => out.push(l), err: (l) => out.push(l), stdin: async () => "" });
    expect(code, out.join("\n")).toBe(0);
    expect(out.join("\n")).toMatch(/^indexed \d+ account\(s\)/);
    expect(await ids(alice.email.slice(0, 9))).toContain(alice.uid);
  });

  it("a user's overview: devices with platform, route, enrolled, last used, active; locks; recent challenges with outcome, browser and location", async () => {
    await approvedLogin(alice);
    const res = await admin(overview(alice.uid));
    expect(res.status, res.text).toBe(200);
    const body = res.body as { Email: string; Devices: Array<Record<string, unknown>>; Lock: Record<string, unknown>; Challenges: Array<Record<string, unknown>> };
    expect(body.Email).toBe(alice.email);
    expect(body.Devices).toEqual([
      expect.objectContaining({ Id: alice.device.id, Name: "Test phone", Platform: "android", Route: "Webhook", IsActive: true, InactiveReason: null, LastUsedDate: expect.any(String), CreatedDate: alice.device.createdAt }),
    ]);
    expect(body.Lock).toEqual({ IsLocked: false, NotMe: null, WrongPasswords: [] });
    expect(body.Challenges[0]).toMatchObject({ Outcome: "approved", Browser: expect.stringContaining("Chrome"), Location: expect.stringContaining("IP"), IsTest: false });
    // No key material or push token.
    expect(res.text).not.toContain(alice.phone.deviceToken);
    expect(res.text).not.toContain(alice.phone.publicKeyHex.slice(0, 40));
  });

  it("a 'not me' answer shows as the user's lock; unlock lifts it and the audit says who did it", async () => {
    const bob = await enrollWithoutLogin(gw, { email: uniqueEmail("bob.ops") });
    const token = (await login(gw, bob.email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const push = await pushOfLogin(gw, receiver, token);
    expect((await bob.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No", { reason: "fraud" })).status).toBe(200);
    const locked = (await admin(overview(bob.uid))).body as { Lock: { IsLocked: boolean; NotMe: { Reason: string; SecondsLeft: number } }; Challenges: Array<{ Outcome: string }> };
    expect(locked.Lock.IsLocked).toBe(true);
    expect(locked.Lock.NotMe.Reason).toBe("fraud");
    expect(locked.Lock.NotMe.SecondsLeft).toBeGreaterThan(0);
    expect(locked.Challenges[0]!.Outcome).toBe("notme");
    expect((await admin(`/v2/manage/account/${bob.uid}/push/lock`, {}, "DELETE")).status).toBe(200);
    expect(((await admin(overview(bob.uid))).body as { Lock: { IsLocked: boolean } }).Lock.IsLocked).toBe(false);
    const lines = (await admin(LINES, { user: bob.email, type: "user.unlocked" })).body.Data as Line[];
    expect(lines[0]).toMatchObject({ Title: "User unlocked", By: "app secret", User: bob.email });
  });

  it("removes one device: gone from the overview, and the audit records it with who did it", async () => {
    const carol = await enrollWithoutLogin(gw, { email: uniqueEmail("carol.ops") });
    const res = await admin(`/v2/manage/account/${carol.uid}/push/devices/${carol.device.id}`, {}, "DELETE");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ IsDeleted: true });
    expect(((await admin(overview(carol.uid))).body as { Devices: unknown[] }).Devices).toEqual([]);
    const [line] = (await admin(LINES, { user: carol.email })).body.Data as Line[];
    expect(line).toMatchObject({ Title: 'Device "Test phone" removed', By: "app secret", User: carol.email, Uid: carol.uid });
    // Again: no such device (908), another user's uid format: 938.
    expectContractError(await admin(`/v2/manage/account/${carol.uid}/push/devices/${carol.device.id}`, {}, "DELETE"), "removed twice", 908);
    expectContractError(await admin(`/v2/manage/account/${"0".repeat(32)}/push/devices/${carol.device.id}`, {}, "DELETE"), "unknown user", 938);
  });
});

describe("admin actions through the check point", () => {
  it("L15 issues backup codes through the console's check point and the audit names the admin", async () => {
    const res = await admin("/identity/v2/manage/account/2fa/backupcode/reset", { uid: alice.uid });
    expect(res.status, res.text).toBe(200);
    expect(res.body.BackUpCodes).toHaveLength(10);
    const [line] = (await admin(LINES, { user: alice.email, type: "backup_codes.reset" })).body.Data as Line[];
    expect(line).toMatchObject({ Title: "New backup codes issued", By: "app secret", User: alice.email });
  });

  it("a reset (L8) cancels the login waiting for the phone: counted as cancelled, in the user's history and the audit, with who", async () => {
    const frank = await enrollWithoutLogin(gw, { email: uniqueEmail("frank.ops") });
    const cancelledBefore = ((await admin(STATS, { range: "day" })).body as { Totals: { Cancelled: number } }).Totals.Cancelled;
    const token = (await login(gw, frank.email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    await pushOfLogin(gw, receiver, token);
    const reset = await admin(`/identity/v2/manage/account/2FA/authenticator/push/${frank.uid}`, {}, "DELETE");
    expect(reset.status, reset.text).toBe(200);
    const cancelledAfter = ((await admin(STATS, { range: "day" })).body as { Totals: { Cancelled: number } }).Totals.Cancelled;
    expect(cancelledAfter).toBe(cancelledBefore + 1);
    const view = (await admin(overview(frank.uid))).body as { Devices: unknown[]; Challenges: Array<{ Outcome: string }> };
    expect(view.Devices).toEqual([]);
    expect(view.Challenges[0]!.Outcome).toBe("cancelled");
    const lines = (await admin(LINES, { user: frank.email })).body.Data as Line[];
    expect(lines.find((l) => l.Kind === "challenge")).toMatchObject({ Title: "Sign-in cancelled", Outcome: "cancelled" });
    expect(lines.find((l) => l.Title.startsWith('Device "Test phone" removed'))).toMatchObject({ By: "app secret" });
  });
});

describe("the dashboard's counters", () => {
  it("an approved login adds one to the current minute's and hour's approved counts, and an answer time", async () => {
    const countNow = async (range: string) => {
      const body = (await admin(STATS, { range })).body as { Buckets: Array<{ Approved: number }>; AnswerTime: { Count: number } };
      return { approved: body.Buckets.at(-1)!.Approved, answers: body.AnswerTime.Count };
    };
    const before = { hour: await countNow("hour"), day: await countNow("day") };
    await approvedLogin(alice);
    const after = { hour: await countNow("hour"), day: await countNow("day") };
    // The minute may have turned between the two reads: the day's hour bucket cannot have, unless the hour did.
    expect(after.hour.approved + after.day.approved).toBeGreaterThan(before.hour.approved + before.day.approved);
    expect(after.hour.answers).toBeGreaterThan(0);
    const week = (await admin(STATS, { range: "week" })).body as { Buckets: unknown[]; Delivery: Array<{ Provider: string; Sent: number }>; Totals: { Approved: number }; AnswerTime: { P50Ms: number; P95Ms: number } };
    expect(week.Buckets).toHaveLength(168);
    expect(week.Totals.Approved).toBeGreaterThanOrEqual(2);
    expect(week.Delivery.find((d) => d.Provider === "webhook")!.Sent).toBeGreaterThanOrEqual(2);
    expect(week.AnswerTime.P50Ms).toBeGreaterThan(0);
    expect(week.AnswerTime.P95Ms).toBeGreaterThanOrEqual(week.AnswerTime.P50Ms);
    // Bounded: every bucket key expires.
    const key = gw.services.keys.statsBucket(gw.apiKey, `h:${Math.floor(gw.services.now() / 3_600_000)}`);
    expect(await gw.services.redis.ttl(key)).toBeGreaterThan(7 * 24 * 3600);
  });
});

describe("the audit people can read", () => {
  it("one line per challenge with its outcome and user's email, events in words, test pushes labelled", async () => {
    const token = await approvedLogin(alice);
    const c = (await gw.services.challenges.findByToken((await import("../src/crypto/tokens.js")).hashToken(token)))!;
    const lines = (await admin(LINES, { user: alice.email, count: "5" })).body.Data as Line[];
    const line = lines.find((l) => l.Challenge === c.id)!;
    expect(line).toMatchObject({ Title: "Sign-in approved", Outcome: "approved", User: alice.email, IsTest: false });
    expect(line.Events.map((e) => e.Text)).toEqual(["Sign-in started", 'Pushed to "Test phone" via Webhook', "Approved on the phone"]);
    expect(lines.filter((l) => l.Challenge === c.id)).toHaveLength(1);

    const test = await call(gw.url, "POST", "/v2/manage/push/test", { headers: secretHeaders(gw), json: { Email: alice.email } });
    expect(test.status, test.text).toBe(200);
    const [testLine] = (await admin(LINES, { user: alice.email, count: "1" })).body.Data as Line[];
    expect(testLine).toMatchObject({ IsTest: true, By: "app secret", Title: "Test push waiting for the phone" });
    expect(testLine!.Events[0]!.Text).toBe("Test push sent");
  });

  it("pages back with a cursor: no line twice, none lost, each challenge whole", async () => {
    const all: Line[] = [];
    let before: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await admin(LINES, { count: "2", ...(before && { before }) });
      expect(page.status, page.text).toBe(200);
      all.push(...(page.body.Data as Line[]));
      before = (page.body.Next as string | null) ?? undefined;
      if (!before) break;
    }
    const whole = (await admin(LINES, { count: "200" })).body.Data as Line[];
    expect(all.map((l) => l.Id)).toEqual(whole.map((l) => l.Id));
    const challenges = all.filter((l) => l.Challenge).map((l) => l.Challenge);
    expect(new Set(challenges).size).toBe(challenges.length);
    for (const l of all.filter((x) => x.Challenge)) expect(l.Events[0]!.Type).toBe("login.started");
  });

  it("filters by type, outcome and time range", async () => {
    const approved = (await admin(LINES, { outcome: "approved", count: "200" })).body.Data as Line[];
    expect(approved.length).toBeGreaterThanOrEqual(3);
    expect(approved.every((l) => l.Outcome === "approved")).toBe(true);
    const removals = (await admin(LINES, { type: "device.removed", count: "200" })).body.Data as Line[];
    // Carol's removal and Frank's reset.
    expect(removals.map((l) => l.Title).sort()).toEqual(['Device "Test phone" removed', 'Device "Test phone" removed (reset)']);
    const future = new Date(gw.services.now() + 3_600_000).toISOString();
    expect((await admin(LINES, { from: future })).body.Data).toEqual([]);
    const past = (await admin(LINES, { to: String(gw.services.now() - 3_600_000) })).body.Data;
    expect(past).toEqual([]);
  });

  it("exports CSV: a download, RFC 4180 quoting, formula cells defused", async () => {
    const res = await fetch(new URL(`${EXPORT}?user=${encodeURIComponent(alice.email)}`, gw.url), { headers: secretHeaders(gw) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="push-audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(["Date", "User", "Uid", "Event", "Outcome", "Test", "By", "Challenge", "Details"]);
    expect(rows.some((r) => r[1] === alice.email && r[3] === "Sign-in approved" && r[4] === "approved")).toBe(true);

    expect(csvCell("=HYPERLINK(\"x\")")).toBe(`"'=HYPERLINK(""x"")"`);
    for (const bad of ["+1", "-2", "@SUM(A1)", "\tx", "\rx"]) expect(csvCell(bad).replace(/^"/, "").startsWith("'")).toBe(true);
    expect(parseCsv(toCsv(["a"], [["x,y\n\"z\""]]))[1]).toEqual(["x,y\n\"z\""]);
  });
});

describe("dead letters and retrying jobs", () => {
  it("a send that failed once and waits for its next attempt is listed as retrying, with its attempts", async () => {
    receiver.script.push(500);
    const token = (await login(gw, alice.email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const c = (await gw.services.challenges.findByToken((await import("../src/crypto/tokens.js")).hashToken(token)))!;
    const jobId = sendId(c, alice.device.id);
    const job = await waitUntil(async () => {
      const body = (await admin(DEAD)).body as { Retrying: Array<{ JobId: string; AttemptsMade: number; State: string; LastFailure: string }> };
      return body.Retrying.find((j) => j.JobId === jobId);
    }, "the retrying job");
    expect(job).toMatchObject({ AttemptsMade: 1, State: "delayed" });
    expect(job.LastFailure).toContain("500");
  });
});

describe("refusals", () => {
  const paths: Array<[string, string]> = [
    ["GET", `${USERS}?q=a`],
    ["GET", "/v2/manage/account/" + "a".repeat(32) + "/push/overview"],
    ["DELETE", "/v2/manage/account/" + "a".repeat(32) + "/push/devices/" + "0".repeat(8) + "-0000-0000-0000-" + "0".repeat(12)],
    ["GET", LINES],
    ["GET", EXPORT],
    ["GET", STATS],
    ["GET", "/v2/manage/push/console-session"],
  ];
  it("no apikey 922, no apisecret 923, a wrong one 902, on every new endpoint", async () => {
    for (const [method, path] of paths) {
      expectContractError(await call(gw.url, method, path), `${path} no key`, 922);
      expectContractError(await call(gw.url, method, path, { headers: { "X-LoginRadius-ApiKey": gw.apiKey } }), `${path} no secret`, 923);
      expectContractError(await call(gw.url, method, path, { headers: { "X-LoginRadius-ApiKey": gw.apiKey, "X-LoginRadius-ApiSecret": "wrong" } }), `${path} wrong secret`, 902);
    }
  });

  it("hostile parameters are 908 (or 938 for a uid), never a 500", async () => {
    const hostile = ["", " ", "\u0000", "a\u0007b", "x".repeat(300)];
    for (const q of hostile) expectContractError(await admin(USERS, { q }), `q=${JSON.stringify(q)}`, 908);
    for (const count of ["0", "51", "abc", "-1"]) expectContractError(await admin(USERS, { q: "a", count }), `count=${count}`, 908);
    for (const [k, v] of [["type", "nope"], ["outcome", "maybe"], ["from", "yesterday"], ["to", "x".repeat(50)], ["before", "0-0; DROP"], ["count", "201"], ["user", "\u0001"]] as const) {
      expectContractError(await admin(LINES, { [k]: v }), `${k}=${v}`, 908);
      expectContractError(await admin(EXPORT, { [k]: v }), `export ${k}=${v}`, 908);
    }
    for (const range of ["month", "", "HOUR "]) expectContractError(await admin(STATS, { range }), `range=${range}`, 908);
    for (const uid of ["x", "%00", "a".repeat(33), "..%2F"]) expectContractError(await admin(`/v2/manage/account/${uid}/push/overview`), `uid ${uid}`, 938);
    for (const id of ["x", "%3Cscript%3E", "1"]) expectContractError(await admin(`/v2/manage/account/${alice.uid}/push/devices/${id}`, {}, "DELETE"), `device ${id}`, 908);
  });

  it("the session endpoint says who the apisecret session is and that it may do everything", async () => {
    const res = await admin("/v2/manage/push/console-session");
    expect(res.body).toMatchObject({ Admin: "app secret" });
    expect(res.body.Permissions).toEqual(expect.arrayContaining(["read", "device.remove", "devices.reset", "user.unlock", "backupcodes.issue", "push.test", "audit.export"]));
  });
});
