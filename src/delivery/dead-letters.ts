import type { Job, Queue } from "bullmq";

/**
 * Dead letters: jobs that failed for good (no attempts left, a permanent or configuration error, or a retry that
 * would have come after the challenge's deadline). The queues keep them a week with their reason; an operator
 * lists them and, once the cause is fixed (say the app's settings), retries them. A retried send whose challenge
 * has ended meanwhile does nothing, so retrying is always safe.
 */
export interface DeadLetter {
  queue: string;
  id: string;
  name: string;
  /** The app (apikey) the job belongs to. */
  app: string | null;
  failedReason: string;
  attemptsMade: number;
  failedAt: string | null;
  /** The worker process (host:pid) that ran its last attempt. */
  processedBy: string | null;
  /** Identifiers only: job data never carries a secret. */
  data: Record<string, unknown>;
}

export interface DeadLetterFilter {
  /** Only this app's jobs. */
  app?: string;
}

/** How many failed jobs one listing or one "retry --all" looks at, per queue. */
const SCAN_MAX = 10_000;

function toDeadLetter(queue: Queue, job: Job): DeadLetter {
  const data = (typeof job.data === "object" && job.data !== null ? job.data : {}) as Record<string, unknown>;
  return {
    queue: queue.name,
    id: job.id ?? "",
    name: job.name,
    app: typeof data.appId === "string" ? data.appId : null,
    failedReason: job.failedReason ?? "",
    attemptsMade: job.attemptsMade,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    processedBy: job.processedBy ?? null,
    data,
  };
}

async function failedJobs(queue: Queue, limit: number): Promise<Job[]> {
  // Newest first; getFailed can hand back holes for jobs removed meanwhile.
  return (await queue.getFailed(0, Math.max(0, limit - 1))).filter((j): j is Job => Boolean(j));
}

/** The newest dead letters of every queue, newest first, at most `limit` in all. */
export async function listDeadLetters(queues: Queue[], o: DeadLetterFilter & { limit: number }): Promise<DeadLetter[]> {
  const all: DeadLetter[] = [];
  for (const queue of queues) {
    for (const job of await failedJobs(queue, o.app ? SCAN_MAX : o.limit)) all.push(toDeadLetter(queue, job));
  }
  return all
    .filter((d) => !o.app || d.app === o.app)
    .sort((a, b) => (b.failedAt ?? "").localeCompare(a.failedAt ?? ""))
    .slice(0, o.limit);
}

/** A job that failed at least once and waits for its next attempt (delayed by its backoff, or waiting for a worker). */
export interface RetryingJob {
  id: string;
  name: string;
  state: "delayed" | "waiting";
  failedReason: string;
  attemptsMade: number;
  attempts: number;
  nextAttemptAt: string | null;
  data: Record<string, unknown>;
}

/** The jobs (of one app) still being retried, newest first: delayed or waiting with attempts made. */
export async function listRetrying(queues: Queue[], o: DeadLetterFilter & { limit: number }): Promise<RetryingJob[]> {
  const all: RetryingJob[] = [];
  for (const queue of queues) {
    for (const state of ["delayed", "waiting"] as const) {
      const jobs = (await queue.getJobs([state], 0, SCAN_MAX - 1)).filter((j): j is Job => Boolean(j) && j.attemptsMade > 0);
      for (const job of jobs) {
        const data = (typeof job.data === "object" && job.data !== null ? job.data : {}) as Record<string, unknown>;
        if (o.app && data.appId !== o.app) continue;
        all.push({
          id: job.id ?? "",
          name: job.name,
          state,
          failedReason: job.failedReason ?? "",
          attemptsMade: job.attemptsMade,
          attempts: job.opts.attempts ?? 1,
          nextAttemptAt: state === "delayed" && job.delay ? new Date(job.timestamp + job.delay).toISOString() : null,
          data,
        });
      }
    }
  }
  return all.sort((a, b) => b.id.localeCompare(a.id)).slice(0, o.limit);
}

/** Retry one dead letter with fresh attempts. False when no queue holds a failed job of that id. */
export async function retryDeadLetter(queues: Queue[], jobId: string): Promise<boolean> {
  for (const queue of queues) {
    const job = await queue.getJob(jobId);
    if (job && (await job.isFailed())) {
      await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    }
  }
  return false;
}

/**
 * Retry every dead letter (of one app, if given) with fresh attempts; returns how many. The list is taken first,
 * so a job that fails again at once is not retried twice by the same command.
 */
export async function retryAllDeadLetters(queues: Queue[], o: DeadLetterFilter = {}): Promise<number> {
  let retried = 0;
  for (const queue of queues) {
    const jobs = (await failedJobs(queue, SCAN_MAX)).filter((j) => !o.app || toDeadLetter(queue, j).app === o.app);
    for (const job of jobs) {
      try {
        await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried += 1;
      } catch {
        // Removed or retried by someone else meanwhile: nothing to do.
      }
    }
  }
  return retried;
}
