/**
 * Vitest global setup: one Redis for the whole run, handed to tests as
 * `inject('redisUrl')`. Uses `REDIS_URL` when set, else starts a
 * `redis-server` on a free port and stops it at the end.
 */
import type { TestProject } from 'vitest/node'
import { startRedisServer } from './redis-server.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.REDIS_URL
  if (given) {
    project.provide('redisUrl', given)
    return async () => {}
  }
  const server = await startRedisServer()
  project.provide('redisUrl', server.url)
  return () => server.stop()
}
