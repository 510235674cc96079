/**
 * `cachebackApolloPlugin()`: adds `extensions.cacheback` (hit / stale / miss
 * counts and the stale fields) to each Apollo Server response whose operation
 * read a cached field.
 */
import type { ApolloServerPlugin } from '@apollo/server'
import { operationReads } from '../graphql/read-batch.js'

/** The Apollo Server 5 plugin that reports cache reads in the response extensions. */
export function cachebackApolloPlugin(): ApolloServerPlugin<any> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const reads = operationReads(contextValue)
          if (!reads) return
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult
          result.extensions = { ...result.extensions, cacheback: reads }
        },
      }
    },
  }
}
