/**
 * Remembered keys of hot reads. Building a key (stable serialization, then
 * sha256) costs more than an in-process hit itself, so with `l1` the key of
 * a read whose key depends on one primitive alone (a function job's single
 * argument, a field's parent `id`) is remembered per job. Bounded: a job's
 * memo is emptied when it reaches its size.
 */
import type { AnyJob } from '../job.js'

/** A primitive that identifies a read's key within its job. */
export type MemoId = string | number

/** Longest string id remembered (longer ones are built every time). */
const MAX_ID_LENGTH = 256

/** Per-job maps from an id to its full key. */
export class KeyMemo {
  private readonly byJob = new WeakMap<AnyJob, Map<MemoId, string>>()

  constructor(private readonly maxPerJob: number) {}

  /** The remembered key of `id` in `job`, if any. */
  get(job: AnyJob, id: MemoId): string | undefined {
    return this.byJob.get(job)?.get(id)
  }

  /** Remembers `key` as the key of `id` in `job`. */
  set(job: AnyJob, id: MemoId, key: string): void {
    const keys = this.keysOf(job)
    if (keys.size >= this.maxPerJob) keys.clear()
    keys.set(id, key)
  }

  /** The map of `job`'s remembered keys (made once, emptied in place): a caller may hold it and read it directly. */
  keysOf(job: AnyJob): ReadonlyMap<MemoId, string> & Map<MemoId, string> {
    let keys = this.byJob.get(job)
    if (keys === undefined) this.byJob.set(job, (keys = new Map()))
    return keys
  }
}

/** Whether `value` can stand for a key in the memo. */
export function isMemoId(value: unknown): value is MemoId {
  return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= MAX_ID_LENGTH)
}
