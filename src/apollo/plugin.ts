/**
 * `cachebackApolloPlugin()`: adds `extensions.cacheback` (hit / stale / miss
 * counts and the stale fields) to each Apollo Server response whose operation
 * read a cached field; with `invalidateOnMutation`, invalidates the entities
 * a mutation returned before its response is sent.
 */
import type { ApolloServerPlugin } from '@apollo/server'
import type { CachebackDirective } from '../graphql/directive.js'
import { invalidateMutationResult } from '../graphql/mutation-result.js'
import { operationReads } from '../graphql/read-batch.js'
import { schemaCacheOf } from '../graphql/schema-directives.js'
import { storeErrorEvent } from '../events.js'
import type { InvalidationMode } from '../invalidation/selectors.js'

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

/** The Apollo Server 5 plugin that reports cache reads in the response extensions (and invalidates what mutations return). */
export function cachebackApolloPlugin(options: CachebackApolloPluginOptions = {}): ApolloServerPlugin<any> {
  const { invalidateOnMutation = false, mutationInvalidationMode } = options
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, schema, document, operation, operationName }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult
          if (invalidateOnMutation && operation?.operation === 'mutation' && document) {
            const directive = invalidateOnMutation === true ? schemaCacheOf(schema) : invalidateOnMutation
            await invalidateMutationResult({ schema, document, operationName, data: result.data }, { directive, mode: mutationInvalidationMode }).catch((error: unknown) => directive?.cache.emit(storeErrorEvent(error)))
          }
          const reads = operationReads(contextValue)
          if (!reads) return
          result.extensions = { ...result.extensions, cacheback: reads }
        },
      }
    },
  }
}
