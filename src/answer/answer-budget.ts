import { ApiError } from "../errors.js";
import { hashToken } from "../crypto/tokens.js";
import { addressKey } from "../http/client-address.js";
import type { Services } from "../services.js";

/**
 * The failure budget of answers (L5). Refused answers are counted per (handle, caller IP), not per handle: a
 * per-handle count let a stranger's ten junk answers spend the handle's budget and the real phone's signed
 * approval then got 429. Now a stranger spends only their own budget; the per-IP stranger limit stays in front.
 */

/** The budget's key: the handle's hash (never the handle) and the caller's address (an IPv6 client by its /64). */
const answerBudgetKey = (handleHash: string, callerIp: string): string => `${handleHash}|${addressKey(callerIp)}`;

/** 429 when this caller's refused answers on this handle spent the budget; checked before any work. */
export const checkAnswerBudget = (s: Pick<Services, "limits">, handleHash: string, callerIp: string): Promise<void> =>
  s.limits.answerFailuresPerHandleIp.check(answerBudgetKey(handleHash, callerIp));

/**
 * Run one answer; when it is refused (a bad signature, a malformed body, any error answer but a rate limit's),
 * spend a point of this caller's budget on this handle, then let the refusal through unchanged.
 */
export async function chargingRefusals<T>(s: Pick<Services, "limits">, handle: string, callerIp: string, answer: () => Promise<T>): Promise<T> {
  try {
    return await answer();
  } catch (err) {
    if (err instanceof ApiError && err.code !== 429) await s.limits.answerFailuresPerHandleIp.charge(answerBudgetKey(hashToken(handle), callerIp));
    throw err;
  }
}
