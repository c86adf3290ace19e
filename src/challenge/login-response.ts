import type { Profile } from "../accounts/account-store.js";
import type { Sealer } from "../crypto/sealed.js";
import type { TokenTrio } from "../sessions/session-store.js";
import type { Challenge, ChallengeKind } from "./challenge.js";

/** The login response of contract 1.2: what L4 answers and `push:status` carries once a login is approved. */
export interface LoginResponse extends TokenTrio {
  Profile: Profile;
}

/**
 * What L4 answers and `push:status` carries (as `Validation`) once a step-up (L12) or a backend's own challenge
 * (contract 2.12) is approved: a single-use token the customer's backend checks. `Uid` only for 2.12.
 */
export interface ValidationResponse {
  SecondFactorValidationToken: string;
  ExpireIn: string;
  Uid?: string;
}

/** What an approval gives, by the challenge's kind. */
export type ApprovalResponse = LoginResponse | ValidationResponse;

/** Whether a challenge of this kind is approved with a session (a login) rather than a validation token. */
export const approvesWithLogin = (kind: ChallengeKind | undefined): boolean => (kind ?? "login") === "login";

/** The approved answer is sealed under the master key, bound to its challenge, so any node can serve it. */
const context = (challengeId: string) => `login:${challengeId}`;

export const sealApproval = (sealer: Sealer, challengeId: string, approval: ApprovalResponse): string =>
  sealer.seal(JSON.stringify(approval), context(challengeId));

export const openApproval = (sealer: Sealer, c: Pick<Challenge, "id" | "loginSealed">): ApprovalResponse | null =>
  c.loginSealed ? (JSON.parse(sealer.open(c.loginSealed, context(c.id))) as ApprovalResponse) : null;

/** A login's approval, sealed (what `sealApproval` does for every kind; kept for callers that only ever seal logins). */
export const sealLogin = (sealer: Sealer, challengeId: string, login: LoginResponse): string => sealApproval(sealer, challengeId, login);
