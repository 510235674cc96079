/**
 * `useCacheback()`: the envelop plugin (GraphQL Yoga 5 and any envelop
 * server) that adds `extensions.cacheback` to each result that read a cached
 * field: a single result, each payload of an incremental (`@defer` /
 * `@stream`) result, each event of a subscription. The figures come from
 * `takeCacheReads` on the context the execution ran with; reads are grouped
 * per execution by the directive itself (no state here). With
 * `invalidateOnMutation`, a mutation's result invalidates the entities it holds.
 */
import { type Plugin, isAsyncIterable } from '@envelop/core'
import { type DocumentNode, type ExecutionResult, type GraphQLSchema, getOperationAST } from 'graphql'
import { storeErrorEvent } from '../events.js'
import { takeCacheReads } from '../graphql/cache-reads.js'
import { invalidateMutationResult } from '../graphql/mutation-result.js'
import { type SchemaCache, schemaCacheOf } from '../graphql/schema-directives.js'
import type { InvalidationMode } from '../invalidation/selectors.js'

/** Options of `useCacheback`. */
export interface UseCachebackOptions {
  /**
   * After a mutation resolves (before its result is sent), every object with
   * an identity in its result (`id`, or its type's `keyFields`, among the
   * selected fields) invalidates its entity: every cached field read on it.
   * `true` uses the directive that transformed the executed schema; pass the
   * directive itself when the schema was transformed again afterwards. A
   * failed invalidation is reported as a `store-error` event; the result is
   * sent either way.
   * @default false
   */
  invalidateOnMutation?: boolean | SchemaCache
  /** Mode of those invalidations. @default 'stale' */
  mutationInvalidationMode?: InvalidationMode
}

/** A result with the cache reads recorded on `context` since the last payload (unchanged when there are none). */
function withReads<T extends { extensions?: Record<string, unknown> }>(result: T, context: unknown): T {
  const reads = takeCacheReads(context)
  if (!reads) return result
  return { ...result, extensions: { ...result.extensions, cacheback: reads } }
}

/** What an execution ran: the schema, the document and the operation name. */
interface Executed {
  schema: GraphQLSchema
  document: DocumentNode
  operationName?: string | null
}

/** Invalidates the entities a mutation's result holds, when the option asks for it; failures are reported, never thrown. */
async function invalidateAfterMutation(options: UseCachebackOptions, executed: Executed, result: ExecutionResult): Promise<void> {
  const { invalidateOnMutation } = options
  if (!invalidateOnMutation || getOperationAST(executed.document, executed.operationName ?? undefined)?.operation !== 'mutation') return
  const directive = invalidateOnMutation === true ? schemaCacheOf(executed.schema) : invalidateOnMutation
  await invalidateMutationResult({ ...executed, data: result.data ?? undefined }, { directive, mode: options.mutationInvalidationMode }).catch((error: unknown) => directive?.cache.emit(storeErrorEvent(error)))
}

/**
 * The envelop plugin reporting cache reads in `extensions.cacheback`.
 *
 * @example
 * const yoga = createYoga({ schema: cachebackDirective({ cache }).transformer(schema), plugins: [useCacheback()] })
 */
export function useCacheback(options: UseCachebackOptions = {}): Plugin<Record<string, any>> {
  return {
    onExecute({ args, context }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) {
            setResult(withReads(result as ExecutionResult, context))
            return options.invalidateOnMutation ? invalidateAfterMutation(options, args, result as ExecutionResult) : undefined
          }
          return { onNext: ({ result: payload, setResult: setPayload }) => setPayload(withReads(payload as ExecutionResult, context)) }
        },
      }
    },
    onSubscribe({ context }) {
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) return undefined
          return { onNext: ({ result: event, setResult: setEvent }) => setEvent(withReads(event, context)) }
        },
      }
    },
  }
}
