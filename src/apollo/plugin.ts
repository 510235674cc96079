/**
 * `cachebackApolloPlugin()`: adds `extensions.cacheback` (hit / stale / miss
 * counts and the stale fields) to each Apollo Server response whose operation
 * read a cached field; with `invalidateOnMutation`, invalidates the entities
 * a mutation returned before its response is sent.
 */
import type { ApolloServerPlugin } from '@apollo/server'
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql'
import { storeErrorEvent } from '../events.js'
import { takeCacheReads } from '../graphql/cache-reads.js'
import type { CachebackDirective } from '../graphql/directive.js'
import { invalidateMutationResult } from '../graphql/mutation-result.js'
import { schemaCacheOf } from '../graphql/schema-directives.js'
import type { InvalidationMode } from '../invalidation/selectors.js'

/** The part of a result this plugin writes to. */
interface ResultWithExtensions {
  data?: Record<string, unknown> | null
  extensions?: Record<string, unknown>
}

/** What the plugin reads of Apollo's `willSendResponse` request context. */
export interface ApolloResponseContext {
  /** The operation's context (it identifies the operation's reads). */
  contextValue: unknown
  /** The response about to be sent. */
  response: { body: { kind: 'single'; singleResult: ResultWithExtensions } | { kind: 'incremental'; initialResult: ResultWithExtensions } }
  schema: GraphQLSchema
  document?: DocumentNode
  operation?: OperationDefinitionNode
  operationName?: string | null
}

/** Options of {@link cachebackApolloPlugin}. */
export interface CachebackApolloPluginOptions {
  /**
   * After a mutation resolves (before its response is sent), every object
   * with an identity in its result (`id`, or its type's `keyFields`, among
   * the selected fields) invalidates its entity: every cached field read on
   * it. `true` uses the directive that transformed the server's schema; pass
   * the directive itself when the schema was transformed again afterwards.
   * A failed invalidation is reported as a `store-error` event; the response
   * is sent either way.
   * @default false
   */
  invalidateOnMutation?: boolean | CachebackDirective
  /** Mode of those invalidations. @default 'stale' */
  mutationInvalidationMode?: InvalidationMode
}

/**
 * The plugin: an Apollo Server 5 `ApolloServerPlugin`, typed by shape so it
 * fits Apollo's ES module and CommonJS type declarations alike (a CommonJS
 * TypeScript project sees the latter; their classes do not mix).
 */
export interface CachebackApolloPlugin {
  /** Apollo's hook: the listener that writes `extensions.cacheback` in `willSendResponse`. */
  requestDidStart(): Promise<{ willSendResponse(requestContext: ApolloResponseContext): Promise<void> }>
}

async function invalidateMutation(context: ApolloResponseContext, result: ResultWithExtensions, options: CachebackApolloPluginOptions): Promise<void> {
  const { schema, document, operation, operationName } = context
  if (!options.invalidateOnMutation || operation?.operation !== 'mutation' || !document) return
  const directive = options.invalidateOnMutation === true ? schemaCacheOf(schema) : options.invalidateOnMutation
  await invalidateMutationResult({ schema, document, operationName: operationName ?? undefined, data: result.data ?? undefined }, { directive, mode: options.mutationInvalidationMode }).catch((error: unknown) =>
    directive?.cache.emit(storeErrorEvent(error)),
  )
}

/** The Apollo Server 5 plugin that reports cache reads in the response extensions (and invalidates what mutations return). */
export function cachebackApolloPlugin(options: CachebackApolloPluginOptions = {}): CachebackApolloPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(context: ApolloResponseContext) {
          const { response, contextValue } = context
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult
          await invalidateMutation(context, result, options)
          const reads = takeCacheReads(contextValue)
          if (!reads) return
          result.extensions = { ...result.extensions, cacheback: reads }
        },
      }
    },
  } satisfies ApolloServerPlugin<any>
}
