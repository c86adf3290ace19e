import { ApiError } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import { loadStoredDeviceKey, verifyDeviceSignature } from "../crypto/signatures.js";
import type { AppRecord } from "../apps/app-store.js";
import { lockAfterFraudReport, type FraudLockDeps } from "../accounts/lockout.js";
import { refOf } from "../challenge/challenge-store.js";
import type { Challenge } from "../challenge/challenge.js";
import type { Profile as LoginProfile } from "../accounts/account-store.js";
import { approvesWithLogin, sealApproval, type ApprovalResponse } from "../challenge/login-response.js";
import { issueValidation, revokeValidation } from "../challenge/validation-token.js";
import { afterWrites } from "../redis.js";
import { answerError, standingAt } from "../challenge/status-errors.js";
import type { Device } from "../devices/device-store.js";
import type { Services } from "../services.js";
import { together } from "../together.js";
import { checkAnswerBudget } from "./answer-budget.js";
import { findByHandle, readAnswer, type HandleTarget } from "./answer-reads.js";
import { recordEnd, type RecordEndDeps } from "../challenge/record-end.js";
import type { Outcome } from "../stats/counters.js";
import type { AuditEvent } from "../audit/audit-log.js";

export interface DeviceAnswer {
  verify: "Yes" | "No";
  signature: string;
  number?: string | undefined;
  reason?: "fraud" | undefined;
}

/**
 * L5, first half: the challenge a device handle names (on a single Redis, with what the answer checks), once this
 * caller's failure budget on the handle has passed (nothing is decided or verified before). Read-only, so the
 * route runs it beside its own checks (the caller's IP limit, the app): the page waits on this path, and every
 * round trip to Redis is time it waits.
 */
export async function targetOfHandle(s: Pick<Services, "limits" | "challenges" | "redis" | "keys">, handle: string, callerIp: string): Promise<HandleTarget | null> {
  const handleHash = hashToken(handle);
  const [, target] = await together([
    checkAnswerBudget(s, handleHash, callerIp),
    isGuid(handle) ? findByHandle(s, handleHash) : null,
  ]);
  return target;
}

/** What the end of an answer touches: the challenge's transition (behind an approval's writes), its count and log, and the notifier for its pages. */
type EndDeps = Pick<Services, "challenges" | "metrics" | "notifier" | "logger" | "now" | "redis">;

/**
 * What L5 touches: the challenge, the user's devices and account, the session (a login) or validation token (a
 * step-up or a backend's own challenge) minted on approval, the fraud lock.
 */
export type AnswerDeps = EndDeps & RecordEndDeps & FraudLockDeps & Pick<Services, "devices" | "accounts" | "sessions" | "sealer" | "audit" | "config" | "keys">;

/**
 * L5: the phone answers. The signature over `verify + handle (+ number)` must verify with the key of one of the
 * user's active devices; then the challenge ends once, atomically: two answers racing on two nodes give one
 * 200 and one 1311. A bad signature leaves the challenge pending; a wrong number denies it. The challenge, the
 * user's devices and their account live in one slot and are read together; nothing changes before the
 * signature has verified.
 */
export async function answerPush(s: AnswerDeps, app: AppRecord, handle: string, target: HandleTarget | null, answer: DeviceAnswer): Promise<{ IsPosted: true }> {
  if (!target || target.ref.appId !== app.apiKey) throw new ApiError(1296);
  const { challenge: c, devices, account } = target.read ?? (await readAnswer(s, target.ref));
  if (!c) throw new ApiError(1296);
  const now = s.now();
  const standing = standingAt(c, now);
  if (standing !== "Pending") throw new ApiError(answerError(standing));

  const matching = c.numberMode !== "Off";
  const signed = answer.verify + handle + (matching ? (answer.number ?? "") : "");
  const signer = signedByUserDevice(devices, signed, answer.signature);
  if (!signer) {
    s.logger.info({ challenge: c.id }, "answer with a bad signature refused");
    throw new ApiError(1297);
  }

  if (answer.verify === "Yes" && matching && answer.number !== c.number) {
    await end(s, c, "Denied", { reason: "wrong-number" });
    await afterTheEnd(s, c, signer, "denied", { type: "challenge.denied", uid: c.uid, challenge: c.id, detail: "wrong number" });
    throw new ApiError(1297);
  }
  if (answer.verify === "No") {
    const fraud = answer.reason === "fraud";
    await end(s, c, "Denied", { reason: fraud ? "fraud" : "denied" });
    await afterTheEnd(s, c, signer, fraud ? "notme" : "denied", { type: fraud ? "challenge.fraud_reported" : "challenge.denied", uid: c.uid, challenge: c.id });
    if (fraud) await lockAfterFraudReport(s, c.appId, c.uid, c.id);
    return { IsPosted: true };
  }

  if (!account) throw new ApiError(938);
  const approval = approvalOf(s, c, account.profile);
  const loginSealed = sealApproval(s.sealer, c.id, approval.response);
  try {
    await end(s, c, "Approved", { loginSealed, finalizeUntil: now + s.config.FINALIZE_WINDOW_SECONDS * 1000 }, approval);
  } catch (err) {
    // Another answer won (or the records could not be stored): the session or validation token minted for this
    // one must never work.
    await approval.revoke();
    throw err;
  }
  await afterTheEnd(s, c, signer, "approved", { type: "challenge.approved", uid: c.uid, challenge: c.id, ...(c.kind !== "login" && { detail: c.kind }) });
  return { IsPosted: true };
}

/** An approval's answer, the writes that store it, and the way to take it back. */
interface Approval {
  response: ApprovalResponse;
  store: () => Promise<unknown>;
  revoke: () => Promise<void>;
}

/**
 * What an approval gives, by the challenge's kind: a login mints a session (contract 1.2); a step-up (L12) or a
 * backend's own challenge (2.12) a single-use validation token. `end` writes its records with the END script
 * behind them.
 */
function approvalOf(s: AnswerDeps, c: Challenge, profile: LoginProfile): Approval {
  if (approvesWithLogin(c.kind)) {
    const { tokens, store } = s.sessions.issue({ appId: c.appId, uid: c.uid });
    return { response: { Profile: profile, ...tokens }, store, revoke: () => s.sessions.revoke(tokens.access_token) };
  }
  const { response, store } = issueValidation(s, c);
  return { response, store, revoke: () => revokeValidation(s, c.appId, response.SecondFactorValidationToken) };
}

/**
 * After the pages were told: the dashboard's counters and the user's history, the device's last use (the console's
 * "last used") and the audit line, side by side. The answer's HTTP reply waits for them; the page does not.
 */
async function afterTheEnd(s: AnswerDeps, c: Challenge, device: Device, outcome: Outcome, event: AuditEvent): Promise<void> {
  await Promise.all([
    recordEnd(s, c, outcome, true),
    s.devices.patch(c.appId, c.uid, device.id, { lastUsedAt: new Date(s.now()).toISOString() }),
    s.audit.record(c.appId, event),
  ]);
}

function signedByUserDevice(devices: Device[], text: string, signature: string): Device | undefined {
  return devices.find((d) => {
    if (!d.active) return false;
    const key = loadStoredDeviceKey(d.publicKey, d.publicKeyJwk);
    return key !== null && verifyDeviceSignature(key, text, signature);
  });
}

/**
 * The END transition, once, and then the pages are told at once. An approval's records (session or validation
 * token) go in the same round trip, ahead of the script (`afterWrites`): the pages are told only of tokens that
 * are stored.
 */
async function end(s: EndDeps, c: Challenge, to: "Approved" | "Denied", fields: Partial<Challenge>, approval?: Approval): Promise<void> {
  const now = s.now();
  const transition = () => s.challenges.end(refOf(c), to, { now, refuseLate: true, fields });
  const result = await (approval ? afterWrites(s.redis, approval.store, transition) : transition());
  if (result !== "OK") throw new ApiError(answerError(result));
  s.metrics.challenges.inc({ outcome: fields.reason === "fraud" ? "fraud" : to.toLowerCase() });
  // The END script wrote exactly these fields: tell the pages without reading the challenge back (or opening
  // the login just sealed).
  s.notifier.notify({ ...c, ...fields, status: to, endedAt: now }, approval?.response);
  s.logger.info({ app: c.appId, challenge: c.id, outcome: to }, "push answered");
}
