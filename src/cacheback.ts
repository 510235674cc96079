/**
 * `Cacheback`: the read path (hit / stale / miss), refresh dispatch and the
 * background work it tracks. One read is one store round-trip; the decision
 * is `policy.decide`; everything that can fail in the background is
 * reported through `onEvent`, never thrown at a reader.
 */
import { randomUUID } from 'node:crypto'
import { CachebackError, isCachebackError, messageOf } from './errors.js'
import { type Entry, decodeEntry } from './entry.js'
import { type CachebackEvent, type EventListener, entryEvent, storeErrorEvent } from './events.js'
import type { AnyJob } from './job.js'
import { buildKey, lockKeyOf } from './keys.js'
import { ageSeconds, checkSeconds, type Decision, decide } from './policy.js'
import { InProcessRefresher } from './refresh/in-process.js'
import type { RefreshRequest, RefreshRunner, Refresher } from './refresh/refresher.js'
import { BackgroundTasks, Listeners } from './background.js'
import { JobRegistry } from './registry.js'
import { encodeForStore } from './serialize.js'
import { MemoryStore } from './stores/memory-store.js'
import type { Store } from './stores/store.js'

/** Options of a `Cacheback`. */
export interface CachebackOptions {
  /** Where entries and refresh locks live. @default new MemoryStore() */
  store?: Store
  /** Who runs refreshes of stale entries. @default new InProcessRefresher() */
  refresher?: Refresher
  /** Prefix of every key. @default 'cacheback' */
  namespace?: string
  /** Clock, ms epoch. Every time-based decision follows it. @default Date.now */
  now?: () => number
  /** Receives hit, stale, miss, refresh-* and store-error events. */
  onEvent?: EventListener
  /**
   * Largest serialized value stored, in bytes. A larger value is refused with
   * `E_VALUE_TOO_LARGE` and handed to the job's `unstorable` hook: a function
   * job rejects, a GraphQL field is served uncached. @default 4 MiB
   */
  maxValueBytes?: number
}

/** How a refresh request of a stale read went. */
export type RefreshState = 'dispatched' | 'in-flight' | 'failed'

/** Outcome of one read. */
export interface ReadResult<T> {
  status: 'hit' | 'stale' | 'miss'
  value: T | null
  /** Age of the served entry in seconds (hit, stale). */
  age?: number
  /** Lifetime of the job for these arguments, seconds. */
  lifetime: number
  /** For stale reads and non-fetching misses: what happened to the refresh. */
  refresh?: RefreshState
}

/** What `peek` sees. */
export interface PeekResult<T> {
  status: 'hit' | 'stale' | 'miss'
  value?: T
  age?: number
}

/** A stale-while-revalidate cache. */
export class Cacheback implements RefreshRunner {
  readonly store: Store
  readonly refresher: Refresher
  readonly namespace: string
  readonly now: () => number
  readonly maxValueBytes: number
  private readonly events = new Listeners()
  private readonly background = new BackgroundTasks()
  private readonly registry = new JobRegistry()
  private readonly flights = new Map<string, { promise: Promise<unknown>; startedAt: number }>()

  constructor(options: CachebackOptions = {}) {
    this.store = options.store ?? new MemoryStore()
    this.refresher = options.refresher ?? new InProcessRefresher()
    this.namespace = options.namespace ?? 'cacheback'
    this.now = options.now ?? Date.now
    if (options.onEvent) this.events.add(options.onEvent)
    this.maxValueBytes = options.maxValueBytes ?? 4 * 1024 * 1024
    if (!Number.isInteger(this.maxValueBytes) || this.maxValueBytes <= 0) {
      throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "maxValueBytes" must be a positive whole number of bytes, got ${String(options.maxValueBytes)}`)
    }
  }

  /** Registers a job under its name; a different job with a taken name is an error. */
  register(job: AnyJob): void {
    this.registry.add(job)
  }

  /** The registered job of that name, if any. */
  findJob(name: string): AnyJob | undefined {
    return this.registry.get(name)
  }

  /** Full key for a job name and key parts; parts that cannot be keyed throw `E_INVALID_KEY` naming the job. */
  keyFor(jobName: string, parts: readonly unknown[]): string {
    try {
      return buildKey(this.namespace, jobName, parts)
    } catch (cause) {
      throw new CachebackError('E_INVALID_KEY', `${jobName}: arguments cannot form a cache key: ${messageOf(cause)}`, { job: jobName, cause })
    }
  }

  /** Adds an event listener besides `onEvent`; returns a function that removes it. */
  addListener(listener: EventListener): () => void {
    return this.events.add(listener)
  }

  /** Reports an event; a throwing listener is ignored. */
  emit(event: CachebackEvent): void {
    this.events.emit(event)
  }

  /** Tracks background work for `drain()`. */
  track(promise: Promise<unknown>): void {
    this.background.track(promise)
  }

  /** Resolves when every background task of this process has finished. */
  drain(): Promise<void> {
    return this.background.drain()
  }

  /** Waits for background work, then closes the refresher and store. */
  async close(): Promise<void> {
    await this.drain()
    await this.refresher.close()
    await this.store.close()
  }

  // ---- the read path -----------------------------------------------------

  /** Reads through the cache for prepared `args`. */
  async read<T>(job: AnyJob, args: unknown[]): Promise<ReadResult<T>> {
    const key = job.key(...args)
    const entry = await this.readEntry<T>(job.name, key)
    return this.resolve(job, key, args, entry)
  }

  /**
   * Acts on an entry already read (also used by batched GraphQL reads). A
   * fresh hit resolves at once; the rest goes through `resolveOther`.
   */
  resolve<T>(job: AnyJob, key: string, args: unknown[], entry: Entry<T> | undefined): Promise<ReadResult<T>> {
    const now = this.now()
    const decision = decide(entry, now, {})
    if (decision !== 'hit') return this.resolveOther(job, key, args, entry, now, decision)
    const age = ageSeconds(entry!, now)
    if (this.events.size > 0) this.emit(entryEvent('hit', job.name, key, { age }))
    return Promise.resolve({ status: 'hit', value: entry!.value, age, lifetime: job.lifetime(...args) })
  }

  /** Stale, refetch and miss. */
  private async resolveOther<T>(job: AnyJob, key: string, args: unknown[], entry: Entry<T> | undefined, now: number, decided: Decision): Promise<ReadResult<T>> {
    const lifetime = job.lifetime(...args)
    let decision = decided
    const age = entry ? ageSeconds(entry, now) : undefined
    if (decision === 'stale' && job.shouldFetchStaleSynchronously(age!, ...args)) decision = 'refetch'
    if (decision === 'stale') {
      this.emit(entryEvent('stale', job.name, key, { age }))
      const refresh = await this.trackDispatch(job, key, args)
      return { status: 'stale', value: entry!.value, age, lifetime, refresh }
    }
    this.emit(entryEvent('miss', job.name, key, { age }))
    if (decision === 'miss' && !job.shouldFetchOnMiss(...args)) {
      const refresh = await this.trackDispatch(job, key, args)
      return { status: 'miss', value: job.empty(...args), lifetime, refresh }
    }
    const value = (await this.fetchShared(job, key, args)) as T
    return { status: 'miss', value, lifetime }
  }

  /** Reads and decodes one entry; store failures and corrupt data read as a miss. */
  async readEntry<T>(jobName: string, key: string, removeCorrupt = true): Promise<Entry<T> | undefined> {
    let bytes: Uint8Array | undefined
    try {
      bytes = await this.store.get(key)
    } catch (error) {
      this.emit(storeErrorEvent(error, jobName, key))
      return undefined
    }
    return this.decode<T>(jobName, key, bytes, removeCorrupt)
  }

  /**
   * Decodes stored bytes; corrupt or foreign data is reported, read as a miss
   * and removed unless `removeCorrupt` is false (a corrupt header could
   * otherwise refuse every later write).
   */
  decode<T>(jobName: string, key: string, bytes: Uint8Array | undefined, removeCorrupt = true): Entry<T> | undefined {
    if (bytes === undefined) return undefined
    try {
      return decodeEntry<T>(bytes, key)
    } catch (error) {
      this.emit(storeErrorEvent(error, jobName, key))
      if (removeCorrupt) this.track(this.store.delete(key).catch((deleteError) => this.emit(storeErrorEvent(deleteError, jobName, key))))
      return undefined
    }
  }

  // ---- fetching and storing ----------------------------------------------

  /**
   * Single flight: concurrent fetches of one key in this process share one
   * call, which resolves once the value is stored (so the next read hits).
   * A failed write is reported; with `strictWrite` (refreshes) it also rejects.
   */
  fetchShared(job: AnyJob, key: string, args: unknown[], strictWrite = false, joinWithinMs = Infinity): Promise<unknown> {
    const existing = this.flights.get(key)
    // A flight older than `joinWithinMs` is presumed stuck: start a new one beside it.
    if (existing && this.now() - existing.startedAt < joinWithinMs) return existing.promise
    const flight = { promise: this.fetchAndWait(job, key, args, strictWrite), startedAt: this.now() }
    this.flights.set(key, flight)
    const done = () => void (this.flights.get(key) === flight && this.flights.delete(key))
    flight.promise.then(done, done)
    return flight.promise
  }

  private async fetchAndWait(job: AnyJob, key: string, args: unknown[], strictWrite: boolean): Promise<unknown> {
    const { value, written } = await this.fetchAndStore(job, key, args)
    try {
      await written
    } catch (error) {
      this.emit(storeErrorEvent(error, job.name, key))
      if (strictWrite) throw error
    }
    return value
  }

  /** Fetches, encodes and starts the compare-and-set write. */
  private async fetchAndStore(job: AnyJob, key: string, args: unknown[]): Promise<{ value: unknown; written: Promise<unknown> }> {
    const createdAt = this.now()
    const value = await job.fetch(...args)
    let bytes: Buffer
    try {
      bytes = encodeForStore(job, args, value, createdAt, this.maxValueBytes, key)
    } catch (error) {
      if (!isCachebackError(error)) throw error
      this.emit(storeErrorEvent(error, job.name, key))
      return { value: job.unstorable(error, value), written: Promise.resolve() }
    }
    return { value, written: this.storeBytes(job, key, args, bytes, createdAt) }
  }

  private async storeBytes(job: AnyJob, key: string, args: unknown[], bytes: Buffer, createdAt: number): Promise<boolean> {
    const ttlMs = Math.max(1, Math.ceil(job.ttl(...args) * 1000))
    return this.store.set(key, bytes, { createdAt, ttlMs })
  }

  /** Stores a value as freshly fetched now (the `set` operation). */
  async write(job: AnyJob, args: unknown[], value: unknown): Promise<void> {
    const key = job.key(...args)
    const createdAt = this.now()
    const bytes = encodeForStore(job, args, value, createdAt, this.maxValueBytes, key)
    await this.storeBytes(job, key, args, bytes, createdAt)
  }

  /** Fetches now, stores and returns (the `refresh` operation). */
  async refreshNow<T>(job: AnyJob, args: unknown[]): Promise<T> {
    const { value, written } = await this.fetchAndStore(job, job.key(...args), args)
    await written
    return value as T
  }

  /** Removes an entry (the `delete` operation). */
  async remove(job: AnyJob, args: unknown[]): Promise<void> {
    const key = job.key(...args)
    await this.store.delete(key)
  }

  /** Marks an entry stale (the `invalidate` operation). */
  async invalidate(job: AnyJob, args: unknown[]): Promise<void> {
    const key = job.key(...args)
    await this.store.expire(key, this.now())
    await this.store.releaseLock(lockKeyOf(key), undefined) // the next stale read dispatches at once
  }

  /** Looks at an entry without fetching or dispatching. */
  async peek<T>(job: AnyJob, args: unknown[]): Promise<PeekResult<T>> {
    const key = job.key(...args)
    const entry = await this.readEntry<T>(job.name, key, false) // peek changes nothing
    const now = this.now()
    const decision = decide(entry, now, {})
    if (decision === 'miss') return { status: 'miss' }
    return { status: decision === 'hit' ? 'hit' : 'stale', value: entry!.value, age: ageSeconds(entry!, now) }
  }

  // ---- refresh -----------------------------------------------------------

  private trackDispatch(job: AnyJob, key: string, args: unknown[]): Promise<RefreshState> {
    const dispatched = this.dispatch(job, key, args)
    this.track(dispatched)
    return dispatched
  }

  /**
   * Takes the key's refresh lock and hands the refresh to the refresher.
   * `in-flight` when another read (anywhere) holds the lock. A store that
   * cannot take the lock, or a refresher that cannot accept the job, falls
   * back to a refresh in this process; a refused payload is `failed`.
   */
  private async dispatch(job: AnyJob, key: string, args: unknown[]): Promise<RefreshState> {
    const token = randomUUID()
    const now = this.now()
    let timeoutMs: number
    try {
      timeoutMs = checkSeconds(job.refreshTimeout(...args), 'refreshTimeout', job.name) * 1000
    } catch (error) {
      // Without a valid lock duration the refresh could not be deduplicated: refuse it (stale-if-error).
      this.emit(entryEvent('refresh-failed', job.name, key, { error }))
      return 'failed'
    }
    const request: RefreshRequest = { job: job.name, key, args, token, queue: job.queue, timeoutMs }
    try {
      const lock = await this.store.acquireLock(lockKeyOf(key), { now, until: now + timeoutMs, token, ttlMs: lockSafetyNetMs(timeoutMs) })
      if (lock !== 'acquired') return lock === 'failed' ? 'failed' : 'in-flight'
    } catch (error) {
      this.emit(storeErrorEvent(error, job.name, key))
      return this.refreshHere(request)
    }
    try {
      await this.refresher.dispatch(request, this)
      this.emit(entryEvent('refresh-dispatched', job.name, key, { via: this.refresher.name }))
      return 'dispatched'
    } catch (error) {
      if (isCachebackError(error, 'E_PAYLOAD_TOO_LARGE') || isCachebackError(error, 'E_INVALID_PAYLOAD')) {
        // Refused for these arguments, not a passing outage: a failed refresh (stale-if-error, retried after refreshTimeout).
        this.emit(entryEvent('refresh-failed', job.name, key, { error }))
        await this.store.markLockFailed(lockKeyOf(key), token).catch((storeError) => this.emit(storeErrorEvent(storeError, job.name, key)))
        return 'failed'
      }
      this.emit(storeErrorEvent(error, job.name, key))
      return this.refreshHere(request)
    }
  }

  private refreshHere(request: RefreshRequest): RefreshState {
    this.emit(entryEvent('refresh-dispatched', request.job, request.key, { via: 'in-process' }))
    this.track(this.runRefresh(request).catch(() => undefined))
    return 'dispatched'
  }

  /**
   * Runs one refresh (in-process refresher and workers): fetch, compare-and-set
   * store, release the lock. On failure the stale entry stays, the lock is kept
   * until `refreshTimeout` (no retry before), and the error is reported and rethrown.
   */
  async runRefresh(request: RefreshRequest): Promise<void> {
    const job = this.findJob(request.job)
    try {
      if (!job) {
        throw unknownJobError(request)
      }
      const key = job.key(...request.args)
      if (key !== request.key) {
        throw new CachebackError('E_INVALID_PAYLOAD', `Refresh of "${job.name}": its arguments give key ${key}, not the requested ${request.key} (namespace or job version mismatch?)`, { job: job.name, key: request.key })
      }
      const startedAt = this.now()
      // A refresh does not join a fetch of this key older than refreshTimeout: that one is stuck.
      await this.fetchShared(job, key, request.args, true, job.refreshTimeout(...request.args) * 1000)
      await this.handOverLock(job, request, startedAt)
      this.emit(entryEvent('refresh-succeeded', request.job, request.key))
    } catch (error) {
      this.emit(entryEvent('refresh-failed', request.job, request.key, { error }))
      await this.store.markLockFailed(lockKeyOf(request.key), request.token).catch((storeError) => this.emit(storeErrorEvent(storeError, request.job, request.key)))
      throw error
    }
  }

  /**
   * After a successful refresh the lock stays held until the new value goes
   * stale (its `expiry` from when the refresh started, a lower bound), so a
   * read that saw the old value just before the write cannot dispatch again.
   */
  private async handOverLock(job: AnyJob, request: RefreshRequest, startedAt: number): Promise<void> {
    const until = job.expiry(startedAt, ...request.args)
    const now = this.now()
    const hold = until > now ? { until, ttlMs: Math.max(1, Math.ceil(until - now)) } : undefined
    await this.store.releaseLock(lockKeyOf(request.key), request.token, hold).catch((error) => this.emit(storeErrorEvent(error, request.job, request.key)))
  }
}

/** The error for a refresh naming a job (or GraphQL field) this cache does not know. */
function unknownJobError(request: RefreshRequest): CachebackError {
  if (request.job.startsWith('graphql:')) {
    const coordinate = request.job.slice('graphql:'.length)
    return new CachebackError('E_UNKNOWN_COORDINATE', `No cached field ${coordinate} in this worker's schema (is the worker's schema the server's, with @cacheback on ${coordinate}?)`, { job: request.job, key: request.key, coordinate })
  }
  return new CachebackError('E_UNKNOWN_JOB', `No job named "${request.job}" is registered with this cache (key ${request.key}); pass it in createRefreshWorker({ jobs })`, { job: request.job, key: request.key })
}

/**
 * Real-time expiry of a refresh lock, a cleanup safety net only: the lock's
 * logical expiry (on the cache's clock) decides. Twice the refresh timeout
 * plus a second, so a lock never vanishes before its logical expiry.
 */
function lockSafetyNetMs(timeoutMs: number): number {
  return Math.ceil(timeoutMs * 2) + 1000
}
