import { randomInt } from "node:crypto";
import type { ChallengeRef } from "../challenge/challenge-store.js";
import type { Sealer } from "../crypto/sealed.js";
import type { Keys } from "../keys.js";
import { defineScript, type RedisClient } from "../redis.js";
import { USE_BACKUP_CODE } from "./scripts.js";

/** How many codes a set has (LoginRadius: ten, each usable once). */
export const BACKUP_CODE_COUNT = 10;

/**
 * Crockford's base32 alphabet, lowercase: no i, l, o or u, so a code copied by hand is not misread. Ten characters
 * are 50 random bits; with the lockout (a few wrong codes lock the account) guessing one is hopeless.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE_LENGTH = 10;

/** A code as shown: `xxxxx-xxxxx`. */
function newCode(): string {
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** A code as typed: any case, with or without its dash and spaces. */
export const normalizeBackupCode = (typed: string): string => typed.toLowerCase().replace(/[\s-]/g, "");

/** What using a code found (see USE_BACKUP_CODE). */
export type BackupCodeUse = "OK" | "Wrong" | "Locked" | "Late" | "Missing" | "Approved" | "Denied" | "Expired" | "Cancelled";

export interface BackupCodeStore {
  /** A new set of codes for the user, replacing every earlier one (used or not). Returned once; stored hashed. */
  issue(appId: string, uid: string): Promise<string[]>;
  /** How many unused codes the user has. */
  left(appId: string, uid: string): Promise<number>;
  /**
   * L16: use up `typed` and end the user's waiting login `challenge`, atomically (see USE_BACKUP_CODE); at most
   * `wrong.max` wrong codes are tested per `wrong.windowSeconds`, however many requests race.
   */
  useOn(challenge: ChallengeRef, typed: string, now: number, wrong: { max: number; windowSeconds: number }): Promise<BackupCodeUse>;
}

const useScript = defineScript(USE_BACKUP_CODE);

/**
 * Codes are short (50 bits), so a bare SHA-256 of one in a Redis dump could be brute-forced offline: each is kept
 * as an HMAC under a key derived from the master key for this purpose alone (Sealer.keyedHash), bound to its app
 * and user, so a dump without the master key tests nothing and one user's code never matches another's.
 */
export function createBackupCodeStore(redis: RedisClient, keys: Keys, sealer: Pick<Sealer, "keyedHash">): BackupCodeStore {
  const hashOf = (appId: string, uid: string, typed: string) => sealer.keyedHash("backup-code", JSON.stringify([appId, uid, normalizeBackupCode(typed)]));
  return {
    async issue(appId, uid) {
      const codes = Array.from({ length: BACKUP_CODE_COUNT }, newCode);
      const key = keys.backupCodes(appId, uid);
      await redis.multi().del(key).sadd(key, ...codes.map((c) => hashOf(appId, uid, c))).exec();
      return codes;
    },
    left: (appId, uid) => redis.scard(keys.backupCodes(appId, uid)),
    async useOn(c, typed, now, wrong) {
      const userKeys = [keys.challenge(c.appId, c.uid, c.challengeId), keys.pending(c.appId, c.uid), keys.backupCodes(c.appId, c.uid), keys.backupCodeFailures(c.appId, c.uid)];
      return (await useScript(redis, userKeys, [hashOf(c.appId, c.uid, typed), now, wrong.max, wrong.windowSeconds])) as BackupCodeUse;
    },
  };
}
