import { ApiError, type ErrorCode } from "./errors.js";
import type { RateLimit } from "./rate-limits.js";
import { together } from "./together.js";

/**
 * The answers that tell a caller "what you presented is not a valid secret": an unknown 2FA token (1103), a wrong
 * apisecret (902), an invalid access token (905), a wrong backup code (1066). An address that collects many of them is guessing.
 */
const GUESS_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([1103, 902, 905, 1066]);

/**
 * Each client address's budget of failed guesses (`failedGuessesPerIp` per window, in Redis so every node counts
 * together). Only failures spend it, so a legitimate caller never notices it; once spent, every call that checks a
 * token or secret is refused 429 with Retry-After before the check, for the rest of the window.
 */
export interface GuessBudget {
  /** 429 with Retry-After once this address has spent its budget; one GET otherwise. */
  refuseIfGuessing(ip: string): Promise<void>;
  /** Spend one failed guess of this address (its window starts with its first failure). */
  countGuess(ip: string): Promise<void>;
}

/** The budget: the `failedGuessesPerIp` limit, checked before a credential is looked at and charged by failures. */
export function createGuessBudget(limit: Pick<RateLimit, "check" | "charge">): GuessBudget {
  return { refuseIfGuessing: (ip) => limit.check(ip), countGuess: (ip) => limit.charge(ip) };
}

/** Whether an error is an answer that spends the budget. */
export const isFailedGuess = (err: unknown): boolean => err instanceof ApiError && GUESS_CODES.has(err.code);

/** The check's answer; a failed guess it throws is counted against the address first, so the next call sees it. */
export async function countingGuesses<T>(budget: Pick<GuessBudget, "countGuess">, ip: string, check: Promise<T>): Promise<T> {
  try {
    return await check;
  } catch (err) {
    if (isFailedGuess(err)) await budget.countGuess(ip);
    throw err;
  }
}

/**
 * A credential check that only reads (apikey, token or session lookups), side by side with the address's budget so
 * it costs no extra round trip: 429 when the budget is spent, whatever the check found (so the answer tells a
 * guesser nothing); otherwise the check's answer, its failed guess counted.
 */
export function checkedAgainstGuessing<T>(budget: GuessBudget, ip: string, check: Promise<T>): Promise<T> {
  return countingGuesses(budget, ip, together([budget.refuseIfGuessing(ip), check]).then(([, value]) => value));
}
