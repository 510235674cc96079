/**
 * `cachebackApolloPlugin()`: adds `extensions.cacheback` (hit / stale / miss
 * counts and the stale fields) to each Apollo Server response whose operation
 * read a cached field.
 */
import type { ApolloServerPlugin } from '@apollo/server'
import { takeCacheReads } from '../graphql/cache-reads.js'

/** The part of a result this plugin writes to. */
interface ResultWithExtensions {
  extensions?: Record<string, unknown>
}

/** What the plugin reads of Apollo's `willSendResponse` request context. */
export interface ApolloResponseContext {
  /** The operation's context (it identifies the operation's reads). */
  contextValue: unknown
  /** The response about to be sent. */
  response: { body: { kind: 'single'; singleResult: ResultWithExtensions } | { kind: 'incremental'; initialResult: ResultWithExtensions } }
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

/** The Apollo Server 5 plugin that reports cache reads in the response extensions. */
export function cachebackApolloPlugin(): CachebackApolloPlugin {
  // `satisfies`: checked against the Apollo types this package is built with.
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }: ApolloResponseContext) {
          const reads = takeCacheReads(contextValue)
          if (!reads) return
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult
          result.extensions = { ...result.extensions, cacheback: reads }
        },
      }
    },
  } satisfies ApolloServerPlugin<any>
}
