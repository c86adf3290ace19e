import { Worker, type ConnectionOptions, type Job } from "bullmq";
import { EXPIRY_QUEUE, PUSH_QUEUE, type DeleteEndpointJob, type ExpireJob, type SendJob } from "../src/push/queues.js";
import type { Services } from "../src/services.js";
import { deleteEndpoint } from "./delete-endpoint.js";
import { expireChallenge } from "./expire-challenge.js";
import type { ProviderSelector } from "./providers/select-provider.js";
import { sendPush, type SendPushDeps } from "./send-push.js";

export interface WorkerOptions {
  /** Jobs in flight per process. @default 50 */
  concurrency: number;
  preferred?: SendPushDeps["preferred"];
}

export interface RunningWorkers {
  push: Worker;
  expiry: Worker;
  /** Stop taking jobs and finish the ones in flight. */
  close(): Promise<void>;
}

/**
 * The push and expiry workers. Any number of processes may run them on one queue: BullMQ hands each job to one
 * worker, and a worker that dies mid-job has its job taken over when the lock lapses.
 */
export function startWorkers(s: Services, connection: ConnectionOptions, providers: ProviderSelector, o: WorkerOptions): RunningWorkers {
  const prefix = s.keys.queues();
  const deps: SendPushDeps = { services: s, providers, ...(o.preferred && { preferred: o.preferred }) };
  const push = new Worker(
    PUSH_QUEUE,
    async (job: Job, _token, signal) => {
      if (job.name === "send") return sendPush(deps, job as Job<SendJob>, signal ?? new AbortController().signal);
      if (job.name === "delete-endpoint") return deleteEndpoint(s, providers, job as Job<DeleteEndpointJob>);
      throw new Error(`unknown job ${job.name}`);
    },
    { connection, prefix, concurrency: o.concurrency, autorun: true },
  );
  const expiry = new Worker(EXPIRY_QUEUE, (job: Job) => expireChallenge(s, job as Job<ExpireJob>), {
    connection, prefix, concurrency: Math.max(10, Math.floor(o.concurrency / 2)),
  });
  for (const w of [push, expiry]) w.on("error", (err) => s.logger.error({ err: { message: err.message } }, "worker error"));
  return {
    push,
    expiry,
    async close() {
      await Promise.all([push.close(), expiry.close()]);
      providers.close();
    },
  };
}
