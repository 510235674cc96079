/**
 * `cachebackMetrics`: OpenTelemetry instruments fed by a cache's events,
 * through `@opentelemetry/api` only (the application brings the SDK and its
 * exporters). Attribute values are bounded: job names, field coordinates,
 * outcomes and error codes, never a key or an argument value.
 */
import { type Attributes, type Meter, type ObservableResult, metrics } from '@opentelemetry/api'
import type { Cacheback } from '../cacheback.js'
import { errorCodeOf } from '../errors.js'
import type { CachebackEvent } from '../events.js'

/** What `cacheback.queue.jobs` reads: bee-queue's `Queue#checkHealth()` (a worker's `worker.queue`). */
export interface QueueHealthSource {
  checkHealth(): Promise<{ waiting: number; active: number; failed: number }>
}

/** Options of {@link cachebackMetrics}. */
export interface CachebackMetricsOptions {
  /** The cache whose events are recorded. */
  cache: Cacheback
  /** Meter to create the instruments on. @default metrics.getMeter('graphql-cacheback') (the global meter provider's) */
  meter?: Meter
  /**
   * A worker's queue (`worker.queue`): adds the observable gauge
   * `cacheback.queue.jobs` {state: waiting | active | failed}, read with
   * `checkHealth()` at each collection. @default none (no queue gauge)
   */
  queue?: QueueHealthSource
}

/** Recording metrics; `stop()` removes the listener and the queue callback. */
export interface CachebackMetrics {
  /** Stops recording (instruments stay registered with the meter, unchanged). */
  stop(): void
  /** Same as `stop()`. */
  close(): void
}

/** Histogram bucket bounds of the durations, seconds. */
const DURATION_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** The name attribute of an event: its field coordinate, else its job name. */
function nameOf(event: { job?: string; coordinate?: string }): string {
  return event.coordinate ?? event.job ?? 'unknown'
}

/** Creates the instruments and records the cache's events on them until `stop()`. */
export function cachebackMetrics(options: CachebackMetricsOptions): CachebackMetrics {
  const meter = options.meter ?? metrics.getMeter('graphql-cacheback')
  const duration = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS_S } }
  const reads = meter.createCounter('cacheback.reads', { description: 'Cache reads by outcome (hit, stale, miss) and job name or field coordinate; hits by tier (l1, store)' })
  const refreshes = meter.createCounter('cacheback.refreshes', { description: 'Finished refreshes by result (succeeded, failed) and who ran them (in-process, bee-queue)' })
  const fetchDuration = meter.createHistogram('cacheback.fetch.duration', { ...duration, description: 'Duration of every fetch of a value (synchronous and refresh, failed ones too)' })
  const refreshDuration = meter.createHistogram('cacheback.refresh.duration', { ...duration, description: 'Duration of every refresh that ran (fetch plus store)' })
  const storeErrors = meter.createCounter('cacheback.store.errors', { description: 'Store, queue and stored-data failures (the read failed open), by error code' })
  const invalidations = meter.createCounter('cacheback.invalidations', { description: 'Invalidations by what they selected (entity, coordinate, tag, key)' })

  const record = (event: CachebackEvent): void => {
    switch (event.type) {
      case 'hit':
        return reads.add(1, { outcome: 'hit', name: nameOf(event), tier: event.tier })
      case 'stale':
      case 'miss':
        return reads.add(1, { outcome: event.type, name: nameOf(event) })
      case 'fetch':
        return fetchDuration.record(event.fetchMs / 1000, { name: nameOf(event), result: event.error === undefined ? 'succeeded' : 'failed' })
      case 'refresh-succeeded':
        refreshes.add(1, { result: 'succeeded', via: event.via })
        return refreshDuration.record(event.refreshMs / 1000, { name: nameOf(event), result: 'succeeded' })
      case 'refresh-failed':
        refreshes.add(1, event.via === undefined ? { result: 'failed' } : { result: 'failed', via: event.via })
        if (event.refreshMs !== undefined) refreshDuration.record(event.refreshMs / 1000, { name: nameOf(event), result: 'failed' })
        return
      case 'store-error':
        return storeErrors.add(1, { code: errorCodeOf(event.error) })
      case 'invalidated':
        return invalidations.add(1, { kind: event.kind })
    }
  }
  const removeListener = options.cache.addListener(record)
  const removeGauge = options.queue ? observeQueue(meter, options.queue) : () => undefined
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    removeListener()
    removeGauge()
  }
  return { stop, close: stop }
}

/** The `cacheback.queue.jobs` gauge; returns what removes its callback. */
function observeQueue(meter: Meter, queue: QueueHealthSource): () => void {
  const gauge = meter.createObservableGauge('cacheback.queue.jobs', { description: 'Refresh jobs in the queue by state (waiting, active, failed), from bee-queue checkHealth' })
  const callback = async (result: ObservableResult<Attributes>) => {
    let health: Awaited<ReturnType<QueueHealthSource['checkHealth']>>
    try {
      health = await queue.checkHealth()
    } catch {
      return // queue unreachable: no observation this collection (the worker reports the error)
    }
    for (const state of ['waiting', 'active', 'failed'] as const) result.observe(health[state], { state })
  }
  gauge.addCallback(callback)
  return () => gauge.removeCallback(callback)
}
