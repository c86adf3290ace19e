import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetter } from "../src/delivery/dead-letters.js";
import { runAdmin } from "../src/admin/run-admin.js";
import { sendJobId, type SendJob } from "../src/delivery/queues.js";
import { challengeOfToken, enrollWithoutLogin, seedChallenge, sendId, settle } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

const run = promisify(execFile);
let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gw = await startTestGateway({ env: { PUSH_ATTEMPTS: "2", PUSH_BACKOFF_MS: "5000", PUSH_RATE_PER_APP: "5" } });
  receiver = await new WebhookReceiver("whsec-operations-signing-secret").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** The environment the admin CLI reads: the deployment's mode, Redis, prefix and master key. */
const adminEnv = () => ({ NODE_ENV: "production", REDIS_URL: gw.config.REDIS_URL, REDIS_PREFIX: gw.config.REDIS_PREFIX, MASTER_KEY: gw.config.MASTER_KEY! });

async function admin(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdmin(argv, adminEnv(), { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("dead letters and the admin CLI", () => {
  it("a send refused for the app's configuration is kept with its reason, listed by the CLI, and retried once the settings are fixed", async () => {
    const e = await enrollWithoutLogin(gw);
    receiver.script.push(401);
    const res = await login(gw, e.email);
    const c = await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const id = sendId(c, e.device.id);
    expect((await settle(gw, id)).state).toBe("failed");
    expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1298 });

    // The real entry point, as `npm run admin -- dead-letters list --json` runs it.
    const listed = await run(process.execPath, ["--import", "tsx", "src/admin/cli.ts", "dead-letters", "list", "--json"], {
      env: { PATH: process.env.PATH ?? "", ...adminEnv() },
    });
    const letters = JSON.parse(listed.stdout) as DeadLetter[];
    const letter = letters.find((d) => d.id === id);
    expect(letter).toMatchObject({ queue: "{push}", name: "send", app: gw.apiKey, attemptsMade: 1 });
    expect(letter!.failedReason).toContain("401");
    expect(letter!.processedBy).toMatch(/:\d+$/);

    // Fix the cause (save the settings: 1298 is lifted), then retry: the same delivery goes out.
    await useWebhook(gw, receiver);
    expect(await admin("dead-letters", "retry", id)).toMatchObject({ code: 0, out: `retried ${id}` });
    const { state, job } = await settle(gw, id);
    expect(state).toBe("completed");
    expect(job.returnvalue).toBe("sent");
    expect(receiver.pushes.filter((p) => p.id === id)).toHaveLength(1);
    expect((await admin("dead-letters", "retry", id)).code).toBe(1);
  });

  it("retry --all retries every dead letter with fresh attempts", async () => {
    const e = await enrollWithoutLogin(gw);
    const second = await gw.services.devices.add(gw.apiKey, e.uid, { name: "tablet", type: "android", publicKey: "00", token: "fcm-tablet" });
    // Two devices, two attempts each, four 500s: both sends use up their attempts.
    receiver.script.push(500, 500, 500, 500);
    const res = await login(gw, e.email);
    const c = await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const ids = [sendId(c, e.device.id), sendId(c, second.id)];
    expect((await Promise.all(ids.map((id) => settle(gw, id)))).map((r) => r.state)).toEqual(["failed", "failed"]);

    const listed = await admin("dead-letters", "list", "--app", gw.apiKey);
    expect(listed.code).toBe(0);
    for (const id of ids) expect(listed.out).toContain(id);

    const retried = await admin("dead-letters", "retry", "--all");
    expect(retried.code).toBe(0);
    expect(retried.out).toMatch(/^retried \d+ jobs?$/);
    expect((await Promise.all(ids.map((id) => settle(gw, id)))).map((r) => r.state)).toEqual(["completed", "completed"]);
    expect(receiver.pushes.filter((p) => ids.includes(p.id))).toHaveLength(2);
  });

  it("answers usage errors with exit code 2", async () => {
    expect((await admin()).code).toBe(2);
    expect((await admin("dead-letters", "retry")).code).toBe(2);
    expect((await admin("dead-letters", "retry", "x", "--all")).code).toBe(2);
    expect((await admin("dead-letters", "list", "--limit", "zero")).code).toBe(2);
  });
});

describe("the per-app rate limit", () => {
  it("holds an app's sends to PUSH_RATE_PER_APP: the excess waits for the next window, and every send goes out once", async () => {
    const uid = randomBytes(16).toString("hex");
    const c = await seedChallenge(gw.services, gw.apiKey, uid);
    const jobs: SendJob[] = [];
    for (let d = 0; d < 20; d++) {
      const device = await gw.services.devices.add(gw.apiKey, uid, { name: `p${d}`, type: "android", publicKey: "00", token: `fcm-rl-${d}` });
      jobs.push({ appId: gw.apiKey, uid, challengeId: c.id, deviceId: device.id, sendNo: 1 });
    }
    const ids = jobs.map(sendJobId);
    await gw.services.queues.enqueueSends(jobs);
    // Delayed by the limiter, not by a failure: never promoted here, so the limiter's own waits are what pass.
    for (const id of ids) {
      const { state, job } = await settle(gw, id, { promote: false });
      expect(state).toBe("completed");
      expect(job.attemptsMade).toBeLessThanOrEqual(1);
    }
    expect(new Set(receiver.pushes.filter((p) => ids.includes(p.id)).map((p) => p.id)).size).toBe(20);
    expect(receiver.requests.filter((r) => r.id && ids.includes(r.id))).toHaveLength(20);
    // 20 sends at 5 per second: most of them had to wait at least once.
    const limited = gw.logs.filter((l) => l.includes('"push rate-limited"') && l.includes(c.id)).length;
    expect(limited).toBeGreaterThan(0);
  }, 30_000);
});
