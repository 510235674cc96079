/** `graphql-cacheback/apollo`: the Apollo Server 5 plugin (peer: `@apollo/server`). */
export { cachebackApolloPlugin, type CachebackApolloPlugin, type CachebackApolloPluginOptions, type ApolloResponseContext } from './plugin.js'
