/**
 * A value nested too deep to inspect or serialize (10,000 levels) is refused
 * with a coded `E_UNSERIALIZABLE_VALUE` naming the job, never an uncoded
 * RangeError; the fetched value reaches the caller when the job's
 * `unstorable` hook allows it (as GraphQL fields do), nothing is stored, and a
 * refresh that fetches one fails with the code while the stale value stays.
 */
import { once } from 'node:events'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cacheback, CachebackError, Job, cacheback } from '../src/index.js'
import { MAX_VALUE_DEPTH } from '../src/defaults.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from './helpers/engine.js'

/** `{ next: { next: … { next: null } } }`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = null
  for (let i = 0; i < levels; i++) value = { next: value }
  return value
}

describe.each(ENGINE_KINDS)('deep values on %s', (kind) => {
  let setup: EngineSetup
  beforeEach(() => {
    setup = createEngineSetup(kind)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('a function job rejects with E_UNSERIALIZABLE_VALUE naming the job; nothing is stored', async () => {
    const deep = cacheback(async (_user: string) => nested(10_000), { name: 'deepTweets', cache: setup.process() })
    const error = await deep('ann').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CachebackError)
    expect(error).toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE', job: 'deepTweets', key: deep.job.keyFor('ann') })
    expect((error as Error).message).toMatch(new RegExp(`nested deeper than ${MAX_VALUE_DEPTH} levels`))
    expect(setup.log.of('store-error').map((e) => (e.error as CachebackError).code)).toEqual(['E_UNSERIALIZABLE_VALUE'])
    expect(await deep.peek('ann')).toEqual({ status: 'miss' })
    await expect(deep.set(['ann'], nested(10_000))).rejects.toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE', job: 'deepTweets' })
  })

  it('a job whose unstorable hook serves the value uncached gives the caller the fetched value', async () => {
    const value = nested(10_000)
    let calls = 0
    class DeepTree extends Job<[string], unknown> {
      fetch(): unknown {
        calls++
        return value
      }
      override unstorable(_error: CachebackError, fetched: unknown): unknown {
        return fetched
      }
    }
    const tree = new DeepTree({ cache: setup.process() })
    expect(await tree.read('ann')).toMatchObject({ status: 'miss' })
    expect((await tree.read('ann')).value).toBe(value) // served uncached: fetched again, the very object
    expect(calls).toBe(2)
    expect(await tree.peek('ann')).toEqual({ status: 'miss' })
  })

  it('a value just inside the limit is stored and read back', async () => {
    const job = cacheback(async (_user: string) => nested(MAX_VALUE_DEPTH - 1), { name: 'deepButFine', cache: setup.process() })
    await job('ann')
    expect(await job.read('ann')).toMatchObject({ status: 'hit', value: nested(MAX_VALUE_DEPTH - 1) })
  })

  it('a refresh that fetches a too-deep value fails with the code; the stale value stays served', async () => {
    let calls = 0
    const make = (cache: Cacheback) => cacheback(async (_user: string) => (++calls === 1 ? 'flat' : nested(10_000)), { name: 'deepLater', lifetime: 10, cache })
    const job = make(setup.process())
    const worker = await setup.startWorker([make])
    const failed = worker ? once(worker.queue as unknown as NodeJS.EventEmitter, 'failed') : setup.log.waitFor('refresh-failed', 1).then(() => setup.drain())
    await job('ann')
    setup.clock.advance(11)
    expect(await job.read('ann')).toMatchObject({ status: 'stale', value: 'flat', refresh: 'dispatched' })
    await failed // its lock is marked failed by then
    expect(setup.log.of('refresh-failed')[0].error).toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE', job: 'deepLater' })
    expect(await job.read('ann')).toMatchObject({ status: 'stale', value: 'flat', refresh: 'failed' })
  })
})
