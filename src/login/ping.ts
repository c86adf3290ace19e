import type { ErrorCode } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import { openApproval, type ApprovalResponse } from "../challenge/login-response.js";
import { pollError } from "../challenge/status-errors.js";
import type { ChallengeStatusView } from "../challenge/challenge.js";
import { tooManyRequests } from "../rate-limits.js";
import type { Services } from "../services.js";
import { together } from "../together.js";

/**
 * What L4 answers: once approved, the login (or, for a step-up or a backend's own challenge, the validation), or
 * the error code that says why not yet or not any more.
 */
export type PingResult = { login: ApprovalResponse } | { error: ErrorCode };

/** What a poll reads: the caller's failed-guesses budget, the challenge (and its token's poll budget), and the key its login is sealed under. */
export type PingDeps = Pick<Services, "guesses" | "challenges" | "sealer" | "now">;

/**
 * L4, for pages that poll: the login response once approved (until the finalize window closes), otherwise the
 * error that says why not yet or not any more. It is the hottest path a legacy page has (every poll but the
 * last answers 1295), so the answer is a value rather than a thrown error, the token's poll limit (pingPerToken)
 * and its lookup are one script, side by side with the caller's failed-guesses budget, and only the fields the
 * answer needs are read. An unknown token (1103) spends the budget of the caller's address `ip`.
 */
export async function ping(deps: PingDeps, app: AppRecord, token: string, ip: string): Promise<PingResult> {
  const tokenHash = hashToken(token);
  const [polled] = await together([
    // Every poll counts against its token's limit, whatever the token (a malformed one finds nothing).
    deps.challenges.pollByToken(tokenHash).then((p) => {
      if ("retryAfterMs" in p) throw tooManyRequests(p.retryAfterMs);
      return p.view;
    }),
    deps.guesses.refuseIfGuessing(ip),
  ]);
  const c = isGuid(token) ? polled : null;
  if (!c || c.appId !== app.apiKey) {
    await deps.guesses.countGuess(ip);
    return { error: 1103 };
  }
  return answerOf(deps, c);
}

/**
 * L4's answer read again for a token already checked (the long poll of contract 2.11, after it wakes or its time
 * runs out): one read, no limit spent. A challenge gone since reads as L4 would read it now (1103).
 */
export async function pingAgain(deps: Pick<Services, "challenges" | "sealer" | "now">, app: AppRecord, tokenHash: string): Promise<PingResult> {
  const c = await deps.challenges.statusByToken(tokenHash);
  if (!c || c.appId !== app.apiKey) return { error: 1103 };
  return answerOf(deps, c);
}

function answerOf(deps: Pick<Services, "sealer" | "now">, c: ChallengeStatusView): PingResult {
  const error = pollError(c, deps.now());
  if (error !== null) return { error };
  const login = openApproval(deps.sealer, c);
  // Approved without a sealed answer to serve reads as over, as after the finalize window.
  return login ? { login } : { error: 1104 };
}
