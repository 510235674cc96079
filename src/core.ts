/**
 * The state one `Cacheback` shares between its read path, its fetches and
 * its refreshes: store, refresher, clock, listeners, background work, the job
 * registry and the single-flight table. Internal: users hold a `Cacheback`.
 */
import { BackgroundTasks, Listeners } from './background.js'
import { DEFAULT_MAX_VALUE_BYTES, DEFAULT_NAMESPACE } from './defaults.js'
import { type Entry, decodeEntry, isOlderFormat } from './entry.js'
import { CachebackError, messageOf } from './errors.js'
import { type CachebackEvent, type EventListener, storeErrorEvent } from './events.js'
import { Job, type AnyJob } from './job.js'
import { buildKey } from './keys.js'
import type { InvalidationBus } from './l1/bus.js'
import { isMemoId } from './l1/key-memo.js'
import type { L1 } from './l1/l1.js'
import { type L1Options, createL1 } from './l1/options.js'
import { InProcessRefresher } from './refresh/in-process.js'
import type { RefreshRequest, Refresher } from './refresh/refresher.js'
import { JobRegistry } from './registry.js'
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
  /**
   * Uniform draws in [0, 1) for refresh ahead's early-expiration decision;
   * inject one to make the draw reproducible (tests). @default Math.random
   */
  random?: () => number
  /** Receives every event (hit, stale, miss, fetch, refresh-*, store-error). */
  onEvent?: EventListener
  /**
   * Largest serialized value stored, in bytes. A larger value is refused with
   * `E_VALUE_TOO_LARGE` and handed to the job's `unstorable` hook: a function
   * job rejects, a GraphQL field is served uncached. @default 4 MiB
   */
  maxValueBytes?: number
  /**
   * An in-process tier in front of the store: hot entries are served from
   * this process's memory while fresh, with no store round-trip. Writes,
   * removals and invalidations anywhere drop them (through `bus`).
   * @default undefined (no tier: every read goes to the store)
   * @example new Cacheback({ store, l1: { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 } })
   */
  l1?: L1Options
  /**
   * Where writes, removals and invalidations are announced, so that every
   * process's in-process tier drops what they touch. `true`: the store's own
   * (`store.openBus()`: a Redis pub/sub channel of the namespace, on a
   * connection of its own), also without `l1` (a worker or a CLI whose
   * changes servers must see); `false`: none (with `l1` on a shared store,
   * other processes' changes reach this tier only when its entries go stale);
   * or an {@link InvalidationBus} (`new RedisBus({ redis })`), which the cache
   * does not close.
   * @default with `l1`, the store's own when it has one (a `MemoryStore` has none: nothing to tell); without `l1`, none
   */
  bus?: InvalidationBus | boolean
}

/** A fetch of one key in flight in this process, until its value is stored. */
export interface Flight {
  /** Settles with the fetched value, before it is stored. */
  fetched: Promise<unknown>
  /** Resolves once the write has settled, with its failure (already reported) if it failed. */
  stored: Promise<{ error?: unknown }>
  /** When the fetch started, ms on the cache's clock. */
  startedAt: number
  /** Whether its write handed over the refresh lock of the refresh that started it (`FetchOptions.releaseLock`). */
  lockReleased?: Promise<boolean>
}

/** Shared state and small helpers of one cache. */
export class CacheCore {
  readonly store: Store
  readonly refresher: Refresher
  readonly namespace: string
  readonly now: () => number
  readonly random: () => number
  readonly maxValueBytes: number
  readonly listeners = new Listeners()
  readonly background = new BackgroundTasks()
  readonly registry = new JobRegistry()
  readonly flights = new Map<string, Flight>()
  /** The in-process tier and its bus; undefined without `l1` and `bus`. */
  readonly l1: L1 | undefined

  constructor(options: CachebackOptions, readonly runRefresh: (request: RefreshRequest) => Promise<void>) {
    this.store = options.store ?? new MemoryStore()
    this.refresher = options.refresher ?? new InProcessRefresher()
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
    if (typeof this.random !== 'function') {
      throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "random" must be a function returning a number in [0, 1), got ${typeof options.random}`)
    }
    if (options.onEvent) this.listeners.add(options.onEvent)
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES
    if (!Number.isInteger(this.maxValueBytes) || this.maxValueBytes <= 0) {
      throw new CachebackError('E_INVALID_OPTION', `Cacheback: option "maxValueBytes" must be a positive whole number of bytes, got ${String(options.maxValueBytes)}`)
    }
    this.l1 = createL1({
      l1: options.l1,
      bus: options.bus,
      store: this.store,
      namespace: this.namespace,
      emit: (event) => this.emit(event),
      listened: () => this.listened,
      track: (promise) => this.track(promise),
    })
  }

  /** Reports an event; a throwing listener is ignored. */
  emit(event: CachebackEvent): void {
    this.listeners.emit(event)
  }

  /** Whether anyone listens (the hit path skips building events nobody receives). */
  get listened(): boolean {
    return this.listeners.size > 0
  }

  /** Tracks background work for `drain()`. */
  track(promise: Promise<unknown>): void {
    this.background.track(promise)
  }

  /**
   * Full key of a job's (prepared) arguments; registers the job on first
   * sight. With `l1`, the key of a job with the default `key` hook called
   * with one primitive argument is remembered (`l1/key-memo.ts`).
   */
  keyOf(job: AnyJob, args: readonly unknown[]): string {
    if (this.l1?.memo !== undefined && args.length === 1 && job.key === defaultKeyHook) return this.keyOfId(job, args[0], args)
    return this.buildKeyOf(job, args)
  }

  /** The key of a read whose key depends on `id` alone (a field of a parent `{ id }` without arguments); remembered with `l1`. */
  keyOfId(job: AnyJob, id: unknown, args: readonly unknown[]): string {
    const memo = this.l1?.memo
    if (memo === undefined || !isMemoId(id)) return this.buildKeyOf(job, args)
    let key = memo.get(job, id)
    if (key === undefined) memo.set(job, id, (key = this.buildKeyOf(job, args)))
    return key
  }

  private buildKeyOf(job: AnyJob, args: readonly unknown[]): string {
    this.registry.add(job)
    try {
      return buildKey(this.namespace, job.name, job.key(...args))
    } catch (cause) {
      if (cause instanceof CachebackError && cause.coordinate !== undefined) throw cause // already names its field
      const code = cause instanceof CachebackError ? cause.code : 'E_INVALID_KEY'
      throw new CachebackError(code, `${job.name}: arguments cannot form a cache key: ${messageOf(cause)}`, { job: job.name, cause })
    }
  }

  /** Reads one entry's bytes; a store failure is reported and reads as absent. */
  async readBytes(job: AnyJob, key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.store.get(key)
    } catch (error) {
      this.emit(storeErrorEvent(error, job, key))
      return undefined
    }
  }

  /** Reads and decodes one entry; store failures and corrupt data read as a miss. */
  async readEntry<T>(job: AnyJob, key: string, removeCorrupt = true): Promise<Entry<T> | undefined> {
    let bytes: Uint8Array | undefined
    try {
      bytes = await this.store.get(key)
    } catch (error) {
      this.emit(storeErrorEvent(error, job, key))
      return undefined
    }
    return this.decode<T>(job, key, bytes, removeCorrupt)
  }

  /**
   * Decodes stored bytes; corrupt or foreign data is reported, read as a miss
   * and removed unless `removeCorrupt` is false (a corrupt header could
   * otherwise refuse every later write).
   */
  decode<T>(job: AnyJob, key: string, bytes: Uint8Array | undefined, removeCorrupt = true): Entry<T> | undefined {
    if (bytes === undefined) return undefined
    try {
      return decodeEntry<T>(bytes, key)
    } catch (error) {
      if (isOlderFormat(bytes)) return undefined // an entry of an earlier version: a plain miss, replaced by the next write
      this.emit(storeErrorEvent(error, job, key))
      if (removeCorrupt) this.track(this.store.delete(key).catch((deleteError) => this.emit(storeErrorEvent(deleteError, job, key))))
      return undefined
    }
  }
}

/** The base class's `key` hook: a job that keeps it keys by its arguments alone. */
const defaultKeyHook = (Job.prototype as AnyJob).key
