import { ApiError } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import { loadStoredDeviceKey, verifyDeviceSignature } from "../crypto/signatures.js";
import type { AppRecord } from "../apps/app-store.js";
import { refOf } from "../challenge/challenge-store.js";
import type { Challenge } from "../challenge/challenge.js";
import { sealLogin } from "../challenge/login-response.js";
import type { Services } from "../services.js";

export interface DeviceAnswer {
  verify: "Yes" | "No";
  signature: string;
  number?: string | undefined;
  reason?: "fraud" | undefined;
}

/**
 * L5: the phone answers. The signature over `verify + handle (+ number)` must verify with the key of one of the
 * user's active devices; then the challenge ends once, atomically: two answers racing on two nodes give one
 * 200 and one 1311. A bad signature leaves the challenge pending; a wrong number denies it.
 */
export async function answerPush(s: Services, app: AppRecord, handle: string, answer: DeviceAnswer): Promise<{ IsPosted: true }> {
  await s.limits.answerPerHandle(hashToken(handle));
  if (!isGuid(handle)) throw new ApiError(1296);
  const c = await s.challenges.findByHandle(hashToken(handle));
  if (!c || c.appId !== app.apiKey) throw new ApiError(1296);
  const now = s.now();
  if (c.status !== "Pending") throw alreadyEnded(c.status);
  if (now >= c.expiresAt) throw new ApiError(1104);

  const matching = c.numberMode !== "Off";
  const signed = answer.verify + handle + (matching ? (answer.number ?? "") : "");
  if (!(await signedByUserDevice(s, c, signed, answer.signature))) {
    s.logger.info({ challenge: c.id }, "answer with a bad signature refused");
    throw new ApiError(1297);
  }

  if (answer.verify === "Yes" && matching && answer.number !== c.number) {
    await end(s, c, "Denied", { reason: "wrong-number" });
    await s.audit.record(c.appId, { type: "challenge.denied", uid: c.uid, challenge: c.id, detail: "wrong number" });
    throw new ApiError(1297);
  }
  if (answer.verify === "No") {
    const fraud = answer.reason === "fraud";
    await end(s, c, "Denied", { reason: fraud ? "fraud" : "denied" });
    await s.audit.record(c.appId, { type: fraud ? "challenge.fraud_reported" : "challenge.denied", uid: c.uid, challenge: c.id });
    if (fraud && s.config.FRAUD_LOCK_SECONDS > 0) {
      await s.redis.set(s.keys.lock(c.appId, c.uid), "fraud", "EX", s.config.FRAUD_LOCK_SECONDS);
      s.logger.warn({ app: c.appId, uid: c.uid, challenge: c.id }, "login reported as fraud: user locked");
      await s.audit.record(c.appId, { type: "user.locked", uid: c.uid, challenge: c.id, detail: `fraud reported; ${s.config.FRAUD_LOCK_SECONDS} s` });
    }
    return { IsPosted: true };
  }

  const account = await s.accounts.get(c.appId, c.uid);
  if (!account) throw new ApiError(938);
  const tokens = await s.sessions.mint({ appId: c.appId, uid: c.uid });
  const loginSealed = sealLogin(s.sealer, c.id, { Profile: account.profile, ...tokens });
  try {
    await end(s, c, "Approved", { loginSealed, finalizeUntil: now + s.config.FINALIZE_WINDOW_SECONDS * 1000 });
  } catch (err) {
    // Another answer won: the session minted for this one must never work.
    await s.sessions.revoke(tokens.access_token);
    throw err;
  }
  await s.audit.record(c.appId, { type: "challenge.approved", uid: c.uid, challenge: c.id });
  return { IsPosted: true };
}

async function signedByUserDevice(s: Services, c: Challenge, text: string, signature: string): Promise<boolean> {
  const devices = (await s.devices.list(c.appId, c.uid)).filter((d) => d.active);
  return devices.some((d) => {
    const key = loadStoredDeviceKey(d.publicKey);
    return key !== null && verifyDeviceSignature(key, text, signature);
  });
}

async function end(s: Services, c: Challenge, to: "Approved" | "Denied", fields: Partial<Challenge>): Promise<void> {
  const now = s.now();
  const result = await s.challenges.end(refOf(c), to, { now, refuseLate: true, fields });
  if (result !== "OK") throw alreadyEnded(result);
  s.metrics.challenges.inc({ outcome: fields.reason === "fraud" ? "fraud" : to.toLowerCase() });
  // The END script wrote exactly these fields: tell the pages without reading the challenge back.
  s.notifier.notify({ ...c, ...fields, status: to, endedAt: now });
  s.logger.info({ app: c.appId, challenge: c.id, outcome: to }, "push answered");
}

/** Contract 1.4: answered (either way) → 1311; expired, cancelled or gone → 1104. */
const alreadyEnded = (status: string): ApiError => new ApiError(status === "Approved" || status === "Denied" ? 1311 : 1104);
