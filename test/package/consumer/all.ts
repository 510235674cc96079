/**
 * A strict TypeScript consumer of the GraphQL entry points, `/graphql` (peers
 * graphql, @graphql-tools/utils) and `/apollo` (peer @apollo/server), with
 * every peer installed. Compiled like core.ts (together with it).
 */
import { ApolloServer } from '@apollo/server'
import { buildSchema } from 'graphql'
import { Cacheback } from 'graphql-cacheback'
import { createRefreshWorker } from 'graphql-cacheback/bee-queue'
import { cachebackApolloPlugin } from 'graphql-cacheback/apollo'
import { type RefreshContextFactory, cachebackDirective, cachebackTypeDefs, resolverJobs, takeCacheReads } from 'graphql-cacheback/graphql'

const cache = new Cacheback()
const context: RefreshContextFactory = ({ coordinate, scope }) => ({ coordinate, scope })
const directive = cachebackDirective({ cache, scope: (ctx: { userId?: string }) => ctx.userId, context })
const schema = directive.transformer(buildSchema(`${cachebackTypeDefs}\ntype Query { hello: String @cacheback(lifetime: 60) }`))

export const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
export const jobs = resolverJobs(schema, { cache, context })
export const reads = takeCacheReads({})
export const worker = () => createRefreshWorker({ cache, schema, context })
