/**
 * What the demo login page says to the person signing in: plain sentences, never an error code, a header name or
 * the API's own wording (that is for developers, in the API reference). One place, so each state is said once.
 */
import { isErrorBody } from "../shared/page.js";
import type { ChallengeStatus } from "../shared/wire.js";

/** What a refusal means for the person in front of the page, by the contract's error code. */
const BY_CODE: Record<number, string> = {
  966: "That email and password don't match. Check them and try again.",
  1198: "This account is locked for now. Try again later, or ask an administrator to unlock it.",
  936: "There is already an account with this email. Sign in instead.",
  938: "There is no account with this email. Create one first.",
  1299: "Push sign-in is not turned on for this app yet. Turn it on in the console.",
  1298: "Push sign-in is not set up correctly for this app. Check its push settings in the console.",
  1313: "Your phone can't receive sign-in requests right now. Set it up again from your account.",
  1312: "The sign-in was denied on your phone.",
  1104: "This sign-in request has expired.",
  1103: "This sign-in request is no longer valid. Start a new sign-in.",
  429: "Too many attempts in a short time. Wait a moment, then try again.",
  901: "This demo is not set up: start the gateway with npm start.",
  920: "This demo is not set up: start the gateway with npm start.",
  922: "This demo is not set up: start the gateway with npm start.",
  950: "Something went wrong on the server. Try again in a moment.",
};

/** A field problem as a sentence that starts with a capital ("password must be…" → "Password must be…"). */
const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A refusal, a failed call or anything thrown, in words for the person signing in. */
export function friendlyError(b: unknown): string {
  if (!isErrorBody(b)) return "Something went wrong. Try again.";
  if (b.ErrorCode === undefined) return "The server didn't answer. Check your connection and try again.";
  if (b.ErrorCode === 965 && b.Errors?.length) return b.Errors.map((e) => capitalised(e.ErrorMessage)).join(" ");
  return BY_CODE[b.ErrorCode] ?? "Something went wrong. Try again.";
}

/** The challenge's state, said as the page shows it beside "Status". */
export const STATUS_WORDS: Record<ChallengeStatus, string> = {
  Pending: "Waiting for your answer",
  Approved: "Approved",
  Denied: "Denied",
  Expired: "Expired",
  Cancelled: "Cancelled (a newer sign-in took its place)",
};

/** How the number is entered on the phone: tapped among three (PickOne) or typed (Typed). */
export const numberInstruction = (mode: string, n: string): string => (mode === "Typed" ? `Type ${n} on your phone.` : `Tap ${n} on your phone.`);

/** What a final state other than Approved tells the person, and what they can do. */
export function endedMessage(status: ChallengeStatus, error: unknown): string {
  if (status === "Denied") return "The sign-in was denied on your phone.";
  if (status === "Expired") return "The sign-in request expired before it was answered.";
  if (status === "Cancelled") return "This sign-in was replaced by a newer one.";
  return friendlyError(error);
}

/** The resend button's countdown. */
export const resendCountdown = (seconds: number): string => `You can resend the push in ${seconds} s.`;
export const RESEND_SPENT = "The push was already resent as often as allowed. If it still hasn't arrived, start a new sign-in.";
