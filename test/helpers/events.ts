import type { CachebackEvent, CachebackEventType } from '../../src/index.js'

/** Collects events from any number of caches and waits for them without polling. */
export class EventLog {
  readonly events: CachebackEvent[] = []
  private waiters: { test: () => boolean; resolve: () => void }[] = []

  /** Pass as `onEvent`. */
  readonly listener = (event: CachebackEvent): void => {
    this.events.push(event)
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true
      w.resolve()
      return false
    })
  }

  count(type: CachebackEventType, job?: string): number {
    return this.events.filter((e) => e.type === type && (job === undefined || e.job === job)).length
  }

  of<K extends CachebackEventType>(type: K): Extract<CachebackEvent, { type: K }>[] {
    return this.events.filter((e): e is Extract<CachebackEvent, { type: K }> => e.type === type)
  }

  /** Resolves once `count` events of `type` have been seen; rejects after `timeoutMs`. */
  waitFor(type: CachebackEventType, count = 1, timeoutMs = 10_000): Promise<void> {
    const test = () => this.count(type) >= count
    if (test()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} "${type}" events; saw ${this.count(type)}: ${JSON.stringify(this.events.map((e) => e.type))}`)), timeoutMs)
      this.waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) })
    })
  }
}

/** A promise with its resolve and reject exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}
