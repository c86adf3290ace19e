import type { Services } from "../services.js";
import type { Challenge } from "./challenge.js";
import { refOf } from "./challenge-store.js";

/** What cancelling reads and writes, and the notifier that tells the pages. */
export type CancelPendingDeps = Pick<Services, "challenges" | "metrics" | "notifier" | "now">;

/**
 * Cancel the user's pending challenge, once (the END transition decides: a challenge answered meanwhile stays as
 * it is), and tell its pages, so a page stops waiting for a push that can no longer come. `onlyIf` leaves some
 * pending challenges waiting (one still waiting for an enrollment, say). Returns whether one was cancelled.
 */
export async function cancelPendingChallenge(
  deps: CancelPendingDeps,
  appId: string,
  uid: string,
  reason: string,
  onlyIf: (pending: Challenge) => boolean = () => true,
): Promise<boolean> {
  const pending = await deps.challenges.pendingOf(appId, uid);
  if (!pending || !onlyIf(pending)) return false;
  const result = await deps.challenges.end(refOf(pending), "Cancelled", { now: deps.now(), refuseLate: false, fields: { reason } });
  const cancelled = result === "OK" ? await deps.challenges.load(refOf(pending)) : null;
  if (!cancelled) return false;
  deps.metrics.challenges.inc({ outcome: "cancelled" });
  deps.notifier.notify(cancelled);
  return true;
}
