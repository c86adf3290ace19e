import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sendJobId, type SendJob } from "../src/delivery/queues.js";
import { seedChallenge, settle, waitUntil } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import { startWorkerProcess, workerEnv, type WorkerProcess } from "./support/worker-process.js";

/**
 * Workers in processes of their own, as `npm run worker` runs them: the gateway in this process runs no worker,
 * and every push goes through the child processes.
 */
let gw: TestGateway;
let receiver: WebhookReceiver;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  // A short job lock, so a killed worker's job is taken over in about a second rather than thirty.
  gw = await startTestGateway({ worker: false, env: { WORKER_LOCK_MS: "1000", PUSH_RATE_PER_APP: "0", PUSH_BACKOFF_MS: "200" } });
  receiver = await new WebhookReceiver("whsec-workers-signing-secret-01").start();
  await useWebhook(gw, receiver);
});
afterEach(async () => {
  for (const w of running.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.kill("SIGTERM");
      await w.exited;
    }
  }
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

async function worker(): Promise<WorkerProcess> {
  const w = await startWorkerProcess(workerEnv(gw));
  running.push(w);
  return w;
}

/** `users` users with `devices` devices each, one pending challenge per user: the sends of `sendNos` rounds. */
async function seedSends(users: number, devices: number, sendNos = 1): Promise<SendJob[]> {
  const s = gw.services;
  const jobs: SendJob[] = [];
  for (let u = 0; u < users; u++) {
    const uid = randomBytes(16).toString("hex");
    const added = [];
    for (let d = 0; d < devices; d++) {
      added.push(await s.devices.add(gw.apiKey, uid, { name: `phone ${d}`, type: "android", publicKey: "00", token: `fcm-${uid}-${d}` }));
    }
    const c = await seedChallenge(s, gw.apiKey, uid);
    for (let n = 1; n <= sendNos; n++) {
      for (const d of added) jobs.push({ appId: gw.apiKey, uid, challengeId: c.id, deviceId: d.id, sendNo: n });
    }
  }
  return jobs;
}

describe("workers in several processes", () => {
  it("two worker processes share 1000 sends, and each send is delivered exactly once", async () => {
    const [a, b] = await Promise.all([worker(), worker()]);
    const before = receiver.requests.length;
    // 10 users x 10 devices x 10 send numbers (a first send and resends), queued at once.
    const jobs = await seedSends(10, 10, 10);
    expect(jobs).toHaveLength(1000);
    await gw.services.queues.enqueueSends(jobs);
    // Queuing the same sends again (a retried request, a double click) adds nothing: the job ids are deterministic.
    await gw.services.queues.enqueueSends(jobs.slice(0, 100));

    await receiver.waitForRequests(before + 1000, 50_000);
    const ids = jobs.map(sendJobId);
    await waitUntil(async () => ((await gw.services.queues.push.getJobCounts("completed")).completed ?? 0) >= 1000, "1000 completed jobs", 20_000);
    const requests = receiver.requests.slice(before);
    expect(requests).toHaveLength(1000);
    expect(new Set(requests.map((r) => r.id))).toEqual(new Set(ids));
    for (const r of requests) expect(r.idempotencyKey).toBe(r.id);

    const completed = await gw.services.queues.push.getCompleted(0, 1999);
    const mine = completed.filter((j) => ids.includes(j.id!));
    expect(mine).toHaveLength(1000);
    expect(new Set(mine.map((j) => j.returnvalue))).toEqual(new Set(["sent"]));
    // Both processes took a share.
    const byWorker = new Set(mine.map((j) => j.processedBy));
    expect(byWorker).toEqual(new Set([a.name, b.name]));
  }, 90_000);

  it("a worker killed with SIGKILL mid-send: the other one sends again, with the same delivery id and idempotency key", async () => {
    const a = await worker();
    const release = receiver.hold();
    let b: WorkerProcess | undefined;
    try {
      const [job] = await seedSends(1, 1);
      const id = sendJobId(job!);
      await gw.services.queues.enqueueSends([job!]);
      const [first] = (await receiver.waitForRequests(receiver.requests.length + 1)).filter((r) => r.id === id);
      expect(first).toBeDefined();

      b = await worker();
      a.kill("SIGKILL");
      expect(await a.exited).toBeNull();
      await waitUntil(() => first!.senderGone, "the killed worker's connection to close");
      release();

      const { state, job: done } = await settle(gw, id, { promote: false });
      expect(state).toBe("completed");
      expect(done.returnvalue).toBe("sent");
      expect(done.processedBy).toBe(b.name);
      expect(done.stalledCounter).toBe(1);
      const attempts = receiver.requests.filter((r) => r.id === id);
      expect(attempts).toHaveLength(2);
      expect(attempts.map((r) => r.idempotencyKey)).toEqual([id, id]);
      expect(attempts.map((r) => r.status)).toEqual([undefined, 200]);
      expect(receiver.pushes.filter((p) => p.id === id)).toHaveLength(1);
    } finally {
      release();
    }
  }, 60_000);

  it("SIGTERM lets a worker finish the send in flight before it exits", async () => {
    const a = await worker();
    const release = receiver.hold();
    try {
      const [job] = await seedSends(1, 1);
      const id = sendJobId(job!);
      await gw.services.queues.enqueueSends([job!]);
      await waitUntil(() => receiver.requests.some((r) => r.id === id), "the send to reach the receiver");

      a.kill("SIGTERM");
      await a.closing;
      release();
      expect(await a.exited).toBe(0);

      const done = (await gw.services.queues.push.getJob(id))!;
      expect(await done.getState()).toBe("completed");
      expect(done.returnvalue).toBe("sent");
      expect(done.processedBy).toBe(a.name);
      expect(receiver.requests.filter((r) => r.id === id).map((r) => r.status)).toEqual([200]);
    } finally {
      release();
    }
  }, 60_000);
});
