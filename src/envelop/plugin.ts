/**
 * `useCacheback()`: the envelop plugin (GraphQL Yoga 5 and any envelop
 * server) that adds `extensions.cacheback` to each result that read a cached
 * field: a single result, each payload of an incremental (`@defer` /
 * `@stream`) result, each event of a subscription. The figures come from
 * `takeCacheReads` on the context the execution ran with; reads are grouped
 * per execution by the directive itself (no state here).
 */
import { type Plugin, isAsyncIterable } from '@envelop/core'
import type { ExecutionResult } from 'graphql'
import { CachebackError } from '../errors.js'
import { takeCacheReads } from '../graphql/cache-reads.js'

/** Options of `useCacheback`. */
export interface UseCachebackOptions {
  /**
   * Invalidate the entity of every object with an identity that a mutation
   * returns (SPEC section 5). Needs the invalidation feature: until it is
   * part of this build, passing `true` throws `E_INVALID_OPTION`.
   * @default false
   */
  invalidateOnMutation?: boolean
}

/** A result with the cache reads recorded on `context` since the last payload (unchanged when there are none). */
function withReads<T extends { extensions?: Record<string, unknown> }>(result: T, context: unknown): T {
  const reads = takeCacheReads(context)
  if (!reads) return result
  return { ...result, extensions: { ...result.extensions, cacheback: reads } }
}

/**
 * The hook that invalidation wires: given the options, returns what the
 * plugin runs after a mutation's result, or undefined when off. Until
 * invalidation is built, asking for it is an error, never a silent no-op.
 */
function mutationInvalidation(options: UseCachebackOptions): undefined {
  if (!options.invalidateOnMutation) return undefined
  throw new CachebackError('E_INVALID_OPTION', 'useCacheback({ invalidateOnMutation }) needs the invalidation feature, which this build of graphql-cacheback does not have yet')
}

/**
 * The envelop plugin reporting cache reads in `extensions.cacheback`.
 *
 * @example
 * const yoga = createYoga({ schema: cachebackDirective({ cache }).transformer(schema), plugins: [useCacheback()] })
 */
export function useCacheback(options: UseCachebackOptions = {}): Plugin<Record<string, any>> {
  mutationInvalidation(options)
  return {
    onExecute({ context }) {
      return {
        onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) {
            setResult(withReads(result as ExecutionResult, context))
            return undefined
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
