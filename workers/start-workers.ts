import { hostname } from "node:os";
import { Worker, type ConnectionOptions, type Job } from "bullmq";
import {
  EXPIRY_QUEUE,
  PUSH_QUEUE,
  type CreateEndpointJob,
  type DeleteEndpointJob,
  type ExpireJob,
  type SendJob,
} from "../src/delivery/queues.js";
import type { Services } from "../src/services.js";
import { createAppRateLimiter } from "./app-rate-limit.js";
import { createEndpoint, type CreateEndpointDeps } from "./create-endpoint.js";
import { deleteEndpoint, type DeleteEndpointDeps } from "./delete-endpoint.js";
import { expireChallenge, type ExpireChallengeDeps } from "./expire-challenge.js";
import type { ProviderSelector } from "./providers/select-provider.js";
import { deliveryBackoff } from "./retry-policy.js";
import { sendPush, type SendPushDeps, type SendPushServices } from "./send-push.js";

/** What the push queue's jobs carry, by job name: "send", "create-endpoint", "delete-endpoint". */
export type PushJobData = SendJob | CreateEndpointJob | DeleteEndpointJob;

export interface WorkerOptions {
  /** Jobs in flight per process. @default 50 */
  concurrency: number;
  preferred?: SendPushDeps["preferred"];
}

export interface RunningWorkers {
  push: Worker<PushJobData>;
  expiry: Worker<ExpireJob>;
  /** Stop taking jobs and finish the ones in flight. */
  close(): Promise<void>;
}

/** What the processors need together, and the settings and logger of the workers themselves. */
export type WorkersDeps = SendPushServices &
  CreateEndpointDeps &
  DeleteEndpointDeps &
  ExpireChallengeDeps &
  Pick<Services, "keys" | "redis" | "config" | "logger">;

/**
 * The push and expiry workers. Any number of processes may run them on one queue: BullMQ hands each job to one
 * worker at a time, and a worker that dies mid-job has its job taken over by another one once its lock lapses
 * (WORKER_LOCK_MS, then the next stalled-job check). The repeated send carries the same delivery id.
 */
export function startWorkers(services: WorkersDeps, connection: ConnectionOptions, providers: ProviderSelector, options: WorkerOptions): RunningWorkers {
  const prefix = services.keys.queues();
  const limiter = createAppRateLimiter(services.redis, services.keys, services.config.PUSH_RATE_PER_APP);
  const sendDeps: SendPushDeps = { services, providers, limiter, ...(options.preferred && { preferred: options.preferred }) };
  // Shown as the job's `processedBy` (dead letters, bull-board): which process ran it.
  const name = `${hostname()}:${process.pid}`;
  const locks = { lockDuration: services.config.WORKER_LOCK_MS, stalledInterval: services.config.WORKER_LOCK_MS };
  const push = new Worker<PushJobData>(
    PUSH_QUEUE,
    async (job, token, signal) => {
      const never = new AbortController().signal;
      if (job.name === "send") return sendPush(sendDeps, job as Job<SendJob>, signal ?? never, token);
      if (job.name === "create-endpoint") return createEndpoint(services, providers, job as Job<CreateEndpointJob>);
      if (job.name === "delete-endpoint") return deleteEndpoint(services, providers, job as Job<DeleteEndpointJob>);
      throw new Error(`unknown job ${job.name}`);
    },
    { connection, prefix, name, concurrency: options.concurrency, autorun: true, settings: { backoffStrategy: deliveryBackoff }, ...locks },
  );
  const expiry = new Worker<ExpireJob>(EXPIRY_QUEUE, (job) => expireChallenge(services, job), {
    connection, prefix, name, concurrency: Math.max(10, Math.floor(options.concurrency / 2)), ...locks,
  });
  for (const w of [push, expiry]) w.on("error", (err) => services.logger.error({ err: { message: err.message } }, "worker error"));
  return {
    push,
    expiry,
    async close() {
      // Not forced: close() resolves once the jobs in flight are finished (each is bounded by its provider's timeout).
      await Promise.all([push.close(), expiry.close()]);
      providers.close();
    },
  };
}
