/**
 * A CommonJS TypeScript consumer (`.cts`: its imports compile to `require`):
 * it sees the CommonJS declarations of dual packages such as @apollo/server,
 * and the plugin must fit those too. Compiled like all.ts.
 */
import { ApolloServer } from '@apollo/server'
import { buildSchema } from 'graphql'
import { cacheback } from 'graphql-cacheback'
import { cachebackApolloPlugin } from 'graphql-cacheback/apollo'
import { cachebackDirective, cachebackTypeDefs } from 'graphql-cacheback/graphql'
import { RedisStore } from 'graphql-cacheback/redis'

const directive = cachebackDirective()
const schema = directive.transformer(buildSchema(`${cachebackTypeDefs}\ntype Query { hello: String @cacheback(lifetime: 60) }`))
export const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
export const cached = cacheback(async (id: string) => id.length, { name: 'commonjsLength' })
export const store = (url: string) => new RedisStore({ redis: url })
