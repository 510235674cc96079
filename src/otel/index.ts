/** `graphql-cacheback/otel`: OpenTelemetry metrics of a cache (peer: `@opentelemetry/api`). */
export { cachebackMetrics, type CachebackMetrics, type CachebackMetricsOptions, type QueueHealthSource } from './metrics.js'
