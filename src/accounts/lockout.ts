import { ApiError } from "../errors.js";
import { burnPasswordCheck, verifyPassword } from "../crypto/passwords.js";
import type { Services } from "../services.js";
import { defineScript } from "../redis.js";
import type { Profile } from "./account-store.js";
import { identifierRef, identifiersOf, normalizeIdentifier, type IdentifierKind } from "./identifiers.js";

/**
 * The lockout rules of the first factor, in one place:
 * - wrong passwords are counted per normalized identifier, whether or not an account has it; after
 *   LOGIN_MAX_FAILURES within LOGIN_LOCK_SECONDS the identifier answers 1198 for LOGIN_LOCK_SECONDS. An unknown
 *   identifier locks exactly like a known one, so the lockout does not tell which accounts exist;
 * - the password hash is computed on every attempt (locked, unknown or known), so neither does the timing;
 * - a "not me" answer (L5's `"reason": "fraud"`) locks the user's pushes for FRAUD_LOCK_SECONDS; that lock is
 *   only revealed once the password was right;
 * - a wrong backup code (L16) counts as a wrong password for every identifier of the account, so guessing codes
 *   locks the account after as many tries as guessing passwords does; a locked account (either lock, any of
 *   its identifiers) cannot use a backup code either. The script that tests a code also counts wrong ones per user
 *   (keys.backupCodeFailures), so requests racing in parallel cannot test more codes than the lockout allows;
 * - likewise for passwords: the answer is settled after the hash in one script with the lock and the count, so a
 *   parallel burst of guesses learns at most LOGIN_MAX_FAILURES wrong answers before the rest answer 1198;
 * - an admin lifting a user's lock clears both, for every identifier of the account, and that count.
 * Every read and write of `keys.lock`, `keys.loginLock` and `keys.loginFailures` is in this file.
 */

/** The identifier a login was attempted with, already normalized. */
export interface AttemptedIdentifier {
  kind: IdentifierKind;
  value: string;
}

export type PasswordCheckDeps = Pick<Services, "redis" | "keys" | "config" | "audit" | "logger" | "metrics">;

/**
 * Check the password typed with `id` under the lockout rules: returns the account when it is right and the
 * identifier is not locked out; throws 1198 while it is locked out (right password or not) and 966 when the
 * password is wrong or no account has the identifier (`account` null), counting the failure either way.
 */
export async function checkPassword<A extends { uid: string; passwordHash: string }>(
  deps: PasswordCheckDeps,
  appId: string,
  id: AttemptedIdentifier,
  account: A | null,
  password: string,
): Promise<A> {
  const ref = identifierRef(appId, id.kind, id.value);
  // The hash work is spent before anything is decided, so a locked or unknown identifier answers as slowly.
  const right = account ? await verifyPassword(password, account.passwordHash) : await burnPasswordCheck(password).then(() => false);
  deps.metrics.passwordChecks.inc();
  const who = account ? { uid: account.uid } : {};
  // The answer is decided after the hash, in one script with the lock and the count: requests racing in parallel
  // cannot all have read "not locked" first, so a burst learns no more answers than LOGIN_MAX_FAILURES allows.
  const seconds = deps.config.LOGIN_LOCK_SECONDS;
  const keys = [deps.keys.loginLock(appId, ref), deps.keys.loginFailures(appId, ref)];
  const outcome = await settlePasswordScript(deps.redis, keys, [deps.config.LOGIN_MAX_FAILURES, seconds, right && account ? 1 : 0]);
  if (outcome === LOCKED) {
    await deps.audit.record(appId, { type: "login.refused", ...who, detail: "locked: wrong passwords" });
    throw new ApiError(1198);
  }
  if (outcome === LOCKED_NOW) await lockedNow(deps, appId, account?.uid, "wrong passwords");
  if (outcome !== RIGHT || !account) throw new ApiError(966);
  return account;
}

/** The settle script's answers that need telling apart (1 is a wrong password, counted). */
const LOCKED = -1;
const RIGHT = 0;
const LOCKED_NOW = 2;

/**
 * A checked password's outcome, atomically with the identifier's lock and count (KEYS: lock, failures; ARGV: max,
 * lock seconds, right 1|0): -1 locked (nothing counted), 0 right (the count cleared), 1 wrong (counted), 2 wrong
 * and now locked.
 */
const settlePasswordScript = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
  return 0
end
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2], 'NX')
if n < tonumber(ARGV[1]) then return 1 end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[2])
redis.call('DEL', KEYS[2])
return 2
`);

/** One more failure (a wrong password or backup code) for the identifier; the one that reaches the limit locks it (known or not). */
async function countFailure(deps: PasswordCheckDeps, appId: string, ref: string, uid: string | undefined, why: "wrong passwords" | "wrong backup codes"): Promise<void> {
  const failuresKey = deps.keys.loginFailures(appId, ref);
  const seconds = deps.config.LOGIN_LOCK_SECONDS;
  const [[, failures]] = (await deps.redis.multi().incr(failuresKey).expire(failuresKey, seconds, "NX").exec()) as [[Error | null, number]];
  if (failures < deps.config.LOGIN_MAX_FAILURES) return;
  await deps.redis.multi().set(deps.keys.loginLock(appId, ref), "1", "EX", seconds).del(failuresKey).exec();
  await lockedNow(deps, appId, uid, why);
}

/** The failure that reached the limit locked the identifier: logged and audited. */
async function lockedNow(deps: PasswordCheckDeps, appId: string, uid: string | undefined, why: "wrong passwords" | "wrong backup codes"): Promise<void> {
  // The identifier itself is never logged: an unknown one is whatever a stranger typed.
  deps.logger.warn({ app: appId, ...(uid && { uid }) }, uid ? `too many ${why}: account locked` : `too many ${why}: unknown identifier locked`);
  await deps.audit.record(appId, { type: "user.locked", ...(uid && { uid }), detail: uid ? why : `${why}, no such account` });
}

/**
 * A wrong backup code (L16): one more failure for every identifier of the account, as a wrong password typed with
 * each would be, so the account locks (1198) after LOGIN_MAX_FAILURES of them. The identifiers' keys live in
 * different hash slots: one command each.
 */
export async function countWrongBackupCode(deps: PasswordCheckDeps, appId: string, uid: string, profile: Profile): Promise<void> {
  await deps.audit.record(appId, { type: "login.refused", uid, detail: "wrong backup code" });
  // One after the other: the lock is audited once per identifier that reaches the limit, in a stable order.
  for (const [kind, value] of identifiersOf(profile)) {
    await countFailure(deps, appId, identifierRef(appId, kind, normalizeIdentifier(kind, value)), uid, "wrong backup codes");
  }
}

/**
 * Refuse (1198) an account that is locked in any way: the "not me" lock, or the wrong-password lockout of any of
 * its identifiers. For L16: whoever holds the 2FA token already passed the password, so the answer tells nothing new.
 */
export async function refuseIfAccountLocked(deps: Pick<Services, "redis" | "keys" | "audit">, appId: string, uid: string, profile: Profile): Promise<void> {
  const locks = await Promise.all([
    deps.redis.get(deps.keys.lock(appId, uid)),
    ...identifiersOf(profile).map(([kind, value]) =>
      deps.redis.exists(deps.keys.loginLock(appId, identifierRef(appId, kind, normalizeIdentifier(kind, value)))).then((n) => (n > 0 ? "wrong passwords" : null)),
    ),
  ]);
  const lock = locks.find((l) => l);
  if (!lock) return;
  await deps.audit.record(appId, { type: "login.refused", uid, detail: `backup code refused, locked: ${lock}` });
  throw new ApiError(1198);
}

export type FraudLockDeps = Pick<Services, "redis" | "keys" | "config" | "audit" | "logger">;

/**
 * A "not me" answer to one of the user's logins: lock their pushes for FRAUD_LOCK_SECONDS (0 switches it off), so
 * whoever knows the password cannot push-bomb them meanwhile. Logged and audited.
 */
export async function lockAfterFraudReport(
  deps: FraudLockDeps,
  appId: string,
  uid: string,
  challengeId: string,
): Promise<void> {
  const seconds = deps.config.FRAUD_LOCK_SECONDS;
  if (seconds <= 0) return;
  await deps.redis.set(deps.keys.lock(appId, uid), "fraud", "EX", seconds);
  deps.logger.warn({ app: appId, uid, challenge: challengeId }, "login reported as fraud: user locked");
  await deps.audit.record(appId, { type: "user.locked", uid, challenge: challengeId, detail: `fraud reported; ${seconds} s` });
}

/**
 * Refuse (1198) a user whose pushes are locked after a "not me" answer. Call it only once the password was
 * right: before that, the lock would tell a stranger that the account exists and was just refused.
 */
export async function refuseIfNotMeLocked(deps: Pick<Services, "redis" | "keys" | "audit">, appId: string, uid: string): Promise<void> {
  const lock = await deps.redis.get(deps.keys.lock(appId, uid));
  if (!lock) return;
  await deps.audit.record(appId, { type: "login.refused", uid, detail: `locked: ${lock}` });
  throw new ApiError(1198);
}

/**
 * An admin lifts a user's locks: the "not me" lock and the wrong-password lockout of every identifier of the
 * account (email, username, phone), with their failure counts. Audited when anything was lifted; returns
 * whether anything was.
 */
export async function liftLocks(deps: Pick<Services, "redis" | "keys" | "audit">, appId: string, uid: string, profile: Profile, detail: string, by?: string): Promise<boolean> {
  // One DEL per identifier: each identifier's keys share a hash tag, different identifiers may not (Redis Cluster).
  const removed = await Promise.all([
    deps.redis.del(deps.keys.lock(appId, uid), deps.keys.backupCodeFailures(appId, uid)),
    ...identifiersOf(profile).map(([kind, value]) => {
      const ref = identifierRef(appId, kind, normalizeIdentifier(kind, value));
      return deps.redis.del(deps.keys.loginLock(appId, ref), deps.keys.loginFailures(appId, ref));
    }),
  ]);
  const lifted = removed.some((n) => n > 0);
  if (lifted) await deps.audit.record(appId, { type: "user.unlocked", uid, detail, ...(by && { by }) });
  return lifted;
}

/** A user's locks as the console shows them: the "not me" lock and each identifier's wrong-password lockout. */
export interface LockState {
  /** The "not me" lock's reason ("fraud") and seconds left, or null. */
  notMe: { reason: string; secondsLeft: number } | null;
  /** The identifiers locked out after wrong passwords (their kind only), with seconds left. */
  wrongPasswords: Array<{ kind: IdentifierKind; secondsLeft: number }>;
}

export async function lockStateOf(deps: Pick<Services, "redis" | "keys">, appId: string, uid: string, profile: Profile): Promise<LockState> {
  const ids = identifiersOf(profile);
  const [notMe, notMeTtl, ...ttls] = await Promise.all([
    deps.redis.get(deps.keys.lock(appId, uid)),
    deps.redis.ttl(deps.keys.lock(appId, uid)),
    ...ids.map(([kind, value]) => deps.redis.ttl(deps.keys.loginLock(appId, identifierRef(appId, kind, normalizeIdentifier(kind, value))))),
  ]);
  return {
    notMe: typeof notMe === "string" ? { reason: notMe, secondsLeft: Math.max(0, Number(notMeTtl)) } : null,
    wrongPasswords: ids.flatMap(([kind], i) => (Number(ttls[i]) > 0 ? [{ kind, secondsLeft: Number(ttls[i]) }] : [])),
  };
}
