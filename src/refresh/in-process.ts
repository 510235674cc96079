import type { RefreshRequest, RefreshRunner, Refresher } from './refresher.js'

/**
 * Runs refreshes in this process, in the background of the read that found
 * the entry stale. The embedded default: no Redis or worker needed. Failures
 * are reported as `refresh-failed` events by the cache.
 */
export class InProcessRefresher implements Refresher {
  readonly name = 'in-process'

  async dispatch(request: RefreshRequest, runner: RefreshRunner): Promise<void> {
    runner.track(runner.runRefresh(request).catch(() => undefined))
  }

  async close(): Promise<void> {}
}
