import type { Job } from "bullmq";
import type { ExpireJob } from "../src/delivery/queues.js";
import { endAndTell, type EndAndTellDeps } from "../src/challenge/end-and-tell.js";
import type { Services } from "../src/services.js";

export type ExpireChallengeDeps = EndAndTellDeps & Pick<Services, "logger">;

/**
 * Fired by the delayed job at the challenge's deadline: a still-pending challenge becomes Expired, once, and
 * every page waiting on it is told, without anyone polling.
 */
export async function expireChallenge(deps: ExpireChallengeDeps, job: Job<ExpireJob>): Promise<"expired" | "already ended"> {
  const ref = job.data;
  if (!(await endAndTell(deps, ref, "Expired"))) return "already ended";
  deps.logger.info({ challenge: ref.challengeId }, "challenge expired");
  return "expired";
}
