/**
 * The Lua scripts that change a challenge. Each runs atomically on the user's hash slot, so two answers racing
 * on two gateway nodes give one winner, and a new login cancels the older one exactly once.
 */

/**
 * Create a challenge and make it the user's pending one, cancelling the previous pending challenge.
 * KEYS: pending pointer, new challenge. ARGV: challenge key prefix, ttl ms, now ms, id, field/value pairs…
 * Returns the cancelled challenge's token hash, or "".
 */
export const CREATE = `
local old = redis.call('GET', KEYS[1])
local cancelled = ''
if old then
  local oldKey = ARGV[1] .. old
  if redis.call('HGET', oldKey, 'status') == 'Pending' then
    redis.call('HSET', oldKey, 'status', 'Cancelled', 'endedAt', ARGV[3])
    cancelled = redis.call('HGET', oldKey, 'tokenHash') or ''
  end
end
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[2])
return cancelled
`;

/**
 * End a pending challenge: Pending → Approved | Denied | Expired | Cancelled, once.
 * KEYS: challenge, pending pointer. ARGV: new status, now ms, "1" to refuse after the deadline, field/value pairs…
 * Returns "OK", "Late" (deadline passed, nothing changed), "Missing", or the status it already had.
 */
export const END = `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'Missing' end
if st ~= 'Pending' then return st end
if ARGV[3] == '1' and tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) <= tonumber(ARGV[2]) then return 'Late' end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'endedAt', ARGV[2])
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
if redis.call('GET', KEYS[2]) == redis.call('HGET', KEYS[1], 'id') then redis.call('DEL', KEYS[2]) end
return 'OK'
`;

/**
 * Count a resend, if allowed. KEYS: challenge. ARGV: now ms, min interval ms, max sends.
 * Returns {"OK", sendNo} | {"Wait", ms} | {"Max", 0} | {"Late", 0} | {status, 0} | {"Missing", 0}.
 */
export const RESEND = `
local c = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'sends', 'lastSendAt')
if not c[1] then return {'Missing', 0} end
if c[1] ~= 'Pending' then return {c[1], 0} end
local now = tonumber(ARGV[1])
if tonumber(c[2]) <= now then return {'Late', 0} end
local sends = tonumber(c[3])
if sends >= tonumber(ARGV[3]) then return {'Max', 0} end
local wait = tonumber(c[4]) + tonumber(ARGV[2]) - now
if wait > 0 then return {'Wait', wait} end
redis.call('HSET', KEYS[1], 'sends', sends + 1, 'lastSendAt', now)
return {'OK', sends + 1}
`;

/** Set fields only while the challenge exists (a worker must not resurrect an expired key). KEYS: challenge. */
export const UPDATE_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

/**
 * Record how delivery goes, for a pending challenge only; "Sent" is never taken back by another device's
 * failure. KEYS: challenge. ARGV: the delivery state. Returns the challenge's fields when it changed, else {}.
 */
export const SET_DELIVERY = `
local c = redis.call('HMGET', KEYS[1], 'status', 'delivery')
if c[1] ~= 'Pending' or c[2] == ARGV[1] then return {} end
if ARGV[1] ~= 'Sent' and c[2] == 'Sent' then return {} end
redis.call('HSET', KEYS[1], 'delivery', ARGV[1])
return redis.call('HGETALL', KEYS[1])
`;
