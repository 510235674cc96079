/**
 * Per-operation reads of cached fields. Every field read in one tick of
 * execution (one execution level: the 100 items of a list, say) is answered
 * by one `getMany`; a key seen twice in one operation is read and fetched
 * once. What was served is recorded for the response's extensions.
 */
import { type ResponsePath as Path, responsePathAsArray } from 'graphql'
import type { Cacheback, CacheRead } from '../cacheback.js'
import type { ReadResult } from '../results.js'
import type { ResolverJobArgs } from './field-keys.js'
import type { ResolverJob } from './resolver-jobs.js'

/** One stale field served, as reported in `extensions.cacheback.staleFields`. */
export interface StaleField {
  path: (string | number)[]
  coordinate: string
  age: number
  lifetime: number
  refresh: 'dispatched' | 'in-flight' | 'failed'
}

/** What one operation read from the cache. */
export interface OperationReads {
  hit: number
  stale: number
  miss: number
  staleFields: StaleField[]
}

interface PendingRead extends CacheRead {
  key: string
  resolve: (result: ReadResult<unknown>) => void
  reject: (error: unknown) => void
}

/** The cache reads of one operation on one cache. */
class ReadBatch {
  private readonly memo = new Map<string, Promise<ReadResult<unknown>>>()
  private queue: PendingRead[] = []

  constructor(private readonly cache: Cacheback) {}

  /** `fetch`: the request's own resolver call, used only when the read has to fetch. */
  read(job: ResolverJob, key: string, args: ResolverJobArgs, fetch: () => unknown): Promise<ReadResult<unknown>> {
    let result = this.memo.get(key)
    if (!result) {
      result = new Promise((resolve, reject) => {
        if (this.queue.length === 0) scheduleAfterTick(() => this.flush())
        this.queue.push({ job, fetch, key, args, resolve, reject })
      })
      this.memo.set(key, result)
    }
    return result
  }

  private flush(): void {
    const batch = this.queue
    this.queue = []
    this.cache.readMany(batch).forEach((result, i) => result.then(batch[i].resolve, batch[i].reject))
  }
}

/** Runs `fn` after the current tick's resolvers have been called (DataLoader's timing). */
function scheduleAfterTick(fn: () => void): void {
  void Promise.resolve().then(() => process.nextTick(fn))
}

interface OperationState extends OperationReads {
  batches: Map<Cacheback, ReadBatch>
}

const states = new WeakMap<object, OperationState>()

const fresh = (): OperationState => ({ hit: 0, stale: 0, miss: 0, staleFields: [], batches: new Map() })

function stateOf(context: unknown): OperationState {
  if (typeof context !== 'object' || context === null) return fresh()
  let state = states.get(context)
  if (!state) states.set(context, (state = fresh()))
  return state
}

/** One field read of an operation: the context object identifies the operation. */
export interface FieldRead {
  context: unknown
  cache: Cacheback
  job: ResolverJob
  key: string
  args: ResolverJobArgs
  /** Resolves the field when the read misses. */
  fetch: () => unknown
}

/** Reads one field through the operation's batch. */
export function readField({ context, cache, job, key, args, fetch }: FieldRead): Promise<ReadResult<unknown>> {
  const state = stateOf(context)
  let batch = state.batches.get(cache)
  if (!batch) state.batches.set(cache, (batch = new ReadBatch(cache)))
  return batch.read(job, key, args, fetch)
}

/** Records a served field for the extensions. */
export function recordField(context: unknown, result: ReadResult<unknown>, path: Path, coordinate: string): void {
  const state = stateOf(context)
  state[result.status]++
  if (result.status === 'stale') {
    state.staleFields.push({ path: responsePathAsArray(path), coordinate, age: Math.round(result.age ?? 0), lifetime: result.lifetime, refresh: result.refresh ?? 'in-flight' })
  }
}

/** What the operation with this context read, or undefined when it read no cached field. */
export function operationReads(context: unknown): OperationReads | undefined {
  if (typeof context !== 'object' || context === null) return undefined
  const state = states.get(context)
  if (!state || state.hit + state.stale + state.miss === 0) return undefined
  return { hit: state.hit, stale: state.stale, miss: state.miss, staleFields: state.staleFields }
}
