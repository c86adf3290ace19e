import type { Services } from "../services.js";
import type { Challenge } from "./challenge.js";
import { refOf, type ChallengeRef } from "./challenge-store.js";
import { recordEnd, type RecordEndDeps } from "./record-end.js";

/** What ending a challenge reads and writes, and the notifier that tells its pages. */
export type EndAndTellDeps = Pick<Services, "challenges" | "metrics" | "notifier" | "now" | "audit"> & RecordEndDeps;

/**
 * End a pending challenge without an answer (its deadline, a newer event that makes it pointless), once: the END
 * transition decides, so a challenge answered meanwhile stays as it is. Then count it and tell its pages, on any
 * node, so none keeps waiting. Returns whether it ended it (false: it was not pending any more).
 */
export async function endAndTell(
  deps: EndAndTellDeps,
  ref: ChallengeRef,
  to: "Expired" | "Cancelled",
  fields?: Partial<Challenge>,
): Promise<boolean> {
  const result = await deps.challenges.end(ref, to, { now: deps.now(), refuseLate: false, ...(fields && { fields }) });
  if (result !== "OK") return false;
  deps.metrics.challenges.inc({ outcome: to === "Expired" ? "expired" : "cancelled" });
  // Read back whole: the pages are told the state as stored (delivery, number), not only what END wrote.
  const ended = await deps.challenges.load(ref);
  if (ended) deps.notifier.notify(ended);
  const outcome = to === "Expired" ? "expired" : "cancelled";
  const c = ended ?? { appId: ref.appId, uid: ref.uid, id: ref.challengeId, lastSendAt: 0, reason: "" };
  await recordEnd(deps, c, outcome);
  await deps.audit.record(ref.appId, { type: `challenge.${outcome}`, uid: ref.uid, challenge: ref.challengeId, ...(c.reason && { detail: c.reason }) });
  return true;
}

/**
 * Cancel the user's pending challenge and tell its pages, so a page stops waiting for a push that can no longer
 * come (its devices were reset or removed). `onlyIf` leaves some pending challenges waiting (one still waiting
 * for an enrollment, say). Returns whether one was cancelled.
 */
export async function cancelPendingChallenge(
  deps: EndAndTellDeps,
  appId: string,
  uid: string,
  reason: string,
  onlyIf: (pending: Challenge) => boolean = () => true,
): Promise<boolean> {
  const pending = await deps.challenges.pendingOf(appId, uid);
  if (!pending || !onlyIf(pending)) return false;
  return endAndTell(deps, refOf(pending), "Cancelled", { reason });
}
