/**
 * Lua scripts of invalidation (`RedisStore.invalidate`, and filing entries
 * on a Cluster), each opening with its KEYS and ARGV. An index is a sorted
 * set of entry keys scored by their `expiresAt`; its stamp key (same slot,
 * by hash tag) is a hash with the latest stale (`s`) and purge (`p`)
 * invalidation times. Entry header offsets come from `lua-entry.ts`.
 */
import { ENTRY_LAYOUT } from '../entry.js'
import { CREATED_AT, EXPIRES_AT, FILE_FUNCTION, FRESH_UNTIL_AT, INVALIDATED_AT, isEntry, tombstoneLua } from './lua-entry.js'

/**
 * Files one entry key in one index (on a Cluster, before the entry is
 * written) and reads the index's stamps for the write.
 */
export const INDEX_ADD_LUA = `-- KEYS[1]  index key
-- KEYS[2]  its stamp key
-- ARGV[1]  the entry's member (members.ts: its key, compacted)
-- ARGV[2]  the entry's expiresAt, ms epoch (its score)
-- ARGV[3]  the entry's createdAt, ms epoch (members that expired before it leave)
-- ARGV[4]  the entry's PX, whole ms (the index lives at least that long)
-- Returns { stale stamp, purge stamp } ('0' for none).
${FILE_FUNCTION}
file(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
local stamp = redis.call('HMGET', KEYS[2], 's', 'p')
return { stamp[1] or '0', stamp[2] or '0' }
`

/**
 * Records an invalidation on an index and lists the entries it holds.
 */
export const INDEX_STAMP_LUA = `-- KEYS[1]  index key
-- KEYS[2]  its stamp key
-- ARGV[1]  now on the cache's clock, ms epoch
-- ARGV[2]  's' (stale) or 'p' (purge): the stamp field
-- ARGV[3]  how long the stamp is remembered, whole ms
-- Raises the stamp field to now (writes of values fetched before it then lose),
-- keeps the stamp key at least ARGV[3] ms, drops members whose entries have
-- expired, and returns the members (compacted entry keys, members.ts).
local now = tonumber(ARGV[1])
if (tonumber(redis.call('HGET', KEYS[2], ARGV[2])) or 0) < now then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
end
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`

/**
 * Marks entries stale or purges them, and deletes their refresh locks.
 */
export const MARK_ENTRIES_LUA = `-- KEYS[1..n]   entry keys (n = ARGV[4])
-- KEYS[n+1..]  refresh lock keys, deleted
-- ARGV[1]  now on the cache's clock, ms epoch
-- ARGV[2]  'stale' or 'purge'
-- ARGV[3]  how long the invalidation is remembered, whole ms
-- ARGV[4]  n, the number of entry keys
-- Per entry: stale lowers freshUntil to now (SETRANGE, TTL kept); purge
-- replaces it with a tombstone (expiresAt 0, value nil) for at most ARGV[3] ms;
-- either raises invalidatedAt to now. A missing key gets a tombstone for
-- ARGV[3] ms (a write in flight must not bring back the old value); another
-- Redis type or foreign data is left alone. Returns how many entries
-- (tombstones not counted) it marked or purged.
local now = tonumber(ARGV[1])
local remember = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local count = 0
for i = 1, n do
  local key = KEYS[i]
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then
    redis.call('SET', key, ${tombstoneLua('0', 'now')}, 'PX', remember)
  elseif kind == 'string' then
    local current = redis.call('GET', key)
    if ${isEntry('current')} then
      local mark = math.max(struct.unpack('>d', current, ${INVALIDATED_AT}), now)
      local tombstone = struct.unpack('>d', current, ${EXPIRES_AT}) == 0
      if ARGV[2] == 'stale' and not tombstone then
        if struct.unpack('>d', current, ${FRESH_UNTIL_AT}) > now then
          redis.call('SETRANGE', key, ${ENTRY_LAYOUT.freshUntilOffset}, struct.pack('>d', now))
        end
        redis.call('SETRANGE', key, ${ENTRY_LAYOUT.invalidatedAtOffset}, struct.pack('>d', mark))
      else
        local px = redis.call('PTTL', key)
        if px <= 0 or px > remember then
          px = remember
        end
        redis.call('SET', key, ${tombstoneLua(`(struct.unpack('>d', current, ${CREATED_AT}))`, 'mark')}, 'PX', px)
      end
      if not tombstone then
        count = count + 1
      end
    end
  end
end
if #KEYS > n then
  redis.call('DEL', unpack(KEYS, n + 1))
end
return count
`
