/**
 * The read path: one store read, `decide()`, and the action its decision
 * names. A fresh hit resolves at once (and may dispatch a refresh ahead, in
 * the background); stale dispatches a refresh and serves the old value;
 * refetch and miss fetch (single-flighted) or serve empty. `readMany`
 * answers many reads with one `getMany`. With `l1`, a fresh entry held in
 * process memory answers first (`readLocal`, refreshing ahead as a store hit
 * would); anything else goes to the store (another process may have
 * refreshed it), and a fresh entry the store gives back is admitted to the
 * tier.
 */
import type { CacheCore } from './core.js'
import { type Entry } from './entry.js'
import { isCachebackError } from './errors.js'
import { type HitTier, hitEvent, missEvent, staleEvent, storeErrorEvent } from './events.js'
import { fetchShared } from './fetch.js'
import type { AnyJob } from './job.js'
import { localHit } from './l1/field-hit.js'
import type { L1 } from './l1/l1.js'
import { type ReadPolicy, decide, drawsAhead } from './policy.js'
import { dispatchAhead } from './refresh/ahead.js'
import { trackDispatch } from './refresh/dispatch.js'
import type { ReadResult } from './results.js'

/** One read of a batch. */
export interface CacheRead {
  job: AnyJob
  /** Prepared arguments of the job. */
  args: unknown[]
  /** The key, when the caller already built it (`cache.keyOf`). */
  key?: string
  /** What a fetch of this read calls (a request's own resolver call). @default the job's `fetch` */
  fetch?: () => unknown
}

/** A read whose store lookup failed: its fetch does not wait for the write (the store just cost one timeout). */
interface StoreFailedRead extends CacheRead {
  storeFailed?: boolean
}

/** The read policy of one job call: its hooks, asked only when the decision needs them. */
class JobPolicy implements ReadPolicy {
  constructor(
    private readonly job: AnyJob,
    private readonly args: unknown[],
    readonly random: () => number,
  ) {}

  refreshAhead(): number {
    return this.job.refreshAhead(...this.args)
  }

  refetchStale(age: number): boolean {
    return this.job.shouldFetchStaleSynchronously(age, ...this.args)
  }

  fetchOnMiss(): boolean {
    return this.job.shouldFetchOnMiss(...this.args)
  }
}

/** Reads through the cache. Not async: a fresh hit from the in-process tier costs one resolved promise. */
export function readOne<T>(core: CacheCore, read: CacheRead): Promise<ReadResult<T>> {
  try {
    const key = read.key ?? core.keyOf(read.job, read.args)
    const l1 = core.l1
    if (l1 === undefined) return readFromStore<T>(core, read, key)
    const local = readLocal<T>(core, read.job, read.args, key)
    return local === undefined ? readThrough<T>(core, l1, read, key) : Promise.resolve(local)
  } catch (error) {
    return Promise.reject(error) // an unkeyable read or a throwing hook rejects, as from an async function
  }
}

/** One store read of `key`: its bytes, or the read marked as one whose store failed (reported). */
async function storeLookup(core: CacheCore, read: CacheRead, key: string): Promise<{ bytes?: Uint8Array; read: StoreFailedRead }> {
  try {
    return { bytes: await core.store.get(key), read }
  } catch (error) {
    core.emit(storeErrorEvent(error, read.job, key))
    // Foreign data at the key (WRONGTYPE) is an answer; a timeout or an outage is not.
    return { read: isCachebackError(error, 'E_CORRUPT_ENTRY') ? read : { ...read, storeFailed: true } }
  }
}

async function readFromStore<T>(core: CacheCore, read: CacheRead, key: string): Promise<ReadResult<T>> {
  const got = await storeLookup(core, read, key)
  return act(core, got.read, key, core.decode<T>(read.job, key, got.bytes))
}

/**
 * A fresh hit from the in-process tier, synchronously; undefined when the
 * tier does not hold a fresh entry of `key` (or does not serve: no tier, or
 * its bus is down). A held entry found stale is dropped: the store decides.
 */
export function readLocal<T>(core: CacheCore, job: AnyJob, args: unknown[], key: string): ReadResult<T> | undefined {
  const l1 = core.l1
  const held = l1?.lookup(key)
  if (held === undefined) return undefined
  const now = core.now()
  if (now >= held.freshUntil || now >= held.expiresAt) {
    l1!.local!.drop(key)
    return undefined
  }
  // Refresh ahead as a store hit would: hot keys are the ones the tier answers.
  const ahead = held.fetchMs !== undefined && held.fetchMs > 0 && drawsAhead(held, now, job.refreshAhead(...args), core.random)
  return localHit<T>(core, { job, key, args }, held, ahead)
}

async function readThrough<T>(core: CacheCore, l1: L1, read: CacheRead, key: string): Promise<ReadResult<T>> {
  const ticket = l1.ticket()
  const got = await storeLookup(core, read, key)
  return act(core, got.read, key, admitted<T>(core, l1, { read, key, bytes: got.bytes, ticket }))
}

/** Decodes what the store gave back and admits it to the tier when fresh. */
function admitted<T>(core: CacheCore, l1: L1, { read, key, bytes, ticket }: { read: CacheRead; key: string; bytes: Uint8Array | undefined; ticket: number }): Entry<T> | undefined {
  const entry = core.decode<T>(read.job, key, bytes)
  if (entry !== undefined && ticket >= 0 && decide(entry, core.now()).kind === 'hit') l1.admit(key, entry, bytes!, ticket)
  return entry
}

/** Many reads with one store round-trip; each result settles on its own (a hit never waits for a miss's fetch). */
export function readMany(core: CacheCore, reads: readonly CacheRead[]): Promise<ReadResult<unknown>>[] {
  let keys: string[]
  try {
    keys = reads.map((read) => read.key ?? core.keyOf(read.job, read.args))
  } catch {
    return reads.map((read) => readOne(core, read)) // one unkeyable read rejects alone
  }
  const l1 = core.l1
  if (l1 === undefined) {
    const stored = getMany(core, reads, keys)
    return reads.map((read, i) => stored.then((all) => (all ? act(core, read, keys[i], core.decode(read.job, keys[i], all[i])) : storeFailed(core, read, keys[i]))))
  }
  const results: Promise<ReadResult<unknown>>[] = new Array(reads.length)
  const missed: number[] = []
  reads.forEach((read, i) => {
    const local = readLocal(core, read.job, read.args, keys[i])
    if (local) results[i] = Promise.resolve(local)
    else missed.push(i)
  })
  if (missed.length === 0) return results
  const ticket = l1.ticket()
  const stored = getMany(core, missed.map((i) => reads[i]), missed.map((i) => keys[i]))
  missed.forEach((i, n) => {
    results[i] = stored.then((all) => (all ? act(core, reads[i], keys[i], admitted(core, l1, { read: reads[i], key: keys[i], bytes: all[n], ticket })) : storeFailed(core, reads[i], keys[i])))
  })
  return results
}

/** One `getMany`; a failure is reported once and answers undefined: every read of the batch is a miss whose store just failed. */
function getMany(core: CacheCore, reads: readonly CacheRead[], keys: string[]): Promise<(Uint8Array | undefined)[] | undefined> {
  return core.store.getMany(keys).catch((error: unknown) => {
    core.emit(storeErrorEvent(error, reads[0].job, keys[0]))
    return undefined // MGET reads a foreign type as nil: no WRONGTYPE here
  })
}

function storeFailed(core: CacheCore, read: CacheRead, key: string): Promise<ReadResult<unknown>> {
  return act(core, { ...read, storeFailed: true }, key, undefined)
}

const STORE: HitTier = 'store'

/** Acts on an entry already read. */
export function act<T>(core: CacheCore, read: StoreFailedRead, key: string, entry: Entry<T> | undefined): Promise<ReadResult<T>> {
  const { job, args } = read
  const decision = decide(entry, core.now(), new JobPolicy(job, args, core.random))
  switch (decision.kind) {
    case 'hit':
      if (core.listened) core.emit(hitEvent(job, key, decision.age, STORE))
      if (!decision.refreshAhead) return Promise.resolve({ status: 'hit', value: decision.entry.value, age: decision.age, lifetime: job.lifetime(...args), tier: STORE })
      dispatchAhead(core, { job, key, args }, decision.entry) // in the background: the hit does not wait
      return Promise.resolve({ status: 'hit', value: decision.entry.value, age: decision.age, lifetime: job.lifetime(...args), tier: STORE, refreshAhead: true })
    case 'stale':
      core.emit(staleEvent(job, key, decision.age))
      return trackDispatch(core, { job, key, args }, { covers: decision.entry.createdAt }).then((refresh) => ({ status: 'stale', value: decision.entry.value, age: decision.age, lifetime: job.lifetime(...args), refresh }))
    case 'refetch':
      core.emit(missEvent(job, key, decision.age))
      return fetchValue<T>(core, read, key)
    case 'miss':
      core.emit(missEvent(job, key))
      if (decision.fetch) return fetchValue<T>(core, read, key)
      return trackDispatch(core, { job, key, args }).then((refresh) => ({ status: 'miss', value: job.empty(...args), lifetime: job.lifetime(...args), refresh }))
  }
}

async function fetchValue<T>(core: CacheCore, read: StoreFailedRead, key: string): Promise<ReadResult<T>> {
  const value = (await fetchShared(core, { job: read.job, key, args: read.args }, { fetch: read.fetch, awaitWrite: !read.storeFailed })) as T
  return { status: 'miss', value, lifetime: read.job.lifetime(...read.args) }
}

/** The read decision for `peek`: what a read would serve, without fetching or dispatching. */
export async function peekEntry<T>(core: CacheCore, job: AnyJob, args: unknown[]): Promise<{ status: 'hit' | 'stale' | 'miss'; value?: T; age?: number }> {
  const key = core.keyOf(job, args)
  const entry = await core.readEntry<T>(job, key, false) // peek changes nothing
  const decision = decide(entry, core.now())
  if (decision.kind === 'miss') return { status: 'miss' }
  return { status: decision.kind === 'hit' ? 'hit' : 'stale', value: decision.entry.value, age: decision.age }
}
