/**
 * `graphql-cacheback/dashboard` (peer: `ioredis`): every process publishes
 * its counters to Redis (`publishStats`); `startDashboard` serves a page of
 * the whole deployment; `readDeploymentStats` gives the same figures as data.
 */
export { publishStats, type PublishStatsOptions, type StatsPublisher, type HealthCheckedQueue } from './publisher.js'
export { startDashboard, type Dashboard, type DashboardOptions } from './server.js'
export { readDeploymentStats, mergePublications, type DeploymentStats, type NameFigures, type ReadDeploymentOptions } from './deployment.js'
export { ProcessStats, type ProcessStatsOptions, type NameCounters, type ErrorRecord, type CountersSnapshot } from './process-stats.js'
export type { ProcessInfo, PublishedProcess, QueueSnapshot } from './published.js'
export { invalidateFromForm, type InvalidationSelector, type InvalidationMode, type FormInvalidation } from './invalidate.js'
