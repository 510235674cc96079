/**
 * Lua scripts of `RedisStore`, embedded as strings so they ship inside the
 * compiled package. Each opens with a comment listing its KEYS and ARGV.
 *
 * They read the entry header whose layout `src/entry.ts` owns: the offsets
 * come from `ENTRY_LAYOUT` through `lua-entry.ts`. The invalidation scripts
 * are in `invalidation-scripts.ts`.
 */
import { ENTRY_LAYOUT } from '../entry.js'
import { CREATED_AT, EXPIRES_AT, FILE_FUNCTION, FRESH_UNTIL_AT, HEADER, INVALIDATED_AT, isEntry } from './lua-entry.js'

/** Lua test: `current` holds an entry of this format. */
const IS_ENTRY = isEntry('current')

/**
 * Lua: the string at a key, or false when absent or of another Redis type
 * (GET's WRONGTYPE error is caught: one command, no TYPE before it).
 */
export const READ_STRING = `local function readString(key)
  local value = redis.pcall('GET', key)
  if type(value) ~= 'string' then
    return false
  end
  return value
end
`

/** Lua: releases or holds a refresh lock carrying a token (see RELEASE_LOCK_LUA); 1 when acted on. */
export const RELEASE = `local function release(key, wanted, holdUntil, holdPx)
  local current = readString(key)
  if not current then
    return 0
  end
  local covers, token = string.match(current, '^[^:]+:([^:]*):(.*)$')
  if token and string.sub(token, 1, 1) == '!' then
    token = string.sub(token, 2)
  end
  if not token or (wanted ~= '' and token ~= wanted) then
    return 0
  end
  if holdUntil == '' then
    redis.call('DEL', key)
  else
    redis.call('SET', key, holdUntil .. ':' .. covers .. ':' .. token, 'PX', holdPx)
  end
  return 1
end
`

/**
 * Lua function `setEntry(K, A, lastIndexKey)`: the compare-and-set write of
 * SET_ENTRY_LUA (K[1] the entry, K[2..lastIndexKey] its index pairs,
 * A[1..6] as that script's ARGV), returning what that script returns. It
 * reads only the stored entry's header (`GETRANGE`; a missing key gives '',
 * another Redis type WRONGTYPE, both not an entry).
 */
export const SET_ENTRY_FUNCTION = `local function readEntryHeader(key)
  local value = redis.pcall('GETRANGE', key, 0, ${HEADER - 1})
  if type(value) ~= 'string' then
    return false
  end
  return value
end
local function setEntry(K, A, lastIndexKey)
  local created = tonumber(A[2])
  local staleAt = tonumber(A[4])
  local purgedAt = tonumber(A[5])
  for i = 2, lastIndexKey, 2 do
    local stamp = redis.call('HMGET', K[i + 1], 's', 'p')
    staleAt = math.max(staleAt, tonumber(stamp[1]) or 0)
    purgedAt = math.max(purgedAt, tonumber(stamp[2]) or 0)
  end
  local current = readEntryHeader(K[1])
  if current and ${IS_ENTRY} then
    if struct.unpack('>d', current, ${CREATED_AT}) > created and struct.unpack('>d', current, ${EXPIRES_AT}) > created then
      return 0
    end
    local mark = struct.unpack('>d', current, ${INVALIDATED_AT})
    staleAt = math.max(staleAt, mark)
    if struct.unpack('>d', current, ${EXPIRES_AT}) == 0 then
      purgedAt = math.max(purgedAt, mark)
    end
  end
  if created < purgedAt then
    return 0
  end
  local ours = #A[1] >= ${HEADER}
  local expiresAt = 0
  if ours then
    expiresAt = struct.unpack('>d', A[1], ${EXPIRES_AT})
  end
  for i = 2, lastIndexKey, 2 do
    file(K[i], A[6], expiresAt, A[2], A[3])
  end
  redis.call('SET', K[1], A[1], 'PX', A[3])
  if ours and created < staleAt then
    if struct.unpack('>d', A[1], ${FRESH_UNTIL_AT}) > created then
      redis.call('SETRANGE', K[1], ${ENTRY_LAYOUT.freshUntilOffset}, struct.pack('>d', created))
    end
    redis.call('SETRANGE', K[1], ${ENTRY_LAYOUT.invalidatedAtOffset}, struct.pack('>d', staleAt))
    return 2
  end
  return 1
end
`

/**
 * Compare-and-set write of an entry, filing it in its indexes first, with
 * the invalidation rule of `src/invalidation/write-rule.ts`.
 */
export const SET_ENTRY_LUA = `-- KEYS[1]  entry key
-- KEYS[2..] pairs of (index key, its stamp key) to file the entry in, in this
--          script (standalone); on a Cluster INDEX_ADD filed it beforehand
--          and passed the stamps it read as ARGV[4] and ARGV[5]
-- ARGV[1]  encoded entry (binary)
-- ARGV[2]  createdAt of the new entry, ms epoch
-- ARGV[3]  PX safety-net ttl, whole ms
-- ARGV[4]  latest stale stamp of its indexes read by the caller, ms ('0': none)
-- ARGV[5]  latest purge stamp of its indexes read by the caller, ms ('0': none)
-- ARGV[6]  the entry's member in its indexes (members.ts; '' without indexes)
-- Returns 1 when written; 2 when written stale (an invalidation came after
-- createdAt: freshUntil = createdAt, invalidatedAt carried on); 0 when
-- refused: the stored entry has a newer createdAt and has not expired at
-- ARGV[2] (an expired one, which reads treat as gone, never blocks a write,
-- even when its header says it was created later), or a purge (a tombstone,
-- or a purge stamp) came after createdAt. Data not in the entry format
-- (wrong magic, version or length, or a key of another Redis type, which GET
-- refuses with WRONGTYPE) is overwritten.
${FILE_FUNCTION}
${READ_STRING}${SET_ENTRY_FUNCTION}return setEntry(KEYS, ARGV, #KEYS)
`

/**
 * The end of a successful refresh in one step: the write of SET_ENTRY_LUA,
 * then the hand-over of its refresh lock (standalone Redis only: on a Cluster
 * the lock is in another slot).
 */
export const SET_ENTRY_RELEASE_LOCK_LUA = `-- KEYS[1]  entry key
-- KEYS[2..n-1] pairs of (index key, its stamp key), as SET_ENTRY_LUA
-- KEYS[n]  the entry's refresh lock key
-- ARGV[1..6] as SET_ENTRY_LUA
-- ARGV[7]  token of the lock holder
-- ARGV[8]  hold: new logical expiry of the lock, ms epoch ('' = delete it)
-- ARGV[9]  hold: PX safety-net ttl, whole ms ('' when no hold)
-- The write of SET_ENTRY_LUA, then the release of RELEASE_LOCK_LUA (done
-- whether the write happened or was refused). Returns what SET_ENTRY_LUA
-- returns.
${FILE_FUNCTION}
${READ_STRING}${SET_ENTRY_FUNCTION}${RELEASE}local written = setEntry(KEYS, ARGV, #KEYS - 1)
release(KEYS[#KEYS], ARGV[7], ARGV[8], ARGV[9])
return written
`

/**
 * Marks an entry stale by lowering its `freshUntil` in place.
 */
export const EXPIRE_ENTRY_LUA = `-- KEYS[1]  entry key
-- ARGV[1]  new freshUntil, ms epoch
-- Returns 1 when an entry is stored (freshUntil lowered to ARGV[1] when it
-- was later), 0 when the key is missing or does not hold an entry.
-- SETRANGE rewrites the 8 freshUntil bytes only and keeps the key's PTTL.
${READ_STRING}local current = readString(KEYS[1])
if not current or not (${IS_ENTRY}) then
  return 0
end
local freshUntil = struct.unpack('>d', current, ${FRESH_UNTIL_AT})
local wanted = tonumber(ARGV[1])
if freshUntil > wanted then
  redis.call('SETRANGE', KEYS[1], ${ENTRY_LAYOUT.freshUntilOffset}, struct.pack('>d', wanted))
end
return 1
`

/** Lua: takes a refresh lock (see ACQUIRE_LOCK_LUA, whose ARGV these are); its reply. */
export const ACQUIRE = `local function acquire(key, now, till, token, px, replaces)
  local current = readString(key)
  if current then
    local heldUntil, covers, held = string.match(current, '^([^:]+):([^:]*):(.*)$')
    heldUntil = tonumber(heldUntil)
    if heldUntil and heldUntil > tonumber(now) then
      local newer = replaces ~= '' and (covers == '' or (tonumber(covers) ~= nil and tonumber(replaces) > tonumber(covers)))
      if not newer then
        if string.sub(held, 1, 1) == '!' then
          return 2
        end
        return 0
      end
    end
  end
  redis.call('SET', key, till .. ':' .. replaces .. ':' .. token, 'PX', px)
  return 1
end
`

/**
 * Takes a refresh lock when it is absent, its logical expiry has passed, or
 * the request covers a newer entry than the lock does.
 */
export const ACQUIRE_LOCK_LUA = `-- KEYS[1]  lock key
-- ARGV[1]  now on the cache's clock, ms epoch
-- ARGV[2]  logical expiry of the new lock (until), ms epoch
-- ARGV[3]  token of the new holder
-- ARGV[4]  PX safety-net ttl, whole ms
-- ARGV[5]  createdAt of the entry the refresh replaces, ms epoch ('' = none)
-- The lock value is "<until>:<covers>:<token>", or "<until>:<covers>:!<token>"
-- once the holder's refresh failed; <covers> is the createdAt of the entry
-- that refresh replaces ('' = none). Returns 1 when taken; 0 when another
-- holder's until is still after now and the request names no newer entry
-- than <covers>; 2 when so, and that holder's refresh failed. Anything else
-- at the key is overwritten.
${READ_STRING}${ACQUIRE}return acquire(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`

/**
 * Releases a refresh lock held with the given token.
 */
export const RELEASE_LOCK_LUA = `-- KEYS[1]  lock key
-- ARGV[1]  token of the holder ('' = whoever holds it)
-- ARGV[2]  hold: new logical expiry, ms epoch ('' = delete the lock)
-- ARGV[3]  hold: PX safety-net ttl, whole ms ('' when no hold)
-- Acts only when the lock value "<until>:<covers>:<token>" carries ARGV[1]:
-- deletes it, or with a hold rewrites it as "<ARGV[2]>:<covers>:<token>"
-- PX ARGV[3] (a failure mark is dropped). Returns 1 when released or
-- rewritten, 0 otherwise.
${READ_STRING}${RELEASE}return release(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
`

/**
 * Marks a refresh lock as held by a failed refresh.
 */
export const MARK_LOCK_FAILED_LUA = `-- KEYS[1]  lock key
-- ARGV[1]  token of the holder
-- Rewrites "<until>:<covers>:<token>" as "<until>:<covers>:!<token>" (KEEPTTL)
-- when the lock still carries ARGV[1], so reads until <until> learn the
-- refresh failed. Returns 1 when marked, 0 otherwise.
${READ_STRING}local current = readString(KEYS[1])
if current then
  local head, token = string.match(current, '^([^:]+:[^:]*:)(.*)$')
  if token and token == ARGV[1] then
    redis.call('SET', KEYS[1], head .. '!' .. ARGV[1], 'KEEPTTL')
    return 1
  end
end
return 0
`

/** Lua: claims a dispatched refresh for one path (see CLAIM_REFRESH_LUA, whose ARGV these are); 1 when it may run. */
export const CLAIM = `local function claim(key, token, path, px)
  local current = readString(key)
  if current then
    local via, held = string.match(current, '^([^:]*):(.*)$')
    if held == token then
      if via == path then
        return 1
      end
      return 0
    end
  end
  redis.call('SET', key, path .. ':' .. token, 'PX', px)
  return 1
end
`

/**
 * Claims a dispatched refresh for one path (a queue's worker, or the
 * dispatcher's in-process fallback).
 */
export const CLAIM_REFRESH_LUA = `-- KEYS[1]  claim key ("<lock key>:claim")
-- ARGV[1]  token of the dispatched refresh (its lock's token)
-- ARGV[2]  path claiming it: 'queue' or 'in-process'
-- ARGV[3]  PX safety-net ttl, whole ms
-- The value is "<path>:<token>". Returns 1 when ARGV[2] may run the refresh:
-- no claim for this token yet (taken now, replacing another token's claim)
-- or this path's own; 0 when the other path claimed this token first.
${READ_STRING}${CLAIM}return claim(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
`
