/**
 * Lua scripts that run one of `scripts.ts`'s per-key operations for many
 * keys in one call: the calls of one tick on a standalone Redis, sent
 * together by `script-batch.ts`. Each item does exactly what the single
 * script does, in order; the reply is the array of the single replies.
 * Never used on a Cluster (the keys of one batch hash to different slots).
 */
import { FILE_FUNCTION } from './lua-entry.js'
import { ACQUIRE, CLAIM, READ_STRING, RELEASE, SET_ENTRY_FUNCTION } from './scripts.js'

/** A script calling the Lua function `fn` (defined by `prelude`) once per key: `fn(KEYS[i], ARGV[arity·(i−1) + 1..arity·i])`. */
function perKeyLua(single: string, prelude: string, fn: string, arity: number): string {
  const args = Array.from({ length: arity }, (_, j) => `ARGV[a + ${j + 1}]`).join(', ')
  return `-- KEYS[i]  key of item i, as ${single}'s KEYS[1]
-- ARGV[${arity}i-${arity - 1}..${arity}i] ${single}'s ARGV[1..${arity}] for item i
-- Returns {reply of item 1, reply of item 2, ...}, as ${single}'s.
${prelude}local out = {}
for i = 1, #KEYS do
  local a = (i - 1) * ${arity}
  out[i] = ${fn}(KEYS[i], ${args})
end
return out
`
}

/** ACQUIRE_LOCK_LUA for many locks. */
export const ACQUIRE_LOCKS_LUA = perKeyLua('ACQUIRE_LOCK_LUA', `${READ_STRING}${ACQUIRE}`, 'acquire', 5)

/** CLAIM_REFRESH_LUA for many refreshes. */
export const CLAIM_REFRESHES_LUA = perKeyLua('CLAIM_REFRESH_LUA', `${READ_STRING}${CLAIM}`, 'claim', 3)

/** SET_ENTRY_RELEASE_LOCK_LUA for many entries. */
export const SET_ENTRIES_RELEASE_LOCKS_LUA = `-- For each item in turn, its keys follow the previous item's in KEYS and its
-- 10 arguments the previous item's in ARGV:
-- ARGV[a + 1]       n, how many KEYS the item has: SET_ENTRY_RELEASE_LOCK_LUA's
--                   KEYS[1..n] (entry, index pairs, lock key last)
-- ARGV[a + 2..a + 10] SET_ENTRY_RELEASE_LOCK_LUA's ARGV[1..9]
-- Returns {reply of item 1, reply of item 2, ...}, as SET_ENTRY_LUA's.
${FILE_FUNCTION}
${READ_STRING}${SET_ENTRY_FUNCTION}${RELEASE}local out = {}
local k, a = 0, 0
while a < #ARGV do
  local n = tonumber(ARGV[a + 1])
  local K, A = {}, {}
  for j = 1, n do
    K[j] = KEYS[k + j]
  end
  for j = 1, 9 do
    A[j] = ARGV[a + 1 + j]
  end
  out[#out + 1] = setEntry(K, A, n - 1)
  release(K[n], A[7], A[8], A[9])
  k = k + n
  a = a + 10
end
return out
`
