/**
 * The bee-queue refresh worker and producer on real Redis: payloads it does
 * not know are rejected with a coded error, reported, and do not stop it;
 * payloads too large are refused at dispatch while the stale value is served,
 * and by the worker, undecoded, when they reach the queue anyway.
 */
import Queue from 'bee-queue'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { type Cacheback, CachebackError, cacheback } from '../src/index.js'
import { BeeQueueRefresher, createRefreshWorker } from '../src/bee-queue/index.js'
import { pack } from '../src/codec.js'
import { encodePayload } from '../src/bee-queue/payload.js'
import { createEngineSetup, type EngineSetup } from './helpers/engine.js'

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  await setup.cleanup()
})

/** A job the worker knows; its value is `<user>@<version>`. */
function versioned() {
  const state = { version: 1 }
  const make = (cache: Cacheback) => cacheback(async (user: string) => `${user}@${state.version}`, { name: 'tweets', lifetime: 10, refreshTimeout: 30, cache })
  return { state, make }
}

/** Makes `tweets('ann')` stale, has the worker refresh it, and checks the new value is served. */
async function expectWorkerRefreshes(tweets: ReturnType<ReturnType<typeof versioned>['make']>, state: { version: number }) {
  await tweets('ann')
  state.version++
  setup.clock.advance(11)
  const before = setup.log.count('refresh-succeeded')
  expect(await tweets.read('ann')).toMatchObject({ status: 'stale', refresh: 'dispatched' })
  await setup.refreshed(before + 1)
  expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: `ann@${state.version}` })
}

describe('refresh worker', () => {
  it('rejects a job it does not know with E_UNKNOWN_JOB, reports it, and keeps working', async () => {
    const server = setup.process()
    const known = versioned()
    await setup.startWorker([known.make]) // knows "tweets" only
    const ghost = cacheback(async (user: string) => `ghost:${user}`, { name: 'ghostJob', lifetime: 10, cache: server })
    await ghost('ann')
    setup.clock.advance(11)
    expect(await ghost.read('ann')).toMatchObject({ status: 'stale', value: 'ghost:ann', refresh: 'dispatched' })
    await setup.log.waitFor('refresh-failed')
    const [failed] = setup.log.of('refresh-failed')
    expect(failed).toMatchObject({ job: 'ghostJob', key: ghost.job.keyFor('ann') })
    expect(failed.error).toBeInstanceOf(CachebackError)
    expect(failed.error).toMatchObject({ code: 'E_UNKNOWN_JOB', job: 'ghostJob' })
    expect((failed.error as Error).message).toContain('No job named "ghostJob"')
    expect(await ghost.peek('ann')).toMatchObject({ status: 'stale', value: 'ghost:ann' })

    await expectWorkerRefreshes(known.make(server), known.state)
  })

  it('rejects malformed payloads with E_INVALID_PAYLOAD, reports each, and keeps working', async () => {
    const server = setup.process()
    const known = versioned()
    await setup.startWorker([known.make])
    const tweets = known.make(server)
    const key = tweets.job.keyFor('ann')
    const base = { v: 1, job: 'tweets', key, token: 'token' }
    const payloads: [unknown, RegExp][] = [
      ['not an object', /not an object/],
      [{ ...base, v: 2, args: pack(['ann']).toString('base64') }, /unknown format version 2/],
      [{ ...base, job: undefined, args: pack(['ann']).toString('base64') }, /missing job name/],
      [{ ...base, args: ['ann'] }, /must be strings/],
      [{ ...base, args: '%%%' }, /args cannot be decoded/], // not base64: no bytes at all
      [{ ...base, args: Buffer.from([0x92, 0x01]).toString('base64') }, /args cannot be decoded/], // truncated msgpack
      [{ ...base, args: pack({ user: 'ann' }).toString('base64') }, /args is not an array/],
      [{ ...base, args: pack(['bob']).toString('base64') }, /give key .* not the requested/], // args do not match the key
    ]
    const producer = new Queue(setup.namespace, { redis: { url: inject('redisUrl') } as Queue.QueueSettings['redis'], isWorker: false, getEvents: false, sendEvents: false })
    try {
      for (const [data] of payloads) await producer.createJob(data).save()
      await setup.log.waitFor('refresh-failed', payloads.length)
    } finally {
      await producer.close()
    }
    const errors = setup.log.of('refresh-failed').map((e) => e.error as CachebackError)
    expect(errors.every((e) => e instanceof CachebackError && e.code === 'E_INVALID_PAYLOAD')).toBe(true)
    for (const [, message] of payloads) expect(errors.some((e) => message.test(e.message))).toBe(true)

    await expectWorkerRefreshes(tweets, known.state)
  })
})

describe('refresh worker payload limit', () => {
  /** Pushes a well-formed refresh of `tweets(user)` straight onto the queue, as a producer with no limit could. */
  async function enqueueRefresh(tweets: ReturnType<ReturnType<typeof versioned>['make']>, user: string): Promise<{ id: string; bytes: number }> {
    const payload = encodePayload({ job: 'tweets', key: tweets.job.keyFor(user), args: [user], token: 'big-token' }, Number.POSITIVE_INFINITY)
    const producer = new Queue(setup.namespace, { redis: { url: inject('redisUrl') } as Queue.QueueSettings['redis'], isWorker: false, getEvents: false, sendEvents: false })
    try {
      const job = await producer.createJob(payload).save()
      return { id: String(job.id), bytes: Buffer.byteLength(JSON.stringify(payload)) }
    } finally {
      await producer.close()
    }
  }

  /** Expects the worker to refuse that queue job undecoded, report it, leave the entry as it was, and keep refreshing. */
  async function expectRefused(tweets: ReturnType<ReturnType<typeof versioned>['make']>, state: { version: number }, user: string, limit: number) {
    await tweets(user)
    const stored = await tweets.peek(user)
    const queued = await enqueueRefresh(tweets, user)
    expect(queued.bytes).toBeGreaterThan(limit)
    await setup.log.waitFor('refresh-failed')
    const [failed] = setup.log.of('refresh-failed')
    expect(failed).toMatchObject({ job: 'tweets', key: tweets.job.keyFor(user) })
    expect(failed.error).toBeInstanceOf(CachebackError)
    expect(failed.error).toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE', job: 'tweets', key: tweets.job.keyFor(user) })
    const message = (failed.error as Error).message
    expect(message).toContain(`(queue job ${queued.id}) for job "tweets" at ${tweets.job.keyFor(user)}`)
    expect(message).toContain(`is ${queued.bytes} bytes, over this worker's limit of ${limit} (maxPayloadBytes); not decoded`)
    expect(setup.log.count('refresh-succeeded')).toBe(0)
    expect(await tweets.peek(user)).toEqual(stored)
    await expectWorkerRefreshes(tweets, state)
  }

  it('refuses a queue job over its maxPayloadBytes before decoding it (E_PAYLOAD_TOO_LARGE), reports it, and keeps working', async () => {
    const known = versioned()
    await setup.startWorker([known.make], { maxPayloadBytes: 1024 })
    await expectRefused(known.make(setup.process()), known.state, 'x'.repeat(2000), 1024)
  })

  it("defaults to the producer's maxPayloadBytes when the worker's cache has a BeeQueueRefresher", async () => {
    const known = versioned()
    const refresher = new BeeQueueRefresher({ redis: inject('redisUrl'), queue: setup.namespace, maxPayloadBytes: 1500 })
    await setup.startWorker([known.make], { cacheOptions: { refresher } })
    await expectRefused(known.make(setup.process()), known.state, 'y'.repeat(2000), 1500)
  })

  it('defaults to 64 KiB otherwise', async () => {
    const known = versioned()
    await setup.startWorker([known.make])
    await expectRefused(known.make(setup.process()), known.state, 'z'.repeat(70_000), 64 * 1024)
  })

  it('refuses a maxPayloadBytes that is not a positive whole number of bytes', () => {
    const cache = setup.process()
    expect(() => createRefreshWorker({ cache, redis: inject('redisUrl'), queue: setup.namespace, maxPayloadBytes: 0 })).toThrowError(
      expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringMatching(/"maxPayloadBytes" must be a positive whole number of bytes, got 0/) }),
    )
  })
})

describe('BeeQueueRefresher', () => {
  it('refuses a payload over maxPayloadBytes at dispatch; the stale value is served and the refresh reported failed', async () => {
    const url = inject('redisUrl')
    const server = setup.process({ refresher: new BeeQueueRefresher({ redis: url, queue: setup.namespace, maxPayloadBytes: 1024 }) })
    let calls = 0
    const search = cacheback(async (query: string) => `${query.length}:${++calls}`, { name: 'search', lifetime: 10, refreshTimeout: 30, cache: server })
    const query = 'q'.repeat(2000)
    expect(await search(query)).toBe('2000:1')
    setup.clock.advance(11)
    expect(await search.read(query)).toMatchObject({ status: 'stale', value: '2000:1', refresh: 'failed' })
    const [failed] = setup.log.of('refresh-failed')
    expect(failed).toMatchObject({ job: 'search', key: search.job.keyFor(query) })
    expect(failed.error).toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE', job: 'search' })
    expect((failed.error as Error).message).toMatch(/over the limit of 1024 \(maxPayloadBytes\)/)
    expect(setup.log.count('refresh-dispatched')).toBe(0)
    expect(setup.log.count('store-error')).toBe(0)
    // Stale-if-error: no new attempt before refreshTimeout has passed.
    setup.clock.advance(10)
    expect(await search.read(query)).toMatchObject({ status: 'stale', refresh: 'failed' })
    expect(calls).toBe(1)
  })

  it('refuses arguments a worker could not rebuild (E_INVALID_PAYLOAD) the same way', async () => {
    const server = setup.process()
    const byUrl = cacheback(async (url: URL) => url.host, { name: 'byUrl', lifetime: 10, cache: server })
    await byUrl(new URL('https://a.example/'))
    setup.clock.advance(11)
    expect(await byUrl.read(new URL('https://a.example/'))).toMatchObject({ status: 'stale', value: 'a.example', refresh: 'failed' })
    expect(setup.log.of('refresh-failed')[0].error).toMatchObject({ code: 'E_INVALID_PAYLOAD', job: 'byUrl' })
  })

  it('refuses arguments holding a lone surrogate (msgpack would make it U+FFFD: another key, another user) the same way', async () => {
    const server = setup.process()
    const byUser = cacheback(async (user: string) => `notes of a user of ${user.length} code units`, { name: 'byUser', lifetime: 10, cache: server })
    await byUser('eve\ud800')
    setup.clock.advance(11)
    expect(await byUser.read('eve\ud800')).toMatchObject({ status: 'stale', value: 'notes of a user of 4 code units', refresh: 'failed' })
    const [failed] = setup.log.of('refresh-failed')
    expect(failed.error).toMatchObject({ code: 'E_INVALID_PAYLOAD', job: 'byUser', message: expect.stringMatching(/args\[0\] \(a string with a lone surrogate\) cannot be sent to a worker/) })
  })

  it('rejects an ioredis client with a clear error (bee-queue takes connection options)', () => {
    const client = new Redis(inject('redisUrl'), { lazyConnect: true })
    try {
      expect(() => new BeeQueueRefresher({ redis: client as never })).toThrowError(
        expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringMatching(/must be a URL or connection options, not a client instance/) }),
      )
    } finally {
      client.disconnect()
    }
  })
})
