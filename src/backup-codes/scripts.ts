/**
 * L16's one atomic step: end the user's waiting login with a backup code, using the code up. The challenge, the
 * user's pending pointer and their backup codes share the user's hash slot, so this runs as one script on a
 * Redis Cluster too: two requests with one code, on two nodes, give one winner.
 *
 * KEYS: challenge, pending pointer, backup-code set. ARGV: the code's keyed hash, now ms.
 * Returns "OK" (the code is used up and the challenge Cancelled with reason "backup-code"), "Wrong" (no such
 * unused code; nothing changed), "Late" (deadline passed), "Missing", or the status the challenge already had.
 * The challenge is checked first: a code is never tested, nor spent, on a login that is over.
 */
export const USE_BACKUP_CODE = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'Missing' end
if st ~= 'Pending' then return st end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) <= tonumber(ARGV[2]) then return 'Late' end
if redis.call('SREM', KEYS[3], ARGV[1]) == 0 then return 'Wrong' end
redis.call('HSET', KEYS[1], 'status', 'Cancelled', 'endedAt', ARGV[2], 'reason', 'backup-code')
if redis.call('GET', KEYS[2]) == redis.call('HGET', KEYS[1], 'id') then redis.call('DEL', KEYS[2]) end
return 'OK'
`;
