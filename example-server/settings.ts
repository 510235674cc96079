/**
 * The example's settings, read from the environment by the server and the
 * worker alike (both must agree on lifetimes, namespace and queue).
 *
 * | variable              | default                 | meaning                                          |
 * |-----------------------|-------------------------|--------------------------------------------------|
 * | `PORT`                | 4000                    | GraphQL server port; 0 picks a free one          |
 * | `UPSTREAM_PORT`       | 4001                    | port of the upstream the server starts           |
 * | `UPSTREAM_URL`        | -                       | use this upstream instead (the worker: default `http://127.0.0.1:4001`) |
 * | `UPSTREAM_LATENCY_MS` | 300                     | delay of every upstream answer                   |
 * | `REDIS_URL`           | -                       | set: Redis store + bee-queue workers; unset: embedded |
 * | `CACHEBACK_NAMESPACE` | `cacheback-example`     | cache key prefix                                 |
 * | `CACHEBACK_QUEUE`     | `cacheback-example`     | bee-queue queue of the refreshes                 |
 * | `TWEETS_LIFETIME`     | 5                       | seconds tweets and timelines stay fresh          |
 * | `PROFILE_LIFETIME`    | 10                      | seconds a profile stays fresh                    |
 * | `REFRESH_TIMEOUT`     | 60                      | seconds one dispatched refresh holds its key     |
 * | `STALL_INTERVAL_MS`   | 5000                    | worker: ms between stalled-job checks (a dead worker's refresh reruns after about this long) |
 */

/** Lifetimes of the cached fields, whole seconds (the directive takes an Int). */
export interface Lifetimes {
  tweets: number
  profile: number
}

/** Everything the example reads from the environment. */
export interface ExampleSettings {
  port: number
  upstreamPort: number
  upstreamUrl?: string
  upstreamLatencyMs: number
  redisUrl?: string
  namespace: string
  queue: string
  lifetimes: Lifetimes
  /** Seconds one dispatched refresh holds its key (`refreshTimeout` of every cached field); undefined: the directive's default. */
  refreshTimeout?: number
  /** Worker: ms between bee-queue stalled-job checks; undefined: the library's default. */
  stallIntervalMs?: number
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number
function integer(env: NodeJS.ProcessEnv, name: string, fallback: undefined, min: number): number | undefined
function integer(env: NodeJS.ProcessEnv, name: string, fallback: number | undefined, min: number): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`)
  return value
}

/** Reads the settings; a malformed number is an error naming the variable. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): ExampleSettings {
  return {
    port: integer(env, 'PORT', 4000, 0),
    upstreamPort: integer(env, 'UPSTREAM_PORT', 4001, 0),
    upstreamUrl: env.UPSTREAM_URL || undefined,
    upstreamLatencyMs: integer(env, 'UPSTREAM_LATENCY_MS', 300, 0),
    redisUrl: env.REDIS_URL || undefined,
    namespace: env.CACHEBACK_NAMESPACE || 'cacheback-example',
    queue: env.CACHEBACK_QUEUE || 'cacheback-example',
    lifetimes: { tweets: integer(env, 'TWEETS_LIFETIME', 5, 1), profile: integer(env, 'PROFILE_LIFETIME', 10, 1) },
    refreshTimeout: integer(env, 'REFRESH_TIMEOUT', undefined, 1),
    stallIntervalMs: integer(env, 'STALL_INTERVAL_MS', undefined, 1),
  }
}
