/**
 * The invalidation side of `RedisStore`: writes that file their entry in its
 * indexes, and invalidations of keys or indexes. On a standalone Redis a
 * write is one script (filing and write together, atomic); on a Cluster the
 * indexes live in other slots, so each index is filed first (`INDEX_ADD`,
 * side by side) and the write follows with the stamps they read. An
 * invalidation of an index stamps it and lists its members in one script,
 * then marks the members in script calls of up to `INVALIDATION_CHUNK` keys
 * (one call per hash slot on a Cluster), a few calls in flight at a time.
 */
import { INVALIDATION_CHUNK } from '../defaults.js'
import { readHeader } from '../entry.js'
import { stampKeyOf } from '../invalidation/index-keys.js'
import { lockKeyOf } from '../keys.js'
import type { InvalidateRequest, InvalidationTarget, StoreSetOptions } from '../stores/store.js'
import { INDEX_ADD_LUA, INDEX_STAMP_LUA, MARK_ENTRIES_LUA } from './invalidation-scripts.js'
import { type BoundedCall, RedisScript } from './redis-script.js'
import { SET_ENTRY_LUA, SET_ENTRY_RELEASE_LOCK_LUA } from './scripts.js'
import { SET_ENTRIES_RELEASE_LOCKS_LUA } from './batch-scripts.js'
import type { BatchedScript, ScriptBatch } from './script-batch.js'
import { keyOfMember, memberOf } from './members.js'
import { slotOf } from './slots.js'

export type { BoundedCall }

const setEntry = new RedisScript(SET_ENTRY_LUA)
const setEntryReleaseLock = new RedisScript(SET_ENTRY_RELEASE_LOCK_LUA)
/** The end of a refresh (write and lock hand-over), for `ScriptBatch`. */
export const setAndReleaseScripts: BatchedScript = { op: 'SET', single: setEntryReleaseLock, many: new RedisScript(SET_ENTRIES_RELEASE_LOCKS_LUA), counted: true }
const indexAdd = new RedisScript(INDEX_ADD_LUA)
const indexStamp = new RedisScript(INDEX_STAMP_LUA)
const markEntries = new RedisScript(MARK_ENTRIES_LUA)

/** Script calls of one invalidation in flight at once, so that each stays well under the command timeout: chunks of 200 keys on a standalone Redis, mostly one or two keys per slot on a Cluster. */
const CALLS_IN_FLIGHT = { standalone: 4, cluster: 32 }

/** What a write needs besides the entry. */
export interface EntryWriteArgs {
  key: string
  data: Uint8Array
  options: StoreSetOptions
  /** PX of the entry, whole ms. */
  ttlMs: number
  /** Standalone only: the refresh lock to hand over in the same script (RELEASE_LOCK_LUA's arguments). */
  release?: { lockKey: string; token: string; holdUntil: string; holdPx: string }
}

/**
 * The compare-and-set write, filing the entry in `options.indexes`. True when
 * written (also when stored stale). With `release` (standalone), `batch`
 * sends it with the other ends of refreshes of this tick.
 */
export async function writeEntry(call: BoundedCall, cluster: boolean, { key, data, options, ttlMs, release }: EntryWriteArgs, batch?: ScriptBatch): Promise<boolean> {
  const indexes = options.indexes ?? []
  const args = [asBuffer(data), String(options.createdAt), ttlMs]
  if (!cluster || indexes.length === 0) {
    const keys = [key, ...indexes.flatMap((index) => [index, stampKeyOf(index)])]
    const member = indexes.length > 0 ? memberOf(indexes[0], key) : ''
    if (release) {
      const allKeys = [...keys, release.lockKey]
      const allArgs = [...args, '0', '0', member, release.token, release.holdUntil, release.holdPx]
      if (batch) return (await batch.run(allKeys, allArgs)) !== 0
      return (await call('SET', key, (client) => setEntryReleaseLock.run(client, allKeys, allArgs))) !== 0
    }
    return (await call('SET', key, (client) => setEntry.run(client, keys, [...args, '0', '0', member]))) !== 0
  }
  const expiresAt = readHeader(data)?.expiresAt ?? 0
  const stamps = await Promise.all(
    indexes.map((index) => call('ZADD', index, (client) => indexAdd.run(client, [index, stampKeyOf(index)], [memberOf(index, key), String(expiresAt), String(options.createdAt), ttlMs])) as Promise<[string, string]>),
  )
  const stale = Math.max(0, ...stamps.map(([s]) => Number(s) || 0))
  const purge = Math.max(0, ...stamps.map(([, p]) => Number(p) || 0))
  return (await call('SET', key, (client) => setEntry.run(client, [key], [...args, String(stale), String(purge), '']))) !== 0
}

/** The bytes as a Buffer, without a copy when they already are one. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/** Marks stale or purges what the target reaches; the number of entries reached. */
export async function invalidateTarget(call: BoundedCall, cluster: boolean, target: InvalidationTarget, request: InvalidateRequest): Promise<number> {
  let keys: readonly string[]
  if ('keys' in target) keys = target.keys
  else {
    const { index, prefix } = target
    const stampArgs = [String(request.now), request.mode === 'purge' ? 'p' : 's', Math.max(1, Math.ceil(request.rememberMs))]
    const members = (await call('INVALIDATE', index, (client) => indexStamp.runBuffer(client, [index, stampKeyOf(index)], stampArgs))) as Buffer[]
    const all = members.map((member) => keyOfMember(index, member))
    keys = prefix ? all.filter((key) => key.startsWith(prefix)) : all
  }
  const groups = cluster ? bySlot(keys) : inChunks(keys)
  const markArgs = (entries: number) => [String(request.now), request.mode, Math.max(1, Math.ceil(request.rememberMs)), entries]
  const counts = await inWaves(groups, cluster ? CALLS_IN_FLIGHT.cluster : CALLS_IN_FLIGHT.standalone, ({ entries, locks }) =>
    call('INVALIDATE', entries.length > 0 ? entries : locks, (client) => markEntries.run(client, [...entries, ...locks], markArgs(entries.length))) as Promise<number>,
  )
  return counts.reduce((sum, count) => sum + count, 0)
}

/** Keys of one script call: entries to mark, refresh locks to delete. */
interface KeyGroup {
  entries: string[]
  locks: string[]
}

function inChunks(keys: readonly string[]): KeyGroup[] {
  const groups: KeyGroup[] = []
  for (let i = 0; i < keys.length; i += INVALIDATION_CHUNK) {
    const entries = keys.slice(i, i + INVALIDATION_CHUNK)
    groups.push({ entries, locks: entries.map(lockKeyOf) })
  }
  return groups
}

/** One group per hash slot (an entry and its lock hash to different slots), each at most a chunk. */
function bySlot(keys: readonly string[]): KeyGroup[] {
  const slots = new Map<number, KeyGroup>()
  const groupOf = (slot: number): KeyGroup => {
    let group = slots.get(slot)
    if (!group) slots.set(slot, (group = { entries: [], locks: [] }))
    return group
  }
  for (const key of keys) {
    groupOf(slotOf(key)).entries.push(key)
    const lock = lockKeyOf(key)
    groupOf(slotOf(lock)).locks.push(lock)
  }
  return [...slots.values()].flatMap((group) => (group.entries.length + group.locks.length <= INVALIDATION_CHUNK * 2 ? [group] : splitGroup(group)))
}

function splitGroup({ entries, locks }: KeyGroup): KeyGroup[] {
  const groups: KeyGroup[] = []
  for (let i = 0; i < Math.max(entries.length, locks.length); i += INVALIDATION_CHUNK) {
    groups.push({ entries: entries.slice(i, i + INVALIDATION_CHUNK), locks: locks.slice(i, i + INVALIDATION_CHUNK) })
  }
  return groups
}

/** Runs `run` over `items`, at most `limit` at once; results in order. Rejects with the first failure. */
async function inWaves<I, R>(items: readonly I[], limit: number, run: (item: I) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await run(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
