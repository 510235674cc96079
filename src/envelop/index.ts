/** `graphql-cacheback/envelop`: `useCacheback()` for GraphQL Yoga and any envelop server (peer: `@envelop/core`). */
export { useCacheback, type UseCachebackOptions } from './plugin.js'
