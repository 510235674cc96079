/**
 * One source of truth: the directive SDL's argument defaults are the ones of
 * defaults.ts, which jobs, the directive, the refresher and the worker use.
 */
import { buildSchema, getDirectiveValues } from 'graphql'
import { describe, expect, it } from 'vitest'
import { cacheback } from '../src/index.js'
import * as defaults from '../src/defaults.js'
import { BeeQueueRefresher } from '../src/bee-queue/index.js'
import { cachebackTypeDefs } from '../src/graphql/index.js'

describe('defaults', () => {
  it('the SDL defaults of @cacheback are those of defaults.ts', () => {
    const schema = buildSchema(`${cachebackTypeDefs}\ntype Query { a: Int @cacheback }`)
    const directive = schema.getDirective('cacheback')!
    const values = getDirectiveValues(directive, schema.getQueryType()!.getFields().a.astNode!) as Record<string, unknown>
    expect({ lifetime: values.lifetime, ttl: values.ttl, fetchOnMiss: values.fetchOnMiss, refreshTimeout: values.refreshTimeout, scope: values.scope, refreshAhead: values.refreshAhead }).toEqual({
      refreshAhead: defaults.DEFAULT_REFRESH_AHEAD,
      lifetime: defaults.DEFAULT_LIFETIME,
      ttl: defaults.DEFAULT_TTL,
      fetchOnMiss: defaults.DEFAULT_FETCH_ON_MISS,
      refreshTimeout: defaults.DEFAULT_REFRESH_TIMEOUT,
      scope: 'PUBLIC',
    })
  })

  it('jobs and the refresher take theirs from defaults.ts', async () => {
    const job = cacheback(async () => 1, { name: 'defaultsProbe' }).job
    expect([job.lifetime(), job.ttl(), job.refreshTimeout(), job.shouldFetchOnMiss(), job.refreshAhead()]).toEqual([
      defaults.DEFAULT_LIFETIME,
      defaults.DEFAULT_TTL,
      defaults.DEFAULT_REFRESH_TIMEOUT,
      defaults.DEFAULT_FETCH_ON_MISS,
      defaults.DEFAULT_REFRESH_AHEAD,
    ])
    const refresher = new BeeQueueRefresher()
    expect([refresher.queueName, refresher.prefix, refresher.maxPayloadBytes, refresher.redis]).toEqual([
      defaults.DEFAULT_QUEUE,
      defaults.DEFAULT_QUEUE_PREFIX,
      defaults.DEFAULT_MAX_PAYLOAD_BYTES,
      defaults.DEFAULT_REDIS_URL,
    ])
    await refresher.close()
  })
})
