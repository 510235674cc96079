/**
 * The SDL of the `@cacheback` directive and its `CachebackScope` enum, read
 * from `schema-directives/cacheback.graphql` (shipped with the package; the
 * relative path is the same from `src/graphql/` and `dist/graphql/`).
 */
import { readFileSync } from 'node:fs'

export const cachebackTypeDefs: string = readFileSync(new URL('../../schema-directives/cacheback.graphql', import.meta.url), 'utf8')
