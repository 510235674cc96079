/**
 * Reads of cached fields, grouped per execution. Every field read in one
 * tick (one execution level: the 100 items of a list, say) is answered by
 * one `getMany`; a key read twice in one execution is read and fetched once.
 *
 * An execution is identified by what graphql-js (and graphql-jit, as in
 * Mercurius' JIT) makes anew for every `execute()` call: the coerced
 * variables object (`info.variableValues`, a fresh object even for an
 * operation without variables). A subscription event is identified by its
 * variables and its payload (`info.rootValue`), since @graphql-tools/executor
 * (GraphQL Yoga) reuses one variables object for all events of a
 * subscription. The state lives in a WeakMap on that identity, so it goes
 * with the execution: a context object reused by many operations never gets
 * an older value than the store holds, an error is never served again, and
 * nothing grows. When nothing identifies the execution (a subscription event
 * whose payload is not an object), reads are still batched per tick, with no
 * state kept.
 */
import type { GraphQLResolveInfo } from 'graphql'
import type { Cacheback, CacheRead } from '../cacheback.js'
import type { ReadResult } from '../results.js'

type Result = Promise<ReadResult<unknown>>

interface PendingRead {
  read: CacheRead
  result: Result
  resolve: (result: ReadResult<unknown>) => void
  reject: (error: unknown) => void
}

/** The reads of one cache waiting for the end of the tick; one `readMany` each tick. */
class TickQueue {
  private pending = new Map<string, PendingRead>()

  constructor(private readonly cache: Cacheback) {}

  add(key: string, read: CacheRead): Result {
    const waiting = this.pending.get(key)
    if (waiting) return waiting.result
    if (this.pending.size === 0) scheduleAfterTick(() => this.flush())
    let resolve!: PendingRead['resolve']
    let reject!: PendingRead['reject']
    const result: Result = new Promise((res, rej) => {
      resolve = res
      reject = rej
    })
    this.pending.set(key, { read, result, resolve, reject })
    return result
  }

  private flush(): void {
    const batch = [...this.pending.values()]
    this.pending = new Map()
    this.cache.readMany(batch.map((p) => p.read)).forEach((result, i) => result.then(batch[i].resolve, batch[i].reject))
  }
}

/** Runs `fn` after the current tick's resolvers have been called (DataLoader's timing). */
function scheduleAfterTick(fn: () => void): void {
  void Promise.resolve().then(() => process.nextTick(fn))
}

/** One queue per cache, shared by every execution: reads of one tick share a round-trip. */
const queues = new WeakMap<Cacheback, TickQueue>()

function queueOf(cache: Cacheback): TickQueue {
  let queue = queues.get(cache)
  if (!queue) queues.set(cache, (queue = new TickQueue(cache)))
  return queue
}

/** What one execution has read: key -> result (keys carry the cache's namespace). */
type ExecutionMemo = Map<string, Result>

const byVariables = new WeakMap<object, ExecutionMemo>()
const byEvent = new WeakMap<object, WeakMap<object, ExecutionMemo>>()

const isObject = (value: unknown): value is object => (typeof value === 'object' && value !== null) || typeof value === 'function'

/** The memo of the execution `info` belongs to, or undefined when nothing identifies it. */
function memoOf(info: GraphQLResolveInfo): ExecutionMemo | undefined {
  const variables: unknown = info.variableValues
  if (!isObject(variables)) return undefined
  if (info.operation?.operation === 'subscription') {
    const payload: unknown = info.rootValue
    if (!isObject(payload)) return undefined
    let events = byEvent.get(variables)
    if (!events) byEvent.set(variables, (events = new WeakMap()))
    let memo = events.get(payload)
    if (!memo) events.set(payload, (memo = new Map()))
    return memo
  }
  let memo = byVariables.get(variables)
  if (!memo) byVariables.set(variables, (memo = new Map()))
  return memo
}

/** One field read: the cache, the job call (`fetch`: the request's own resolver call, used only when the read fetches). */
export interface FieldRead extends CacheRead {
  key: string
}

/** Reads one field through its execution's memo and the tick's batch. */
export function readField(info: GraphQLResolveInfo, cache: Cacheback, read: FieldRead): Result {
  const memo = memoOf(info)
  if (!memo) return queueOf(cache).add(read.key, read)
  let result = memo.get(read.key)
  if (!result) memo.set(read.key, (result = queueOf(cache).add(read.key, read)))
  return result
}
