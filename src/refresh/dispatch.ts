/**
 * Dispatch: takes a key's refresh lock and hands the refresh to the
 * refresher. One refresh per key per `refreshTimeout` across every process
 * sharing the store; a store or refresher that fails falls back to a refresh
 * in this process (fail open). Reads of one entry in this process while its
 * lock script is out share that script's answer (a stale storm would
 * otherwise run it once per read).
 */
import { randomUUID } from 'node:crypto'
import type { CacheCore } from '../core.js'
import { isCachebackError } from '../errors.js'
import { refreshDispatchedEvent, refreshFailedEvent, storeErrorEvent } from '../events.js'
import type { AnyJob } from '../job.js'
import { lockKeyOf } from '../keys.js'
import { checkSeconds } from '../policy.js'
import type { RefreshState } from '../results.js'
import type { LockResult } from '../stores/store.js'
import type { RefreshRequest } from './refresher.js'

/** What a dispatch is for. */
export interface DispatchOptions {
  /** `createdAt` of the entry the read saw (undefined for a miss): the lock covers it (`LockRequest.covers`). */
  covers?: number
  /** Dispatched by a fresh read (refresh ahead). */
  ahead?: boolean
}

/** The job call a refresh is dispatched for. */
export interface DispatchCall {
  job: AnyJob
  key: string
  /** Prepared arguments of the job. */
  args: unknown[]
}

/** A lock script of this process still out for a key: the entry it covers, and the answer for reads that join it. */
interface PendingLock {
  covers: number | undefined
  /** `in-flight` (this process took the lock, another holds it, or the store failed and this process refreshes), or `failed`. */
  joined: Promise<RefreshState>
}

const pendingLocks = new WeakMap<CacheCore, Map<string, PendingLock>>()

/**
 * Dispatches a refresh and tracks it for `drain()`. A read whose entry a
 * lock script of this process, still out, covers (`covers` no newer, the
 * rule of the script) takes that script's answer instead of its own: it
 * would have found the lock held.
 */
export function trackDispatch(core: CacheCore, call: DispatchCall, options: DispatchOptions = {}): Promise<RefreshState> {
  const pending = pendingLocks.get(core)?.get(call.key)
  if (pending && !coversNewer(options.covers, pending.covers)) return pending.joined
  const dispatched = dispatch(core, call, options)
  core.track(dispatched)
  return dispatched
}

/** Whether a request covering `covers` names a newer entry than a lock covering `held` (`ACQUIRE_LOCK_LUA`'s rule). */
function coversNewer(covers: number | undefined, held: number | undefined): boolean {
  return covers !== undefined && (held === undefined || covers > held)
}

/** Lets reads of `key` join `lock` until it settles. */
function shareLock(core: CacheCore, key: string, covers: number | undefined, lock: Promise<LockResult>): void {
  let byKey = pendingLocks.get(core)
  if (!byKey) pendingLocks.set(core, (byKey = new Map()))
  const pending: PendingLock = { covers, joined: lock.then((result) => (result === 'failed' ? 'failed' : 'in-flight'), () => 'in-flight') }
  byKey.set(key, pending)
  const forget = () => void (byKey.get(key) === pending && byKey.delete(key))
  lock.then(forget, forget)
}

/**
 * `in-flight` when another read (anywhere) holds the lock; `failed` when the
 * holder's refresh failed or the payload is refused for these arguments.
 */
async function dispatch(core: CacheCore, { job, key, args }: DispatchCall, options: DispatchOptions): Promise<RefreshState> {
  const token = randomUUID()
  const now = core.now()
  let timeoutMs: number
  try {
    timeoutMs = checkSeconds(job.refreshTimeout(...args), 'refreshTimeout', job.name) * 1000
  } catch (error) {
    // Without a valid lock duration the refresh could not be deduplicated: refuse it (stale-if-error).
    core.emit(refreshFailedEvent(error, job, key, { via: core.refresher.name, ahead: options.ahead }))
    return 'failed'
  }
  const request: RefreshRequest = { job: job.name, key, args, token, queue: job.queue, timeoutMs }
  if (options.ahead) request.ahead = true
  try {
    const acquiring = core.store.acquireLock(lockKeyOf(key), { now, until: now + timeoutMs, token, ttlMs: lockSafetyNetMs(timeoutMs), covers: options.covers })
    shareLock(core, key, options.covers, acquiring)
    const lock = await acquiring
    if (lock !== 'acquired') return lock === 'failed' ? 'failed' : 'in-flight'
  } catch (error) {
    core.emit(storeErrorEvent(error, job, key))
    return refreshHere(core, job, request)
  }
  return handOver(core, job, request)
}

async function handOver(core: CacheCore, job: AnyJob, request: RefreshRequest): Promise<RefreshState> {
  try {
    await core.refresher.dispatch(request, core)
    core.emit(refreshDispatchedEvent(job, request.key, core.refresher.name, request.ahead))
    return 'dispatched'
  } catch (error) {
    if (isCachebackError(error, 'E_PAYLOAD_TOO_LARGE') || isCachebackError(error, 'E_INVALID_PAYLOAD')) {
      // Refused for these arguments, not a passing outage: a failed refresh (stale-if-error, retried after refreshTimeout).
      await core.store.markLockFailed(lockKeyOf(request.key), request.token).catch((storeError) => core.emit(storeErrorEvent(storeError, job, request.key)))
      core.emit(refreshFailedEvent(error, job, request.key, { via: core.refresher.name, ahead: request.ahead }))
      return 'failed'
    }
    core.emit(storeErrorEvent(error, job, request.key))
    // A slow queue may still take the job after we stopped waiting: the worker and this fallback claim the token, one runs.
    return refreshHere(core, job, { ...request, via: 'in-process' })
  }
}

function refreshHere(core: CacheCore, job: AnyJob, request: RefreshRequest): RefreshState {
  core.emit(refreshDispatchedEvent(job, request.key, 'in-process', request.ahead))
  core.track(core.runRefresh(request).catch(() => undefined))
  return 'dispatched'
}

/**
 * Real-time expiry of a refresh lock, a cleanup safety net only: the lock's
 * logical expiry (on the cache's clock) decides. Twice the refresh timeout
 * plus a second, so a lock never vanishes before its logical expiry.
 */
export function lockSafetyNetMs(timeoutMs: number): number {
  return Math.ceil(timeoutMs * 2) + 1000
}
