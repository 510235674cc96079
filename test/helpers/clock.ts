/** A manual clock for the `now` option: time moves only when a test moves it. */

/** A clock under a test's control. */
export interface TestClock {
  /** Current time, ms epoch. */
  now: () => number
  /** Moves time forward by `seconds` (fractions allowed). */
  advance(seconds: number): void
  /** Sets the time to `ms` (ms epoch). */
  set(ms: number): void
}

/** Creates a clock starting at `startMs` (ms epoch). */
export function createClock(startMs = 1_700_000_000_000): TestClock {
  let current = startMs
  return {
    now: () => current,
    advance(seconds) {
      current += seconds * 1000
    },
    set(ms) {
      current = ms
    },
  }
}
