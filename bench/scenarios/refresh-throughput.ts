import type { Scenario } from '../scenario.js'
export const refreshThroughput: Scenario = { name: 'refresh-throughput', title: 'tbd', pending: 'tbd' }
