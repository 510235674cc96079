/**
 * Measuring: a closed-loop load generator with per-call latencies,
 * percentiles, medians, and the round-robin schedule that interleaves
 * contenders so drift (thermal, GC, other processes) hits them all alike.
 */
import { performance } from 'node:perf_hooks'

/** Result of one load run. */
export interface LoadResult {
  /** Calls completed per second (wall clock of the whole run). */
  opsPerSec: number
  /** Latency percentiles, ms. */
  p50: number
  p99: number
  elapsedMs: number
}

/**
 * Runs `total` calls of `call(i)` (i = 0..total-1) from `concurrency`
 * callers, each awaiting its previous call before starting the next, and
 * records every call's latency.
 */
export async function runLoad(call: (i: number) => Promise<unknown>, total: number, concurrency: number): Promise<LoadResult> {
  const latencies = new Float64Array(total)
  let next = 0
  const caller = async (): Promise<void> => {
    while (next < total) {
      const i = next++
      const started = performance.now()
      await call(i)
      latencies[i] = performance.now() - started
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, caller))
  const elapsedMs = performance.now() - started
  latencies.sort()
  return { opsPerSec: (total / elapsedMs) * 1000, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), elapsedMs }
}

/** The `q` quantile (0..1) of an ascending array. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

/** Median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Runs `rounds` rounds; in each, every contender once, the starting
 * contender rotating from round to round. Returns each contender's results
 * in round order (`results[name][round]`).
 */
export async function roundRobin<R>(rounds: number, names: readonly string[], runOne: (name: string, round: number) => Promise<R>): Promise<Record<string, R[]>> {
  const results: Record<string, R[]> = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]
      results[name][round] = await runOne(name, round)
    }
  }
  return results
}

/** Per-round ratios `a[r] / b[r]` (computed within one round), then their median. */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, round) => value / b[round]))
}

/** One call of an open-ended load: when it started (ms, `performance.now()`) and how long it took. */
export interface CallRecord {
  startedAt: number
  latencyMs: number
  /** The call rejected. */
  failed: boolean
}

/** A load that runs until stopped (`startLoad`). */
export interface RunningLoad {
  /** Calls finished so far. */
  readonly finished: number
  /** The first rejection's message, if any call rejected. */
  readonly firstError: string | undefined
  /** Stops starting calls; resolves with every call's record once those running have finished. */
  stop(): Promise<CallRecord[]>
}

/**
 * Starts `concurrency` callers that each call `call(i)` (i counting up across
 * callers) one after another until `stop()`. A rejected call is recorded as
 * failed and the caller goes on.
 */
export function startLoad(call: (i: number) => Promise<unknown>, concurrency: number): RunningLoad {
  const records: CallRecord[] = []
  let next = 0
  let stopping = false
  let firstError: string | undefined
  const caller = async (): Promise<void> => {
    while (!stopping) {
      const i = next++
      const startedAt = performance.now()
      let failed = false
      try {
        await call(i)
      } catch (error) {
        failed = true
        firstError ??= error instanceof Error ? error.message : String(error)
      }
      records.push({ startedAt, latencyMs: performance.now() - startedAt, failed })
    }
  }
  const callers = Promise.all(Array.from({ length: concurrency }, caller))
  return {
    get finished() {
      return records.length
    },
    get firstError() {
      return firstError
    },
    async stop() {
      stopping = true
      await callers
      return records
    },
  }
}

/** Latency percentiles (ms) of the records that started in `[from, to)`. */
export function latencyOf(records: readonly CallRecord[], from = -Infinity, to = Infinity): { count: number; failed: number; p50: number; p99: number; max: number } {
  const inWindow = records.filter((r) => r.startedAt >= from && r.startedAt < to)
  const sorted = Float64Array.from(inWindow, (r) => r.latencyMs).sort()
  return { count: inWindow.length, failed: inWindow.filter((r) => r.failed).length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1] : Number.NaN }
}
