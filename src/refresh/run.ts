/**
 * Running one refresh (in-process refresher and workers): fetch, compare-and-
 * set store, hand the lock over. On failure the stale entry stays, the lock
 * is kept until `refreshTimeout` (no retry before), and the error is reported
 * and rethrown.
 */
import type { CacheCore } from '../core.js'
import { CachebackError } from '../errors.js'
import { refreshFailedEvent, refreshSucceededEvent, storeErrorEvent } from '../events.js'
import type { AnyJob } from '../job.js'
import { lockKeyOf } from '../keys.js'
import { fetchFlight, holdFromNow } from '../fetch.js'
import type { RefreshPath } from '../stores/store.js'
import { lockSafetyNetMs } from './dispatch.js'
import type { RefreshRequest } from './refresher.js'

export async function runRefresh(core: CacheCore, request: RefreshRequest): Promise<void> {
  const job = core.registry.get(request.job)
  const startedAt = core.now()
  const via = request.via === 'queue' ? 'bee-queue' : 'in-process' // who ran it, for events
  try {
    if (!job) throw core.registry.unknown(request.job, request.key)
    const key = core.keyOf(job, request.args)
    if (key !== request.key) {
      throw new CachebackError('E_INVALID_PAYLOAD', `Refresh of "${job.name}": its arguments give key ${key}, not the requested ${request.key} (namespace or job version mismatch?)`, { job: job.name, key: request.key })
    }
    if (request.via && !request.claimed && !(await claimed(core, job, request))) return // the other path runs this refresh (no event: it reports)
    // A refresh does not join a fetch of this key older than refreshTimeout: that one is stuck.
    // Its write hands the lock over in the same store call; after joining another flight it is handed over here.
    const releaseLock = { lockKey: lockKeyOf(key), token: request.token, holdUntil: job.expiry(startedAt, ...request.args) }
    const fetched = await fetchFlight(core, { job, key, args: request.args }, { strictWrite: true, joinWithinMs: job.refreshTimeout(...request.args) * 1000, releaseLock })
    if (!fetched.lockReleased) await handOverLock(core, job, request, startedAt)
    core.emit(refreshSucceededEvent(job, request.key, { refreshMs: core.now() - startedAt, via, ahead: request.ahead }))
  } catch (error) {
    const failedAfterMs = core.now() - startedAt
    // The lock remembers the failure before it is reported, so a read after the event sees `refresh: 'failed'`.
    await core.store.markLockFailed(lockKeyOf(request.key), request.token).catch((storeError) => core.emit(storeErrorEvent(storeError, job ?? request.job, request.key)))
    core.emit(refreshFailedEvent(error, job ?? request.job, request.key, { refreshMs: failedAfterMs, via, ahead: request.ahead }))
    throw error
  }
}

/**
 * Whether this path may run the refresh: it claims the lock's token (see
 * `Store.claimRefresh`). A store that cannot answer lets it run (fail open:
 * a refresh run twice rather than none).
 */
async function claimed(core: CacheCore, job: AnyJob, request: RefreshRequest): Promise<boolean> {
  const via: RefreshPath = request.via ?? 'in-process'
  const ttlMs = lockSafetyNetMs(job.refreshTimeout(...request.args) * 1000)
  try {
    return await core.store.claimRefresh(lockKeyOf(request.key), { token: request.token, via, ttlMs })
  } catch (error) {
    core.emit(storeErrorEvent(error, job, request.key))
    return true
  }
}

/**
 * After a successful refresh the lock stays held until the new value goes
 * stale (its `expiry` from when the refresh started, a lower bound), so a
 * read that saw the old value just before the write cannot dispatch again.
 * The hold covers the old entry only: a read of the new one may take the
 * lock to refresh it ahead (`LockRequest.covers`).
 */
async function handOverLock(core: CacheCore, job: AnyJob, request: RefreshRequest, startedAt: number): Promise<void> {
  const hold = holdFromNow(job.expiry(startedAt, ...request.args), core.now())
  await core.store.releaseLock(lockKeyOf(request.key), request.token, hold).catch((error) => core.emit(storeErrorEvent(error, job, request.key)))
}
