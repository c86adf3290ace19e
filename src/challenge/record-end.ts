import { rememberOutcome, type HistoryDeps } from "../accounts/user-history.js";
import { countOutcome, type CounterDeps, type Outcome } from "../stats/counters.js";
import type { Challenge } from "./challenge.js";

export type RecordEndDeps = CounterDeps & HistoryDeps;

/**
 * Right after the END (or CREATE) script decided how a challenge ended: the dashboard's counters and the user's
 * history. A phone's answer also counts its answer time, from the last push sent to now (when the page is told).
 */
export async function recordEnd(deps: RecordEndDeps, c: Pick<Challenge, "appId" | "uid" | "id" | "lastSendAt">, outcome: Outcome, answered = false): Promise<void> {
  const answerMs = answered && c.lastSendAt > 0 ? deps.now() - c.lastSendAt : undefined;
  await Promise.all([countOutcome(deps, c.appId, outcome, answerMs), rememberOutcome(deps, c.appId, c.uid, c.id, outcome)]);
}
