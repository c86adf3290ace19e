/**
 * L16's one atomic step: end the user's waiting login with a backup code, using the code up. The challenge, the
 * user's pending pointer and their backup codes share the user's hash slot, so this runs as one script on a
 * Redis Cluster too: two requests with one code, on two nodes, give one winner.
 *
 * KEYS: challenge, pending pointer, backup-code set, the user's wrong-code count. ARGV: the code's keyed hash, now
 * ms, how many wrong codes the count allows, its window in seconds.
 * Returns "OK" (the code is used up and the challenge Cancelled with reason "backup-code"), "Wrong" (no such
 * unused code; counted), "Locked" (the count is spent: no code is tested, not even a right one), "Late" (deadline
 * passed), "Missing", or the status the challenge already had. The challenge is checked first: a code is never
 * tested, nor spent, on a login that is over. The count is read and raised here, in the same step as the test, so
 * requests racing in parallel test no more codes than the lockout allows (the per-identifier lockout, counted
 * after, could be raced past).
 */
export const USE_BACKUP_CODE = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'Missing' end
if st ~= 'Pending' then return st end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) <= tonumber(ARGV[2]) then return 'Late' end
if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[3]) then return 'Locked' end
if redis.call('SREM', KEYS[3], ARGV[1]) == 0 then
  redis.call('INCR', KEYS[4])
  redis.call('EXPIRE', KEYS[4], ARGV[4], 'NX')
  return 'Wrong'
end
redis.call('HSET', KEYS[1], 'status', 'Cancelled', 'endedAt', ARGV[2], 'reason', 'backup-code')
if redis.call('GET', KEYS[2]) == redis.call('HGET', KEYS[1], 'id') then redis.call('DEL', KEYS[2]) end
return 'OK'
`;
