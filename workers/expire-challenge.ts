import type { Job } from "bullmq";
import type { ExpireJob } from "../src/delivery/queues.js";
import type { Services } from "../src/services.js";

/**
 * Fired by the delayed job at the challenge's deadline: a still-pending challenge becomes Expired, once, and
 * every page waiting on it is told, without anyone polling.
 */
export async function expireChallenge(s: Services, job: Job<ExpireJob>): Promise<"expired" | "already ended"> {
  const ref = job.data;
  const result = await s.challenges.end(ref, "Expired", { now: s.now(), refuseLate: false });
  if (result !== "OK") return "already ended";
  s.metrics.challenges.inc({ outcome: "expired" });
  const c = await s.challenges.load(ref);
  if (c) s.notifier.notify(c);
  s.logger.info({ challenge: ref.challengeId }, "challenge expired");
  return "expired";
}
