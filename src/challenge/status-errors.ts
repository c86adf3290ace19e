import type { ErrorCode } from "../errors.js";
import type { ChallengeStatus } from "./challenge.js";

/**
 * Challenge status → error code, for every caller, in one place. The page's side (L3 resend, L4 ping,
 * `push:status`) and the phone's side (L5) read an ended challenge differently, as the contract says:
 *
 * | where the challenge stands         | L3 resend | L4 ping                     | push:status  | L5 answer |
 * |------------------------------------|-----------|-----------------------------|--------------|-----------|
 * | Pending                            | (resent)  | 1295                        | (none)       | (taken)   |
 * | Late: Pending, deadline passed     | 1104      | 1104                        | 1104         | 1104      |
 * | Approved                           | 1311      | the login; 1104 once closed | (the login)  | 1311      |
 * | Denied                             | 1312      | 1312                        | 1312         | 1311      |
 * | Expired, Cancelled                 | 1104      | 1104                        | 1104         | 1104      |
 * | Missing (gone from Redis)          | 1103      | 1103 (unknown token)        | 1104         | 1104      |
 *
 * "Closed": the finalize window after the approval (FINALIZE_WINDOW_SECONDS), during which the login is served.
 */

/** A challenge's status, or what a Lua transition found instead of a pending challenge ("Late", "Missing"). */
export type Standing = ChallengeStatus | "Late" | "Missing";

/** Where a challenge stands at `now`: a pending one past its deadline is already "Late" (the expiry job may lag). */
export const standingAt = (c: { status: ChallengeStatus; expiresAt: number }, now: number): Standing =>
  c.status === "Pending" && now >= c.expiresAt ? "Late" : c.status;

/** What a waiting page is told for a challenge that ended without a login for it: 1312 denied, 1104 otherwise. */
export const pageEndError = (standing: Exclude<Standing, "Pending" | "Approved">): ErrorCode => (standing === "Denied" ? 1312 : 1104);

/** The error of `push:status` for a challenge in this status, if any (Pending and Approved carry none). */
export const pageStatusError = (status: ChallengeStatus): ErrorCode | undefined =>
  status === "Pending" || status === "Approved" ? undefined : pageEndError(status);

/** L4: the poll's error for a challenge at `now`, or null when the login is to be served (approved, finalize window open). */
export function pollError(c: { status: ChallengeStatus; expiresAt: number; finalizeUntil: number }, now: number): ErrorCode | null {
  const standing = standingAt(c, now);
  if (standing === "Pending") return 1295;
  if (standing === "Approved") return now < c.finalizeUntil ? null : 1104;
  return pageEndError(standing);
}

/** L3: why a challenge that is no longer pending cannot be resent. */
export function resendError(standing: Exclude<Standing, "Pending">): ErrorCode {
  if (standing === "Approved") return 1311;
  if (standing === "Missing") return 1103;
  return pageEndError(standing);
}

/** L5 (contract 1.4): answered either way → 1311; expired, cancelled, late or gone → 1104. */
export const answerError = (standing: Exclude<Standing, "Pending">): ErrorCode =>
  standing === "Approved" || standing === "Denied" ? 1311 : 1104;
