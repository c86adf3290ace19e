import { Router } from "express";
import { z } from "zod";
import { ApiError } from "../../errors.js";
import { listDeadLetters, listRetrying, retryDeadLetter, type DeadLetter, type RetryingJob } from "../../delivery/dead-letters.js";
import type { Services } from "../../services.js";
import { requireAdmin } from "../../console/admin-access.js";
import { parseBody, queryParam } from "../request-input.js";

export const DEAD_LETTERS_PATH = "/v2/manage/push/dead-letters";

/** BullMQ job ids of our queues: `send.<challenge>.<device>.<n>`, `endpoint.<device>[.<timestamp>]`, or a number. */
const JOB_ID = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * A dead letter as the console shows it: ids, reason, attempts and time. Not the job data as such: a
 * delete-endpoint job carries an endpoint ARN and every job a uid, which the list does not need.
 */
export const publicDeadLetter = (d: DeadLetter) => ({
  JobId: d.id,
  Name: d.name,
  Queue: d.queue,
  FailedReason: d.failedReason,
  AttemptsMade: d.attemptsMade,
  FailedDate: d.failedAt,
  ChallengeId: typeof d.data.challengeId === "string" ? d.data.challengeId : null,
  DeviceId: typeof d.data.deviceId === "string" ? d.data.deviceId : null,
});

/** A job still being retried: its last failure, attempts so far, and when the next one runs (null: as soon as a worker is free). */
export const publicRetrying = (j: RetryingJob) => ({
  JobId: j.id,
  Name: j.name,
  State: j.state,
  LastFailure: j.failedReason,
  AttemptsMade: j.attemptsMade,
  Attempts: j.attempts,
  NextAttemptDate: j.nextAttemptAt,
  ChallengeId: typeof j.data.challengeId === "string" ? j.data.challengeId : null,
  DeviceId: typeof j.data.deviceId === "string" ? j.data.deviceId : null,
});

/** (ext) The app's dead letters (jobs that failed for good) and their retry, for the console. */
export function deadLetterRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });
  const queues = () => [s.queues.push, s.queues.expiry];

  r.get(DEAD_LETTERS_PATH, async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    const q = parseBody(z.object({ count: z.coerce.number().int().min(1).max(500).optional() }), { count: queryParam(req, "count") }, 908);
    const [letters, retrying] = await Promise.all([
      listDeadLetters(queues(), { app: app.apiKey, limit: q.count ?? 50 }),
      listRetrying([s.queues.push], { app: app.apiKey, limit: q.count ?? 50 }),
    ]);
    res.json({ Data: letters.map(publicDeadLetter), Retrying: retrying.map(publicRetrying) });
  });

  // Retry with fresh attempts; only a failed job of this app (another app's id is "no such dead letter").
  r.post(`${DEAD_LETTERS_PATH}/:jobId/retry`, async (req, res) => {
    const { app, actor } = await requireAdmin(s, req, "deadletter.retry");
    const jobId = String(req.params.jobId);
    if (!JOB_ID.test(jobId)) throw new ApiError(908, { fields: [{ FieldName: "jobId", ErrorMessage: "must be a job id" }] });
    let retried = false;
    for (const queue of queues()) {
      const job = await queue.getJob(jobId);
      const data: unknown = job?.data;
      const ours = typeof data === "object" && data !== null && (data as { appId?: unknown }).appId === app.apiKey;
      // Only the queue that holds this app's job: an id could repeat across queues.
      // A job retried by someone else in between is no longer a dead letter: BullMQ refuses, we say so.
      if (ours && !retried) retried = await retryDeadLetter([queue], jobId).catch(() => false);
    }
    if (!retried) {
      throw new ApiError(908, {
        description: `No dead letter of this app has this id; list them at GET ${DEAD_LETTERS_PATH}.`,
        fields: [{ FieldName: "jobId", ErrorMessage: "is not a dead letter of this app" }],
      });
    }
    s.logger.info({ app: app.apiKey, job: jobId, by: actor.name }, "dead letter retried");
    res.json({ IsPosted: true });
  });

  return r;
}
