import { Cluster } from "ioredis";
import { accountOf, ACCOUNT_FIELDS, type Profile } from "../accounts/account-store.js";
import { parseChallenge, type Challenge } from "../challenge/challenge.js";
import { decodeRef, type ChallengeRef } from "../challenge/challenge-store.js";
import { parseDevices, type Device } from "../devices/device-store.js";
import { defineScript, fieldsOf } from "../redis.js";
import type { Services } from "../services.js";
import { together } from "../together.js";

/** What an answer checks: the challenge, the user's devices and account (null when gone). */
export interface AnswerRead {
  challenge: Challenge | null;
  devices: Device[];
  account: { profile: Profile } | null;
}

/** The challenge a device handle names: where it lives and, when read in the lookup's own round trip, what the answer checks. */
export interface HandleTarget {
  ref: ChallengeRef;
  read?: AnswerRead;
}

/**
 * KEYS: the handle's lookup. ARGV: the key templates of the challenge, the user's devices and profile, with bytes
 * 1, 2 and 3 standing for the app, the uid and the challenge id. Returns false for an unknown handle, otherwise
 * the lookup's value, the challenge's and the devices' fields, and the account's fields (ACCOUNT_FIELDS). The keys
 * it reads are named by the lookup, so they are not in KEYS: a single Redis only (a cluster reads them apart).
 */
const readByHandleScript = defineScript(`
local ref = redis.call('GET', KEYS[1])
if not ref then return false end
local a, u, c = string.match(ref, '^([^|]+)|([^|]+)|([^|]+)$')
if not a then return false end
local parts = { ['\\1'] = a, ['\\2'] = u, ['\\3'] = c }
local function key(t) return (string.gsub(t, '[\\1\\2\\3]', parts)) end
return { ref, redis.call('HGETALL', key(ARGV[1])), redis.call('HGETALL', key(ARGV[2])), redis.call('HMGET', key(ARGV[3]), unpack(ARGV, 4)) }
`);

/**
 * The challenge a handle names, found by its hash. On a single Redis, one script also reads what the answer
 * checks (the challenge, the user's devices and account), so the answer makes one round trip fewer before the
 * page is told; it only reads, and it runs beside the route's limits, whose refusals still come first. On a
 * cluster those keys live in the user's slot, which only the lookup names: just the lookup here, the rest by
 * `readAnswer` once the route's checks have passed.
 */
export async function findByHandle(s: Pick<Services, "redis" | "keys" | "challenges">, handleHash: string): Promise<HandleTarget | null> {
  if (s.redis instanceof Cluster) {
    const ref = await s.challenges.refByHandle(handleHash);
    return ref ? { ref } : null;
  }
  const k = s.keys;
  const found = (await readByHandleScript(s.redis, [k.handleRef(handleHash)], [
    k.challenge("\x01", "\x02", "\x03"), k.devices("\x01", "\x02"), k.profile("\x01", "\x02"), ...ACCOUNT_FIELDS,
  ])) as [string, string[], string[], Array<string | null>] | null;
  const ref = found && decodeRef(found[0]);
  if (!found || !ref) return null;
  const [, challenge, devices, [profile, passwordHash]] = found;
  return { ref, read: { challenge: parseChallenge(fieldsOf(challenge)), devices: parseDevices(fieldsOf(devices)), account: accountOf(profile ?? null, passwordHash ?? null) } };
}

/** What an answer checks, read by the stores (the cluster's way, or a target found without them). */
export async function readAnswer(s: Pick<Services, "challenges" | "devices" | "accounts">, ref: ChallengeRef): Promise<AnswerRead> {
  const [challenge, devices, account] = await together([
    s.challenges.load(ref),
    s.devices.list(ref.appId, ref.uid),
    s.accounts.get(ref.appId, ref.uid),
  ]);
  return { challenge, devices, account };
}
