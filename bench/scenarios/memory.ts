import type { Scenario } from '../scenario.js'
export const memory: Scenario = { name: 'memory', title: 'tbd', pending: 'tbd' }
