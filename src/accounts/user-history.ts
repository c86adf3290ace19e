import { defineScript } from "../redis.js";
import type { Services } from "../services.js";
import type { Outcome } from "../stats/counters.js";

/**
 * Each user's latest challenges, for the console's user panel: a bounded list written as a challenge opens (its
 * time, browser and location as the phone saw them) and each one's outcome written where it is decided. Both keys
 * live in the user's hash slot and are trimmed together, so they stay small.
 */

/** How many challenges a user's history keeps, and for how long after the last one. */
export const HISTORY_LENGTH = 20;
const HISTORY_TTL_S = 30 * 24 * 3600;

export interface HistoryEntry {
  id: string;
  at: number;
  browser: string;
  location: string;
  /** An admin's test push. */
  test?: boolean;
}

export type HistoryDeps = Pick<Services, "redis" | "keys" | "logger">;

/** KEYS: list, outcomes hash. ARGV: entry JSON, length kept, ttl s. Drops the outcomes of the entries trimmed away. */
const pushScript = defineScript(`
redis.call('LPUSH', KEYS[1], ARGV[1])
local keep = tonumber(ARGV[2])
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], keep, -1)) do
  local ok, e = pcall(cjson.decode, raw)
  if ok and type(e) == 'table' and e.id then redis.call('HDEL', KEYS[2], e.id) end
end
redis.call('LTRIM', KEYS[1], 0, keep - 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
`);

const quietly = async (deps: HistoryDeps, what: () => Promise<unknown>): Promise<void> => {
  try {
    await what();
  } catch (err) {
    deps.logger.warn({ err: { message: (err as Error).message } }, "user history not recorded");
  }
};

/** A challenge opened for the user. */
export const rememberChallenge = (deps: HistoryDeps, appId: string, uid: string, entry: HistoryEntry): Promise<void> =>
  quietly(deps, () => pushScript(deps.redis, [deps.keys.userChallenges(appId, uid), deps.keys.userOutcomes(appId, uid)], [JSON.stringify(entry), HISTORY_LENGTH, HISTORY_TTL_S]));

/** How one of the user's challenges ended. */
export const rememberOutcome = (deps: HistoryDeps, appId: string, uid: string, challengeId: string, outcome: Outcome): Promise<void> =>
  quietly(deps, () => rememberScript(deps.redis, [deps.keys.userOutcomes(appId, uid)], [challengeId, outcome, HISTORY_TTL_S]));

/** HSET and EXPIRE in one script: every answer runs it, and a MULTI costs ioredis several times the CPU. */
const rememberScript = defineScript(`redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) redis.call('EXPIRE', KEYS[1], ARGV[3])`);

/** The user's latest challenges, newest first, each with its outcome ("pending" while none is known). */
export async function historyOf(deps: HistoryDeps, appId: string, uid: string): Promise<Array<HistoryEntry & { outcome: Outcome | "pending" }>> {
  const [raw, outcomes] = await Promise.all([
    deps.redis.lrange(deps.keys.userChallenges(appId, uid), 0, HISTORY_LENGTH - 1),
    deps.redis.hgetall(deps.keys.userOutcomes(appId, uid)),
  ]);
  return raw.flatMap((r) => {
    try {
      const e = JSON.parse(r) as HistoryEntry;
      return [{ ...e, outcome: (outcomes[e.id] as Outcome | undefined) ?? "pending" }];
    } catch {
      return [];
    }
  });
}
