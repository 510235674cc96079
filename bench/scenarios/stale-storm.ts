/**
 * `stale-storm`: 1,000 keys go stale at once under 100 concurrent clients
 * spread over two server processes sharing Redis and one worker; latency
 * during the storm against the fresh-hit p99, upstream calls, time until
 * all keys are fresh again. The same with mercurius-cache (`stale`).
 */
import type { Scenario } from '../scenario.js'

export const staleStorm: Scenario = {
  name: 'stale-storm',
  title: 'everything stale at once: latency during the storm, upstream calls, time to fresh',
  pending: 'waits for the GraphQL layer (src/graphql/)',
}
