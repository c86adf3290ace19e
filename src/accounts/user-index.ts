import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import { normalizeIdentifier } from "./identifiers.js";

/**
 * The console's user search: one sorted set per app whose members all have score 0, so they sort by their bytes
 * and ZRANGEBYLEX finds a prefix in O(log n): `e:<email>\0<uid>`, `n:<username>\0<uid>`, `u:<uid>`, each email and
 * username normalized as sign-in normalizes it (identifiers.ts). Kept as accounts are created; never a KEYS or SCAN.
 */

export type SearchField = "email" | "username" | "uid";
const TAG: Record<SearchField, string> = { email: "e", username: "n", uid: "u" };
const SEP = "\u0000";

/** The index members of one account. */
export function indexMembers(uid: string, profile: { Email: Array<{ Value: string }>; UserName: string | null }): string[] {
  return [
    ...profile.Email.map((e) => `e:${normalizeIdentifier("email", e.Value)}${SEP}${uid}`),
    ...(profile.UserName ? [`n:${normalizeIdentifier("username", profile.UserName)}${SEP}${uid}`] : []),
    `u:${uid}`,
  ];
}

export async function indexAccount(redis: RedisClient, keys: Keys, appId: string, uid: string, profile: { Email: Array<{ Value: string }>; UserName: string | null }): Promise<void> {
  await redis.zadd(keys.userIndex(appId), ...indexMembers(uid, profile).flatMap((m) => [0, m]));
}

/**
 * Uids whose `field` starts with `prefix` (as typed: normalized here), at most `limit`, in byte order. The upper
 * bound is the prefix followed by 0xFF, a byte no UTF-8 text holds.
 */
export async function searchIndex(redis: RedisClient, keys: Keys, appId: string, field: SearchField, prefix: string, limit: number): Promise<string[]> {
  const norm = field === "uid" ? prefix.toLowerCase() : normalizeIdentifier(field, prefix);
  if (!norm || norm.includes(SEP)) return [];
  const start = `${TAG[field]}:${norm}`;
  const members = await redis.zrangebylex(keys.userIndex(appId), `[${start}`, Buffer.concat([Buffer.from(`[${start}`), Buffer.from([0xff])]), "LIMIT", 0, limit);
  return members.map((m) => (field === "uid" ? m.slice(2) : m.slice(m.lastIndexOf(SEP) + 1)));
}

/**
 * Maintenance, once, for accounts created before the index existed (the admin CLI's `index-users`): walk the app's
 * profile keys with SCAN (on every master of a cluster) and index each account. Never used by a search. Returns how
 * many accounts were indexed.
 */
export async function reindexUsers(redis: RedisClient, keys: Keys, appId: string): Promise<number> {
  const pattern = keys.profile(appId, "*").replace(/[?[\]\\]/g, (c) => `\\${c}`);
  const nodes = "nodes" in redis ? redis.nodes("master") : [redis];
  let indexed = 0;
  for (const node of nodes) {
    for await (const batch of node.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
      for (const key of batch) {
        const raw = await redis.hget(key, "profile");
        if (!raw) continue;
        const profile = JSON.parse(raw) as { Uid: string; Email: Array<{ Value: string }>; UserName: string | null };
        await indexAccount(redis, keys, appId, profile.Uid, profile);
        indexed += 1;
      }
    }
  }
  return indexed;
}
