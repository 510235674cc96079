/**
 * Invalidation across processes: a server (this process, RedisStore +
 * BeeQueueRefresher) and a bee-queue refresh worker in a child process on
 * the same Redis. The worker's refresh that started before the server's
 * invalidation never makes the old value fresh; an invalidation made in the
 * worker process is seen by the server's next read.
 */
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, expect, inject, it } from 'vitest'
import { type Cacheback, cacheback } from '../src/index.js'
import { type ChildFixture, startChild } from './helpers/child-process.js'
import { type EngineSetup, createEngineSetup } from './helpers/engine.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/invalidation-worker.ts', import.meta.url))

let setup: EngineSetup
let worker: ChildFixture
beforeEach(async () => {
  setup = createEngineSetup('redis')
  worker = startChild(FIXTURE, { REDIS_URL: inject('redisUrl'), CACHEBACK_NAMESPACE: setup.namespace })
  await worker.waitForLine(/^ready$/)
})
afterEach(async () => {
  await worker.kill()
  await setup.cleanup()
})

/** The server's side of the worker's job: same name, tags and lifetime; its own fetches answer at once. */
function serverJob(cache: Cacheback, version: { value: number }) {
  return cacheback(async (user: string) => `${user}@${version.value}`, { name: 'taggedTweets', lifetime: 10, refreshTimeout: 30, cache, tags: (user) => [`user:${user}`] })
}

for (const mode of ['stale', 'purge'] as const) {
  it(`a worker's refresh that started before the server's invalidation loses (${mode})`, async () => {
    const version = { value: 1 }
    const tweets = serverJob(setup.process(), version)
    expect(await tweets('ann')).toBe('ann@1')
    setup.clock.advance(11)
    worker.send(`now ${setup.clock.now()}`)
    expect(await tweets.read('ann')).toMatchObject({ status: 'stale', refresh: 'dispatched' })
    expect(await worker.waitForLine(/^fetch-started/)).toBe('fetch-started ann')
    setup.clock.advance(1)
    version.value = 2
    const count = await setup.process().invalidate({ tag: 'user:ann' }, { mode })
    expect(count).toBe(1)
    worker.send('release ann@1 (fetched before the change)')
    await worker.waitForLine(/^refresh-succeeded$/)
    const after = await tweets.read('ann')
    if (mode === 'stale') expect(after).toMatchObject({ status: 'stale', value: 'ann@1 (fetched before the change)' })
    else expect(after).toMatchObject({ status: 'miss', value: 'ann@2' })
  })
}

it("an invalidation in the worker process is seen by the server's next read", async () => {
  const version = { value: 1 }
  const tweets = serverJob(setup.process(), version)
  await Promise.all([tweets('ann'), tweets('bob')])
  version.value = 2
  setup.clock.advance(1)
  worker.send(`now ${setup.clock.now()}`)
  worker.send('invalidate user:bob purge')
  expect(await worker.waitForLine(/^invalidated/)).toBe('invalidated 1')
  expect(await tweets.read('bob')).toMatchObject({ status: 'miss', value: 'bob@2' })
  expect(await tweets.read('ann')).toMatchObject({ status: 'hit', value: 'ann@1' })
})
