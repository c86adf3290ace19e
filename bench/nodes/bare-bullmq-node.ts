import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { emit, probes, serve } from "../lib/serve.js";
import { nowMs } from "../lib/stats.js";

/**
 * The baseline of scenario 4: bare BullMQ, a queue of no-op jobs drained by one Worker, with the job options the
 * gateway's sends use (removeOnComplete by age and count). argv: key prefix.
 */
const prefix = process.argv[2] ?? "bench-bare:bull";

async function run(a: { n: number; concurrency: number; queue: string }) {
  const producer = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  const consumer = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  const queue = new Queue(a.queue, { connection: producer, prefix });
  for (let i = 0; i < a.n; i += 1000) {
    const jobs = Array.from({ length: Math.min(1000, a.n - i) }, (_, k) => ({
      name: "send",
      data: { appId: "a", uid: "u", challengeId: `c${i + k}`, deviceId: "d", sendNo: 1 },
      opts: { jobId: `send.c${i + k}.d.1`, attempts: 5, removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } },
    }));
    await queue.addBulk(jobs);
  }
  let firstActiveAt = 0;
  let lastEndAt = 0;
  let done = 0;
  let cpuAtFirstActive = 0;
  let cpuAtLastEnd = 0;
  const cpuNow = () => {
    const c = process.cpuUsage();
    return c.user + c.system;
  };
  const worker = new Worker(a.queue, async () => undefined, { connection: consumer, prefix, concurrency: a.concurrency, autorun: false });
  worker.on("error", () => undefined);
  const finished = new Promise<void>((resolve) => {
    worker.on("active", () => {
      if (!firstActiveAt) {
        firstActiveAt = nowMs();
        cpuAtFirstActive = cpuNow();
      }
    });
    worker.on("completed", () => {
      lastEndAt = nowMs();
      cpuAtLastEnd = cpuNow();
      if (++done >= a.n) resolve();
    });
  });
  const ticker = setInterval(() => emit("progress", { completed: done }), 2000);
  void worker.run();
  await finished;
  clearInterval(ticker);
  await worker.close();
  await queue.close();
  producer.disconnect();
  consumer.disconnect();
  return { n: a.n, ms: lastEndAt - firstActiveAt, cpuMs: (cpuAtLastEnd - cpuAtFirstActive) / 1000 };
}

serve({ ...probes, run: run as (a: never) => unknown });
