/**
 * What was served from the cache, recorded on the context object of the
 * operation for the response's `extensions.cacheback`. `takeCacheReads`
 * returns and resets it: the one hook every server integration uses. What is
 * recorded and never taken stays bounded: counts, and at most
 * `MAX_STALE_FIELDS` stale fields.
 */
import { type ResponsePath, responsePathAsArray } from 'graphql'
import { DEFAULT_MAX_STALE_FIELDS } from '../defaults.js'
import type { ReadResult } from '../results.js'

/** One stale field served, as reported in `extensions.cacheback.staleFields`. */
export interface StaleField {
  /** Response path of the field (`["user", "tweets"]`). */
  path: (string | number)[]
  /** Schema coordinate (`User.tweets`). */
  coordinate: string
  /** Age of the served value, seconds. */
  age: number
  /** The field's lifetime, seconds. */
  lifetime: number
  /** What became of its refresh: sent now, already under way, or failed to send. */
  refresh: 'dispatched' | 'in-flight' | 'failed'
}

/** What an operation read from the cache: the `extensions.cacheback` of its response. */
export interface CacheReads {
  /** Fields served fresh. */
  hit: number
  /** Fields served stale (a refresh dispatched or under way). */
  stale: number
  /** Fields not in the cache (fetched, or empty with `fetchOnMiss: false`). */
  miss: number
  /** Fields served fresh that dispatched a refresh ahead (unless one was under way); present only when not 0. */
  refreshAhead?: number
  /** The stale fields, at most 100 (the counts stay exact). */
  staleFields: StaleField[]
}

const records = new WeakMap<object, CacheReads>()

/** Records a served field on the context (nothing when the context is not an object). */
export function recordRead(context: unknown, result: ReadResult<unknown>, path: ResponsePath, coordinate: string): void {
  if (typeof context !== 'object' || context === null) return
  let reads = records.get(context)
  if (!reads) records.set(context, (reads = { hit: 0, stale: 0, miss: 0, staleFields: [] }))
  reads[result.status]++
  if (result.refreshAhead) reads.refreshAhead = (reads.refreshAhead ?? 0) + 1
  if (result.status === 'stale' && reads.staleFields.length < DEFAULT_MAX_STALE_FIELDS) {
    reads.staleFields.push({ path: responsePathAsArray(path), coordinate, age: Math.round(result.age ?? 0), lifetime: result.lifetime, refresh: result.refresh ?? 'in-flight' })
  }
}

/** Records a field served fresh (the in-process fast path: no result object). */
export function recordHit(context: unknown): void {
  if (typeof context !== 'object' || context === null) return
  const reads = records.get(context)
  if (reads) reads.hit++
  else records.set(context, { hit: 1, stale: 0, miss: 0, staleFields: [] })
}

/**
 * The cache reads recorded on this context since the last call, and resets
 * them; undefined when no cached field was read. Call it when a result is
 * ready (each payload of an incremental or subscription result) and put what
 * it returns in `extensions.cacheback`. Give each execution its own context
 * object (Apollo, Yoga and Mercurius make one per request) for per-operation
 * figures.
 *
 * @example
 * const contextValue = {}
 * const result = await execute({ schema, document, contextValue })
 * const reads = takeCacheReads(contextValue)
 * if (reads) result.extensions = { ...result.extensions, cacheback: reads }
 */
export function takeCacheReads(context: unknown): CacheReads | undefined {
  if (typeof context !== 'object' || context === null) return undefined
  const reads = records.get(context)
  if (!reads) return undefined
  records.delete(context)
  return reads
}
