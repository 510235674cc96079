/**
 * The counters one process publishes for the dashboard, fed by its cache's
 * events: reads by outcome, fetches and refreshes (with latency buckets)
 * per job name or field coordinate, store errors by code, invalidations by
 * kind, and the last few errors. Bounded: at most `maxNames` names (then
 * `(other)`), `recentErrors` errors; never a key or an argument value.
 */
import { DEFAULT_STATS_MAX_NAMES, DEFAULT_STATS_RECENT_ERRORS } from '../defaults.js'
import { errorCodeOf, messageOf } from '../errors.js'
import type { CachebackEvent } from '../events.js'
import { type Buckets, addDuration } from './histogram.js'

/** Counters of one job name or field coordinate. */
export interface NameCounters {
  hit: number
  stale: number
  miss: number
  fetches: number
  fetchFailures: number
  refreshes: number
  refreshFailures: number
  /** Durations of refreshes that ran, ms, in log buckets. */
  refreshMs: Buckets
}

/** One recent error. */
export interface ErrorRecord {
  /** When, ms epoch (wall clock). */
  at: number
  /** Event type that reported it (`refresh-failed`, `store-error`, `fetch`). */
  type: string
  /** Its code (`E_STORE_TIMEOUT`, `ECONNREFUSED`, or the error's class name). */
  code: string
  /** Job name or coordinate, when known. */
  name?: string
  /** The message (only with `includeErrorMessages`), keys replaced by `<key>`, cut at 200 characters. */
  message?: string
  /** Id of the process that reported it (filled in when read back). */
  process?: string
}

/** What a process's counters hold. */
export interface CountersSnapshot {
  names: Record<string, NameCounters>
  storeErrors: Record<string, number>
  invalidations: Record<string, number>
  recentErrors: ErrorRecord[]
}

/** Options of {@link ProcessStats}. */
export interface ProcessStatsOptions {
  /** Names kept apart; more are counted as `(other)`. @default 200 */
  maxNames?: number
  /** Recent errors kept. @default 20 */
  recentErrors?: number
  /** Publish error messages (they may hold argument values your code put there). @default false */
  includeErrorMessages?: boolean
  /** Namespace of the cache's keys, redacted from messages. */
  namespace?: string
  /** Wall clock for error times, ms. @default Date.now */
  now?: () => number
}

/** The name under which names past `maxNames` are counted. */
export const OTHER_NAME = '(other)'

export const emptyCounters = (): NameCounters => ({ hit: 0, stale: 0, miss: 0, fetches: 0, fetchFailures: 0, refreshes: 0, refreshFailures: 0, refreshMs: {} })

/** Counts one cache's events. */
export class ProcessStats {
  private readonly names = new Map<string, NameCounters>()
  private readonly storeErrors: Record<string, number> = {}
  private readonly invalidations: Record<string, number> = {}
  private readonly errors: ErrorRecord[] = []
  private readonly maxNames: number
  private readonly maxErrors: number
  private readonly keyPattern: RegExp | undefined

  constructor(private readonly options: ProcessStatsOptions = {}) {
    this.maxNames = options.maxNames ?? DEFAULT_STATS_MAX_NAMES
    this.maxErrors = options.recentErrors ?? DEFAULT_STATS_RECENT_ERRORS
    const ns = options.namespace?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    this.keyPattern = ns ? new RegExp(`${ns}:[^\\s"'\`]+`, 'g') : undefined
  }

  /** The event listener (`cache.addListener(stats.listener)`). */
  readonly listener = (event: CachebackEvent): void => {
    switch (event.type) {
      case 'hit':
      case 'stale':
      case 'miss':
        this.counters(event)[event.type]++
        return
      case 'fetch':
        this.counters(event).fetches++
        if (event.error !== undefined) this.countFailure(event, event.error, 'fetchFailures')
        return
      case 'refresh-succeeded':
        this.counters(event).refreshes++
        return addDuration(this.counters(event).refreshMs, event.refreshMs)
      case 'refresh-failed':
        this.countFailure(event, event.error, 'refreshFailures')
        this.counters(event).refreshes++
        if (event.refreshMs !== undefined) addDuration(this.counters(event).refreshMs, event.refreshMs)
        return
      case 'store-error':
        return this.countStoreError(event, event.error)
      case 'invalidated':
        this.invalidations[event.kind] = (this.invalidations[event.kind] ?? 0) + 1
    }
  }

  /** A copy of the counters, as published. */
  snapshot(): CountersSnapshot {
    return {
      names: Object.fromEntries([...this.names].map(([name, c]) => [name, { ...c, refreshMs: { ...c.refreshMs } }])),
      storeErrors: { ...this.storeErrors },
      invalidations: { ...this.invalidations },
      recentErrors: this.errors.map((e) => ({ ...e })),
    }
  }

  private counters(event: { job?: string; coordinate?: string }): NameCounters {
    let name = event.coordinate ?? event.job ?? 'unknown'
    if (!this.names.has(name) && this.names.size >= this.maxNames) name = OTHER_NAME
    let counters = this.names.get(name)
    if (!counters) this.names.set(name, (counters = emptyCounters()))
    return counters
  }

  private countFailure(event: CachebackEvent & { job?: string; coordinate?: string }, error: unknown, field: 'fetchFailures' | 'refreshFailures'): void {
    this.counters(event)[field]++
    this.remember(event, error)
  }

  private countStoreError(event: CachebackEvent & { job?: string; coordinate?: string }, error: unknown): void {
    const code = errorCodeOf(error)
    this.storeErrors[code] = (this.storeErrors[code] ?? 0) + 1
    this.remember(event, error)
  }

  private remember(event: CachebackEvent & { job?: string; coordinate?: string }, error: unknown): void {
    const record: ErrorRecord = { at: (this.options.now ?? Date.now)(), type: event.type, code: errorCodeOf(error) }
    const name = event.coordinate ?? event.job
    if (name !== undefined) record.name = name
    if (this.options.includeErrorMessages) {
      const message = messageOf(error)
      record.message = (this.keyPattern ? message.replace(this.keyPattern, '<key>') : message).slice(0, 200)
    }
    this.errors.unshift(record)
    if (this.errors.length > this.maxErrors) this.errors.length = this.maxErrors
  }
}
