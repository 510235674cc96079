/**
 * The read path: one store read, `decide()`, and the action its decision
 * names. A fresh hit resolves at once (and may dispatch a refresh ahead, in
 * the background); stale dispatches a refresh and serves the old value; refetch and miss fetch (single-flighted) or serve empty.
 * `readMany` answers many reads with one `getMany`.
 */
import type { CacheCore } from './core.js'
import { type Entry } from './entry.js'
import { isCachebackError } from './errors.js'
import { hitEvent, missEvent, staleEvent, storeErrorEvent } from './events.js'
import { fetchShared } from './fetch.js'
import type { AnyJob } from './job.js'
import { type ReadPolicy, decide } from './policy.js'
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

/** Reads through the cache. */
export async function readOne<T>(core: CacheCore, read: CacheRead): Promise<ReadResult<T>> {
  const key = read.key ?? core.keyOf(read.job, read.args)
  let bytes: Uint8Array | undefined
  try {
    bytes = await core.store.get(key)
  } catch (error) {
    core.emit(storeErrorEvent(error, read.job, key))
    // Foreign data at the key (WRONGTYPE) is an answer; a timeout or an outage is not.
    return act(core, isCachebackError(error, 'E_CORRUPT_ENTRY') ? read : { ...read, storeFailed: true }, key, undefined)
  }
  return act(core, read, key, core.decode<T>(read.job, key, bytes))
}

/** Many reads with one store round-trip; each result settles on its own (a hit never waits for a miss's fetch). */
export function readMany(core: CacheCore, reads: readonly CacheRead[]): Promise<ReadResult<unknown>>[] {
  let keys: string[]
  try {
    keys = reads.map((read) => read.key ?? core.keyOf(read.job, read.args))
  } catch {
    return reads.map((read) => readOne(core, read)) // one unkeyable read rejects alone
  }
  const stored = core.store.getMany(keys).catch((error: unknown) => {
    core.emit(storeErrorEvent(error, reads[0].job, keys[0]))
    return undefined // every read of the batch is a miss whose store just failed (MGET reads a foreign type as nil: no WRONGTYPE here)
  })
  return reads.map((read, i) =>
    stored.then((all) => (all ? act(core, read, keys[i], core.decode(read.job, keys[i], all[i])) : act(core, { ...read, storeFailed: true }, keys[i], undefined))),
  )
}

/** Acts on an entry already read. */
export function act<T>(core: CacheCore, read: StoreFailedRead, key: string, entry: Entry<T> | undefined): Promise<ReadResult<T>> {
  const { job, args } = read
  const decision = decide(entry, core.now(), new JobPolicy(job, args, core.random))
  switch (decision.kind) {
    case 'hit':
      if (core.listened) core.emit(hitEvent(job, key, decision.age))
      if (!decision.refreshAhead) return Promise.resolve({ status: 'hit', value: decision.entry.value, age: decision.age, lifetime: job.lifetime(...args) })
      dispatchAhead(core, job, key, args, decision.entry) // in the background: the hit does not wait
      return Promise.resolve({ status: 'hit', value: decision.entry.value, age: decision.age, lifetime: job.lifetime(...args), refreshAhead: true })
    case 'stale':
      core.emit(staleEvent(job, key, decision.age))
      return trackDispatch(core, job, key, args, { covers: decision.entry.createdAt }).then((refresh) => ({ status: 'stale', value: decision.entry.value, age: decision.age, lifetime: job.lifetime(...args), refresh }))
    case 'refetch':
      core.emit(missEvent(job, key, decision.age))
      return fetchValue<T>(core, read, key)
    case 'miss':
      core.emit(missEvent(job, key))
      if (decision.fetch) return fetchValue<T>(core, read, key)
      return trackDispatch(core, job, key, args).then((refresh) => ({ status: 'miss', value: job.empty(...args), lifetime: job.lifetime(...args), refresh }))
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
