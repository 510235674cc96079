/**
 * Every scenario, in the order a full run takes them. Adding one: a file in
 * this folder exporting a `Scenario`, and a line here.
 */
import type { Scenario } from '../scenario.js'
import { functionHit } from './function-hit.js'
import { graphqlList } from './graphql-list.js'
import { invalidation } from './invalidation.js'
import { graphqlListL1 } from './graphql-list-l1.js'
import { l1Invalidation } from './l1-invalidation.js'
import { l1Memory } from './l1-memory.js'
import { memory } from './memory.js'
import { refreshThroughput } from './refresh-throughput.js'
import { staleStorm } from './stale-storm.js'
import { steadyLoad } from './steady-load.js'

export const scenarios: readonly Scenario[] = [functionHit, graphqlList, graphqlListL1, staleStorm, steadyLoad, refreshThroughput, memory, invalidation, l1Invalidation, l1Memory]
