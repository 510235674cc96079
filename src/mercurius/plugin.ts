/**
 * `mercuriusCacheback`: the Fastify plugin for Mercurius. Register it after
 * `mercurius`; it transforms the schema Mercurius keeps (`app.graphql.schema`)
 * once every resolver and loader is defined (on `onReady`), transforms any
 * schema given later to `replaceSchema`, and adds `extensions.cacheback` to
 * each result (Mercurius' `onResolution` and `onSubscriptionResolution`
 * hooks).
 *
 * Mercurius sets field resolvers by assigning them on the schema in place
 * (its `resolvers` and `loaders` options, `defineResolvers`,
 * `defineLoaders`), which silently replaces the cached wrappers of a schema
 * transformed before. The plugin makes that loud: a pre-transformed schema
 * whose wrapper was replaced, or a `defineResolvers`/`defineLoaders` call
 * after the transform that would replace one, is `E_SCHEMA` naming the
 * coordinate.
 */
import type { FastifyInstance } from 'fastify'
import { type GraphQLSchema, isObjectType } from 'graphql'
import type {} from 'mercurius'
import { CachebackError } from '../errors.js'
import { takeCacheReads } from '../graphql/cache-reads.js'
import { type CachebackDirectiveOptions, cachebackDirective, isCachedResolver } from '../graphql/directive.js'

/** Options of `mercuriusCacheback`: those of `cachebackDirective` (the cache, the scope function, the refresh context). */
export type MercuriusCachebackOptions = CachebackDirectiveOptions

type Resolvers = Record<string, unknown>

/** The cached fields of a schema: coordinate -> whether its resolver is still the cached wrapper. */
function cachedFields(schema: GraphQLSchema): Map<string, boolean> {
  const found = new Map<string, boolean>()
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue
    for (const field of Object.values(type.getFields())) {
      if (field.extensions?.cacheback) found.set(`${type.name}.${field.name}`, isCachedResolver(field.resolve))
    }
  }
  return found
}

/** The schema to serve: transformed now, or transformed before and intact (else `E_SCHEMA` naming the replaced field). */
function transformOnce(schema: GraphQLSchema, transformer: (schema: GraphQLSchema) => GraphQLSchema): GraphQLSchema {
  const fields = cachedFields(schema)
  if (fields.size === 0) return transformer(schema)
  for (const [coordinate, intact] of fields) {
    if (!intact) {
      throw new CachebackError(
        'E_SCHEMA',
        `${coordinate}: the schema given to Mercurius was already transformed by cachebackDirective, and a resolver or loader Mercurius defined replaced the cached resolver of ${coordinate} (it would be served uncached). Give Mercurius the untransformed schema and let mercuriusCacheback transform it.`,
        { coordinate },
      )
    }
  }
  return schema
}

/** Throws `E_SCHEMA` when defining `resolvers` now would replace a cached resolver of the served schema. */
function refuseReplacing(schema: GraphQLSchema, resolvers: Resolvers, call: string): void {
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName)
    if (!isObjectType(type) || typeof fields !== 'object' || fields === null) continue
    for (const fieldName of Object.keys(fields)) {
      const field = type.getFields()[fieldName]
      if (field && isCachedResolver(field.resolve)) {
        const coordinate = `${typeName}.${fieldName}`
        throw new CachebackError('E_SCHEMA', `${coordinate}: ${call} after mercuriusCacheback transformed the schema would replace its cached resolver; define resolvers and loaders before app.ready()`, { coordinate })
      }
    }
  }
}

async function plugin(app: FastifyInstance, options: MercuriusCachebackOptions): Promise<void> {
  const graphql = app.graphql
  if (!graphql?.replaceSchema) {
    throw new CachebackError('E_INVALID_OPTION', 'mercuriusCacheback: register mercurius before it (app.register(mercurius, ...), then app.register(mercuriusCacheback, ...))')
  }
  const { transformer } = cachebackDirective(options)
  const replaceSchema = graphql.replaceSchema.bind(graphql)
  let transformed = false
  app.addHook('onReady', async () => {
    replaceSchema(transformOnce(graphql.schema, transformer))
    transformed = true
  })
  graphql.replaceSchema = (schema: GraphQLSchema) => replaceSchema(transformed ? transformOnce(schema, transformer) : schema)
  const defineResolvers = graphql.defineResolvers.bind(graphql)
  graphql.defineResolvers = (resolvers: Resolvers) => {
    if (transformed) refuseReplacing(graphql.schema, resolvers, 'defineResolvers')
    return defineResolvers(resolvers as never)
  }
  const defineLoaders = graphql.defineLoaders.bind(graphql)
  graphql.defineLoaders = (loaders: Resolvers) => {
    if (transformed) refuseReplacing(graphql.schema, loaders, 'defineLoaders')
    return defineLoaders(loaders as never)
  }
  const addReads = async (execution: { extensions?: Record<string, unknown> }, context: unknown) => {
    const reads = takeCacheReads(context)
    if (reads) execution.extensions = { ...execution.extensions, cacheback: reads }
  }
  graphql.addHook('onResolution', addReads)
  graphql.addHook('onSubscriptionResolution', addReads)
}

// What fastify-plugin sets: run in the registering context (where `app.graphql` lives), after mercurius.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'graphql-cacheback',
  [Symbol.for('plugin-meta')]: { name: 'graphql-cacheback', fastify: '5.x', dependencies: ['mercurius'] },
})

/**
 * The Fastify plugin that serves Mercurius' schema through the cache and
 * reports cache reads in `extensions.cacheback`.
 *
 * @example
 * app.register(mercurius, { schema: cachebackTypeDefs + typeDefs, resolvers })
 * app.register(mercuriusCacheback, { cache })
 */
export const mercuriusCacheback: (app: FastifyInstance, options: MercuriusCachebackOptions) => Promise<void> = plugin
