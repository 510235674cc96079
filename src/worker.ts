/**
 * `createRefreshWorker`: the public worker factory. Runs the refreshes of
 * the given jobs and, with `schema`, of every `@cacheback` field of it.
 */
import type { GraphQLSchema } from 'graphql'
import { type RefreshContextFactory, resolverJobs } from './graphql/resolver-jobs.js'
import { type RefreshWorker, type RefreshWorkerOptions, startRefreshWorker } from './refresh/worker.js'

/** Options of `createRefreshWorker`. */
export interface CreateRefreshWorkerOptions extends RefreshWorkerOptions {
  /** A schema (with `@cacheback` in its SDL, transformed or not) whose cached fields this worker refreshes. */
  schema?: GraphQLSchema
  /** Context that refreshed resolvers get, from the coordinate and scope id. @default () => ({}) */
  context?: RefreshContextFactory
}

/** Starts a worker that runs dispatched refreshes: jobs by name, fields by coordinate. */
export function createRefreshWorker(options: CreateRefreshWorkerOptions): RefreshWorker {
  const { schema, context, ...rest } = options
  if (schema) resolverJobs(schema, { cache: options.cache, context })
  return startRefreshWorker(rest)
}
