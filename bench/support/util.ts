/** Small helpers shared by scenarios. */

/** Runs `write(i)` for i = 0..count-1, `batch` at a time (prefilling, invalidating). */
export async function inBatches(count: number, write: (i: number) => Promise<unknown>, batch = 100): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - start) }, (_, k) => write(start + k)))
  }
}

/**
 * Resolves once `tick()` has been called a given number of times since
 * `expect`; rejects, saying how many ticks are missing, after `timeoutMs`.
 */
export class Countdown {
  private remaining = 0
  private resolve: (() => void) | undefined

  constructor(private readonly what: string, private readonly timeoutMs = 60_000) {}

  /** Starts counting down from `count`; the promise resolves at zero. */
  expect(count: number): Promise<void> {
    this.remaining = count
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.what}: ${this.remaining} of ${count} still missing after ${this.timeoutMs} ms`)), this.timeoutMs)
      this.resolve = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  tick(): void {
    if (--this.remaining === 0) this.resolve?.()
  }

  /** Ticks still expected. */
  get missing(): number {
    return this.remaining
  }
}
