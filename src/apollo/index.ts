/** `graphql-cacheback/apollo`: the Apollo Server 5 plugin (peer: `@apollo/server`). */
export { cachebackApolloPlugin, type CachebackApolloPluginOptions } from './plugin.js'
