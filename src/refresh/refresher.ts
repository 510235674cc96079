/**
 * Refreshers run or send out the refresh of a stale entry. The read path
 * takes the refresh lock first, so a refresher is asked once per key per
 * `refreshTimeout` across the cluster.
 */

import type { RefreshPath } from '../stores/store.js'

/** One refresh to run: which job, which entry, with which arguments. */
export interface RefreshRequest {
  /** Job name, as registered. */
  job: string
  /** Full cache key of the entry. */
  key: string
  /** Prepared arguments of the job (its `prepareArgs` already applied). */
  args: unknown[]
  /** Token of the refresh lock this refresh holds. */
  token: string
  /** Queue to send it to (queue-based refreshers); undefined: the refresher's own. */
  queue?: string
  /** How long the refresh may take before it is given up, ms (its `refreshTimeout`). */
  timeoutMs?: number
  /**
   * Set when two paths may run this refresh (a queued job that lands late,
   * and the in-process fallback of a dispatch that gave up waiting for the
   * queue): the refresh first claims its token for this path
   * (`Store.claimRefresh`) and is skipped when the other path has it.
   * Undefined: no claim (the only path).
   */
  via?: RefreshPath
  /** The path in `via` has claimed the token already (a worker claims while the job waits for a slot): the refresh does not claim it again. */
  claimed?: boolean
  /** Dispatched ahead, by a fresh read (refresh ahead), not by a stale one or a miss. */
  ahead?: boolean
}

/** What a refresher needs from the cache that owns it. */
export interface RefreshRunner {
  /** Runs one refresh; rejects on failure (already reported as an event). */
  runRefresh(request: RefreshRequest): Promise<void>
  /** Tracks a background promise so `drain()` waits for it. */
  track(promise: Promise<unknown>): void
}

/** Runs or dispatches refreshes. */
export interface Refresher {
  /** Short name for events (`in-process`, `bee-queue`). */
  readonly name: string
  /**
   * Hands one refresh over. Resolves once it is accepted (queued, or started
   * in-process), not when it finishes. Rejects when it cannot be accepted.
   */
  dispatch(request: RefreshRequest, runner: RefreshRunner): Promise<void>
  /** Closes the connections this refresher opened. */
  close(): Promise<void>
}
