/**
 * What a process publishes, and where: one hash per process with a TTL of a
 * few publishing intervals (a dead process's figures vanish), and a sorted
 * set indexing the live ones by expiry, so readers find every process
 * without `KEYS` or `SCAN`. Both keys share a hash tag (one Cluster slot).
 *
 * | key | type | content |
 * |---|---|---|
 * | `{<namespace>}:stats` | sorted set | process id -> ms epoch its hash expires |
 * | `{<namespace>}:stats:<process id>` | hash | `info`, `names`, `storeErrors`, `invalidations`, `recentErrors`, `queue`: JSON each |
 */
import type { CountersSnapshot, ErrorRecord, NameCounters } from './process-stats.js'

/** Who published. */
export interface ProcessInfo {
  /** `<host>:<pid>:<random>`. */
  id: string
  /** `server`, `worker`, or what the publisher was told. */
  role: string
  host: string
  pid: number
  /** Ms epoch (wall clock). */
  startedAt: number
  publishedAt: number
  intervalMs: number
}

/** A queue's depth, from bee-queue `checkHealth()`. */
export interface QueueSnapshot {
  name: string
  waiting: number
  active: number
  failed: number
  delayed: number
  /** Ms epoch of the check. */
  checkedAt: number
}

/** Everything one process published. */
export interface PublishedProcess extends CountersSnapshot {
  info: ProcessInfo
  queue?: QueueSnapshot
}

/** The index key (sorted set of live process ids). */
export const statsIndexKey = (namespace: string): string => `{${namespace}}:stats`
/** The hash of one process. */
export const statsProcessKey = (namespace: string, id: string): string => `{${namespace}}:stats:${id}`

/** The hash fields of a publication. */
export function toHash(published: PublishedProcess): Record<string, string> {
  const hash: Record<string, string> = {
    info: JSON.stringify(published.info),
    names: JSON.stringify(published.names),
    storeErrors: JSON.stringify(published.storeErrors),
    invalidations: JSON.stringify(published.invalidations),
    recentErrors: JSON.stringify(published.recentErrors),
  }
  if (published.queue) hash.queue = JSON.stringify(published.queue)
  return hash
}

function parse<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback
  try {
    const value = JSON.parse(text) as unknown
    return value !== null && typeof value === 'object' ? (value as T) : fallback
  } catch {
    return fallback
  }
}

/** A publication read back; undefined when the hash is gone or not ours. */
export function fromHash(hash: Record<string, string>): PublishedProcess | undefined {
  const info = parse<ProcessInfo | undefined>(hash.info, undefined)
  if (!info || typeof info.id !== 'string') return undefined
  const published: PublishedProcess = {
    info,
    names: parse<Record<string, NameCounters>>(hash.names, {}),
    storeErrors: parse<Record<string, number>>(hash.storeErrors, {}),
    invalidations: parse<Record<string, number>>(hash.invalidations, {}),
    recentErrors: parse<ErrorRecord[]>(hash.recentErrors, []),
  }
  const queue = parse<QueueSnapshot | undefined>(hash.queue, undefined)
  if (queue) published.queue = queue
  return published
}
