import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import { countWrongBackupCode, refuseIfAccountLocked, type PasswordCheckDeps } from "../accounts/lockout.js";
import { refOf } from "../challenge/challenge-store.js";
import type { LoginResponse } from "../challenge/login-response.js";
import { resendError, standingAt } from "../challenge/status-errors.js";
import { findChallengeByToken } from "../login/find-challenge.js";
import type { Services } from "../services.js";
import { recordEnd } from "../challenge/record-end.js";

/** What L16 touches: the challenge and its pages, the codes, the account and its locks, the session it mints. */
export type BackupCodeLoginDeps = PasswordCheckDeps &
  Pick<Services, "challenges" | "backupCodes" | "accounts" | "sessions" | "notifier" | "now">;

/**
 * L16: finish a waiting login with a backup code instead of the push. The code is used up and the challenge ends
 * in one atomic step (USE_BACKUP_CODE), so one code finishes one login however many requests race; the challenge
 * ends `Cancelled` (its pages are told, its pings then answer 1104, and the phone's answer 1104), and this caller
 * gets the login response of contract 1.2. A wrong code is 1066 and counts toward the account's lockout; a
 * locked account is refused (1198) before any code is looked at.
 */
export async function loginWithBackupCode(deps: BackupCodeLoginDeps, app: AppRecord, token: string, typed: string): Promise<LoginResponse> {
  const c = await findChallengeByToken(deps, app, token);
  // A backup code finishes a login (its answer is a session). Step-up (L12) and own challenges (2.12) carry a `kind`
  // other than "login" once they exist; a code must not turn one of them into a session.
  const kind = (c as { kind?: string }).kind ?? "login";
  if (kind !== "login") throw new ApiError(1103, { description: "A backup code finishes a login only; this token is not a login's." });
  const standing = standingAt(c, deps.now());
  if (standing !== "Pending") throw new ApiError(resendError(standing));
  const account = await deps.accounts.get(c.appId, c.uid);
  if (!account) throw new ApiError(1104);
  await refuseIfAccountLocked(deps, c.appId, c.uid, account.profile);

  const now = deps.now();
  const used = await deps.backupCodes.useOn(refOf(c), typed, now, { max: deps.config.LOGIN_MAX_FAILURES, windowSeconds: deps.config.LOGIN_LOCK_SECONDS });
  if (used === "Locked") {
    await deps.audit.record(c.appId, { type: "login.refused", uid: c.uid, detail: "backup code refused, locked: wrong backup codes" });
    throw new ApiError(1198);
  }
  if (used === "Wrong") {
    await countWrongBackupCode(deps, c.appId, c.uid, account.profile);
    throw new ApiError(1066);
  }
  if (used !== "OK") throw new ApiError(resendError(used));

  deps.metrics.challenges.inc({ outcome: "cancelled" });
  deps.notifier.notify({ ...c, status: "Cancelled", endedAt: now, reason: "backup-code" });
  await recordEnd(deps, c, "cancelled");
  const tokens = await deps.sessions.mint({ appId: c.appId, uid: c.uid });
  deps.logger.info({ app: c.appId, uid: c.uid, challenge: c.id }, "login finished with a backup code");
  await deps.audit.record(c.appId, { type: "backup_code.used", uid: c.uid, challenge: c.id });
  return { Profile: account.profile, ...tokens };
}
