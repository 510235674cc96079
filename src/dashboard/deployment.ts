/**
 * The whole deployment's figures: every live process's publication, read
 * from Redis (the index, then one `HGETALL` per process in one pipeline) and
 * merged. What the dashboard page and `cacheback stats` show.
 */
/** An ioredis client (the dashboard and the ops command use commands beyond the store's). */
type RedisClient = import('ioredis').Redis | import('ioredis').Cluster
import { type Buckets, countOf, mergeBuckets, quantileMs } from './histogram.js'
import { type ErrorRecord, type NameCounters, emptyCounters } from './process-stats.js'
import { type ProcessInfo, type PublishedProcess, type QueueSnapshot, fromHash, statsIndexKey, statsProcessKey } from './published.js'

/** Counters of one name across the deployment, with refresh latency quantiles. */
export interface NameFigures extends Omit<NameCounters, 'refreshMs'> {
  name: string
  /** Reads that were hits, 0..1 (undefined before any read). */
  hitRatio?: number
  /** Refresh latency quantiles, ms (undefined before any refresh ran). */
  refreshP50Ms?: number
  refreshP99Ms?: number
}

/** What the dashboard shows. */
export interface DeploymentStats {
  namespace: string
  /** When read, ms epoch. */
  at: number
  processes: (ProcessInfo & { queue?: string })[]
  /** Per job name or field coordinate, most read first. */
  names: NameFigures[]
  /** All names together. */
  totals: Omit<NameFigures, 'name'>
  /** Each queue's depth, from the process that checked it last. */
  queues: QueueSnapshot[]
  storeErrors: Record<string, number>
  invalidations: Record<string, number>
  /** Newest first, from every process. */
  recentErrors: ErrorRecord[]
}

/** Processes read at most (the index is pruned of dead ones on every read). */
const MAX_PROCESSES = 1000
/** Recent errors shown. */
const MAX_ERRORS = 30

/** Options of {@link readDeploymentStats}. */
export interface ReadDeploymentOptions {
  redis: RedisClient
  namespace: string
  /** Wall clock, ms. @default Date.now */
  now?: () => number
}

/** Reads and merges every live process's publication. */
export async function readDeploymentStats(options: ReadDeploymentOptions): Promise<DeploymentStats> {
  const { redis, namespace } = options
  const at = (options.now ?? Date.now)()
  const index = statsIndexKey(namespace)
  const ids = await redis.zrangebyscore(index, at, '+inf', 'LIMIT', 0, MAX_PROCESSES)
  const pipeline = redis.pipeline()
  for (const id of ids) pipeline.hgetall(statsProcessKey(namespace, id))
  const replies = ids.length ? ((await pipeline.exec()) ?? []) : []
  const published = replies.map(([error, hash]) => (error ? undefined : fromHash(hash as Record<string, string>))).filter((p): p is PublishedProcess => p !== undefined)
  return mergePublications(namespace, at, published)
}

/** Merges publications into the deployment's figures. */
export function mergePublications(namespace: string, at: number, published: readonly PublishedProcess[]): DeploymentStats {
  const names = new Map<string, NameCounters>()
  const all = emptyCounters()
  const storeErrors: Record<string, number> = {}
  const invalidations: Record<string, number> = {}
  const queues = new Map<string, QueueSnapshot>()
  const errors: ErrorRecord[] = []
  for (const process of published) {
    for (const [name, counters] of Object.entries(process.names)) {
      if (!names.has(name)) names.set(name, emptyCounters())
      addCounters(names.get(name)!, counters)
      addCounters(all, counters)
    }
    addCounts(storeErrors, process.storeErrors)
    addCounts(invalidations, process.invalidations)
    const queue = process.queue
    if (queue && (queues.get(queue.name)?.checkedAt ?? -Infinity) < queue.checkedAt) queues.set(queue.name, queue)
    for (const error of process.recentErrors) errors.push({ ...error, process: process.info.id })
  }
  const figures = [...names].map(([name, counters]) => ({ name, ...figuresOf(counters) }))
  figures.sort((a, b) => b.hit + b.stale + b.miss - (a.hit + a.stale + a.miss) || a.name.localeCompare(b.name))
  return {
    namespace,
    at,
    processes: published.map((p) => ({ ...p.info, ...(p.queue ? { queue: p.queue.name } : {}) })).sort((a, b) => a.role.localeCompare(b.role) || a.id.localeCompare(b.id)),
    names: figures,
    totals: figuresOf(all),
    queues: [...queues.values()].sort((a, b) => a.name.localeCompare(b.name)),
    storeErrors,
    invalidations,
    recentErrors: errors.sort((a, b) => b.at - a.at).slice(0, MAX_ERRORS),
  }
}

const COUNTER_FIELDS = ['hit', 'stale', 'miss', 'fetches', 'fetchFailures', 'refreshes', 'refreshFailures'] as const

function addCounters(into: NameCounters, from: Partial<NameCounters>): void {
  for (const field of COUNTER_FIELDS) into[field] += Number(from[field]) || 0
  if (from.refreshMs && typeof from.refreshMs === 'object') mergeBuckets(into.refreshMs, from.refreshMs)
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [label, count] of Object.entries(from)) into[label] = (into[label] ?? 0) + (Number(count) || 0)
}

function figuresOf(counters: NameCounters): Omit<NameFigures, 'name'> {
  const { refreshMs, ...counts } = counters
  const reads = counts.hit + counts.stale + counts.miss
  const figures: Omit<NameFigures, 'name'> = { ...counts }
  if (reads > 0) figures.hitRatio = counts.hit / reads
  const latency: Buckets = refreshMs
  if (countOf(latency) > 0) {
    figures.refreshP50Ms = quantileMs(latency, 0.5)
    figures.refreshP99Ms = quantileMs(latency, 0.99)
  }
  return figures
}
