import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import type { Keys } from "../keys.js";
import { DELIVERY_BACKOFF } from "./backoff.js";

/**
 * The queues between gateway and workers. Names carry a hash tag so each queue's keys share one slot on a
 * Redis Cluster. Job data never carries a secret: the worker reads the sealed handle and device token from
 * the challenge and the device, and opens them only where it sends.
 */
export const PUSH_QUEUE = "{push}";
export const EXPIRY_QUEUE = "{expiry}";

/** One push of one challenge to one device. */
export interface SendJob {
  appId: string;
  uid: string;
  challengeId: string;
  deviceId: string;
  /** 1 for the first send, 2… for resends. */
  sendNo: number;
}

/** Create the SNS platform endpoint of a newly enrolled device (apps on AWS SNS). */
export interface CreateEndpointJob {
  appId: string;
  uid: string;
  deviceId: string;
}

/** Delete an SNS platform endpoint after a reset. */
export interface DeleteEndpointJob {
  appId: string;
  endpointArn: string;
}

export interface ExpireJob {
  appId: string;
  uid: string;
  challengeId: string;
}

/**
 * Deterministic: a stalled or repeated job never pushes twice, while a resend (a new send number) does.
 * BullMQ forbids ':' in custom ids.
 */
export const sendJobId = (j: Pick<SendJob, "challengeId" | "deviceId" | "sendNo">) => `send.${j.challengeId}.${j.deviceId}.${j.sendNo}`;
export const expireJobId = (challengeId: string) => `expire.${challengeId}`;
export const createEndpointJobId = (dedupeKey: string) => `endpoint.${dedupeKey}`;


export interface PushQueues {
  push: Queue;
  expiry: Queue;
  /** Queue one send per device. */
  enqueueSends(jobs: SendJob[]): Promise<void>;
  /**
   * Create a device's SNS endpoint now (at enrollment, or after its push token changed) rather than before its
   * first push. One job per device, or per `dedupeKey` when given (a token update's: the enrollment's job may
   * still be kept, and a job id is taken once).
   */
  enqueueEndpointCreation(job: CreateEndpointJob, dedupeKey?: string): Promise<void>;
  enqueueEndpointDeletions(jobs: DeleteEndpointJob[]): Promise<void>;
  /** Fire the challenge's expiry at its deadline; scheduled once per challenge. */
  scheduleExpiry(job: ExpireJob, delayMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface PushQueueOptions {
  /** Attempts per send, the first included. @default 5 */
  attempts: number;
  /** Delay before the first retry, doubled on each later one, with jitter (see backoff.ts). @default 500 */
  backoffMs?: number;
}

export function createPushQueues(connection: ConnectionOptions, keys: Keys, options: PushQueueOptions): PushQueues {
  const prefix = keys.queues();
  const push = new Queue(PUSH_QUEUE, { connection, prefix });
  const expiry = new Queue(EXPIRY_QUEUE, { connection, prefix });
  const sendOptions: JobsOptions = {
    attempts: options.attempts,
    // A custom type: the worker's strategy applies jitter and stops retrying at the challenge's deadline.
    backoff: { type: DELIVERY_BACKOFF, delay: options.backoffMs ?? 500 },
    removeOnComplete: { age: 3600, count: 10_000 },
    // Failed sends stay as dead letters for a week, with their reason, for the console and the admin CLI.
    removeOnFail: { age: 7 * 24 * 3600 },
  };
  return {
    push,
    expiry,
    async enqueueSends(jobs) {
      if (!jobs.length) return;
      await push.addBulk(jobs.map((data) => ({ name: "send", data, opts: { ...sendOptions, jobId: sendJobId(data) } })));
    },
    async enqueueEndpointCreation(data, dedupeKey = data.deviceId) {
      await push.add("create-endpoint", data, { ...sendOptions, jobId: createEndpointJobId(dedupeKey) });
    },
    async enqueueEndpointDeletions(jobs) {
      if (!jobs.length) return;
      await push.addBulk(jobs.map((data) => ({ name: "delete-endpoint", data, opts: sendOptions })));
    },
    async scheduleExpiry(job, delayMs) {
      await expiry.add("expire", job, {
        jobId: expireJobId(job.challengeId),
        delay: Math.max(0, delayMs),
        attempts: 5,
        backoff: { type: "exponential", delay: 200 },
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600 },
      });
    },
    async close() {
      await Promise.all([push.close(), expiry.close()]);
    },
  };
}
