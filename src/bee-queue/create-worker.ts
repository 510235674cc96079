/**
 * `createRefreshWorker`: the public worker factory. Runs the refreshes of
 * the given jobs and, with `schema`, of every `@cacheback` field of it (the
 * GraphQL code is loaded only then, so a worker of plain jobs needs no
 * `graphql` package).
 */
import type { GraphQLSchema } from 'graphql'
import { type RefreshWorker, type RefreshWorkerOptions, startRefreshWorker } from './worker.js'

/**
 * A `GraphQLSchema` of `graphql` 16, typed by shape so that a worker of plain
 * jobs compiles without `graphql` installed.
 */
export interface WorkerSchema {
  getTypeMap(): object
  getQueryType(): unknown
}

/** Options of `createRefreshWorker`. */
export interface CreateRefreshWorkerOptions extends Omit<RefreshWorkerOptions, 'jobsReady'> {
  /** A schema (with `@cacheback` in its SDL, transformed or not) whose cached fields this worker refreshes. */
  schema?: WorkerSchema
  /**
   * Context that refreshed resolvers get, from the coordinate and scope id
   * (the `RefreshContextFactory` of `graphql-cacheback/graphql`).
   * @default () => ({})
   */
  context?: (input: { coordinate: string; scope: string | undefined }) => object | Promise<object>
}

/** Starts a worker that runs dispatched refreshes: jobs by name, fields by coordinate. */
export function createRefreshWorker(options: CreateRefreshWorkerOptions): RefreshWorker {
  const { schema, context, ...rest } = options
  const jobsReady = schema ? import('../graphql/resolver-jobs.js').then(({ resolverJobs }) => resolverJobs(schema as GraphQLSchema, { cache: options.cache, context })) : undefined
  return startRefreshWorker({ ...rest, jobsReady })
}
