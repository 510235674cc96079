/**
 * The two small pieces of process-local state a `Cacheback` keeps besides
 * its flights: event listeners, and the background work `drain()` waits for.
 */
import type { CachebackEvent, EventListener } from './events.js'

/** Event listeners; one that throws never breaks a read or the others. */
export class Listeners {
  private readonly listeners = new Set<EventListener>()

  /** Adds a listener; returns a function that removes it. */
  add(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  /** How many listeners there are (the read path skips building events nobody receives). */
  get size(): number {
    return this.listeners.size
  }

  emit(event: CachebackEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // listeners must not break reads
      }
    }
  }
}

/** Background promises (dispatches, in-process refreshes, writes) of this process. */
export class BackgroundTasks {
  private readonly pending = new Set<Promise<unknown>>()

  /** Tracks a promise until it settles; its rejection is already handled by the caller. */
  track(promise: Promise<unknown>): void {
    this.pending.add(promise)
    const settled = (): void => void this.pending.delete(promise)
    promise.then(settled, settled)
  }

  /** Resolves once nothing is pending, including work started while waiting. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }
}
