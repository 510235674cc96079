/**
 * The invalidation bus on one Redis: what one `Cacheback` writes, removes or
 * invalidates is seen by another's next read once the bus has delivered the
 * message (each test waits on that message, never on time), between two
 * instances in this process and between this process and a child process.
 * A cache whose bus connection is lost bypasses its tier (reads stay
 * correct) and clears it when the connection is back.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Cluster, Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { Cacheback, type CachebackOptions, type CachebackEvent, cacheback } from '../src/index.js'
import { RedisBus, RedisStore } from '../src/redis/index.js'
import { EventLog } from './helpers/events.js'
import { type RedisClusterHandle, startRedisCluster } from './helpers/redis-server.js'
import { uniqueNamespace } from './helpers/namespace.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/l1-process.ts', import.meta.url))
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Profile {
  id: number
  from: string
  fetch?: number
}

/** One "process": a cache on the suite's Redis (or the given store) with its own event log and the `profile` job. */
function instance(namespace: string, options: Partial<CachebackOptions> = {}) {
  const log = new EventLog()
  const cache = new Cacheback({ store: options.store ?? new RedisStore({ redis: inject('redisUrl') }), namespace, l1: {}, onEvent: log.listener, ...options })
  cleanups.push(() => cache.close())
  let fetches = 0
  const profile = cacheback(async (id: number): Promise<Profile> => ({ id, from: 'fetch', fetch: ++fetches }), { name: 'profile', lifetime: 3600, cache })
  /** Resolves with the next `bus-message` this instance applies. */
  const nextMessage = () => log.waitFor('bus-message', log.count('bus-message') + 1).then(() => log.of('bus-message').at(-1)!)
  return { cache, log, profile, nextMessage }
}

async function pair(optionsB: Partial<CachebackOptions> = {}) {
  const namespace = uniqueNamespace('bus')
  const a = instance(namespace)
  const b = instance(namespace, optionsB)
  const listening = optionsB.bus !== false
  await Promise.all([a.log.waitFor('bus-up'), listening && b.log.waitFor('bus-up')])
  const message = listening && b.nextMessage()
  await a.profile.set([1], { id: 1, from: 'v1' })
  await message
  await b.profile(1)
  expect(await b.profile.read(1)).toMatchObject({ tier: 'l1', value: { from: 'v1' } })
  return { a, b }
}

describe('two caches in one process', () => {
  it("a write in one is seen by the other's next read once the bus delivers", async () => {
    const { a, b } = await pair()
    const message = b.nextMessage()
    await a.profile.set([1], { id: 1, from: 'v2' })
    expect(await message).toMatchObject({ type: 'bus-message', bus: 'redis', keys: [a.profile.key(1)], all: false })
    expect(await b.profile.read(1)).toMatchObject({ status: 'hit', tier: 'store', value: { from: 'v2' } })
    expect(await b.profile.read(1)).toMatchObject({ status: 'hit', tier: 'l1', value: { from: 'v2' } })
  })

  it("a delete in one makes the other's next read a miss; an invalidation makes it stale", async () => {
    const { a, b } = await pair()
    let message = b.nextMessage()
    await a.profile.delete(1)
    await message
    expect(await b.profile.read(1)).toMatchObject({ status: 'miss', value: { from: 'fetch' } })
    await b.profile.read(1)
    expect(await b.profile.read(1)).toMatchObject({ tier: 'l1' })
    message = b.nextMessage()
    await a.profile.invalidate(1)
    await message
    expect(await b.profile.read(1)).toMatchObject({ status: 'stale', value: { from: 'fetch' } })
  })

  it('without a bus, the other keeps serving what it holds (what the bus is for)', async () => {
    const { a, b } = await pair({ bus: false })
    await a.profile.set([1], { id: 1, from: 'v2' })
    expect(await a.profile.read(1)).toMatchObject({ value: { from: 'v2' } })
    expect(await b.profile.read(1)).toMatchObject({ tier: 'l1', value: { from: 'v1' } })
  })

  it('forgetAll in one empties the other; a message it cannot read empties it too, reported', async () => {
    const { a, b } = await pair()
    const message = b.nextMessage()
    await a.cache.l1!.forgetAll()
    expect(await message).toMatchObject({ all: true, keys: [] })
    expect(b.cache.l1!.local!.size).toBe(0)
    await b.profile(1)
    await b.profile(1)
    expect(b.cache.l1!.local!.size).toBe(1)
    const admin = new Redis(inject('redisUrl'))
    cleanups.push(async () => admin.disconnect())
    const reported = b.log.waitFor('store-error')
    await admin.publish(`${b.cache.namespace}:l1-invalidations`, 'not json')
    await reported
    expect(b.log.of('store-error')[0].error).toMatchObject({ code: 'E_INVALID_BUS_MESSAGE' })
    expect(b.cache.l1!.local!.size).toBe(0)
  })

  it('a lost bus connection bypasses the tier, reads stay correct; back, it starts empty', async () => {
    const { hostname: host, port } = new URL(inject('redisUrl'))
    const admin = new Redis(inject('redisUrl'))
    const user = uniqueNamespace('bususer')
    await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all')
    cleanups.push(async () => {
      await admin.call('ACL', 'DELUSER', user)
      admin.disconnect()
    })
    const bus = new RedisBus({ redis: { host, port: Number(port), username: user, password: 'secret' } })
    cleanups.push(() => bus.close())
    const { a, b } = await pair({ bus })
    // The bus's user is disabled and its connections killed: it cannot reconnect until enabled again.
    await admin.call('ACL', 'SETUSER', user, 'off')
    await admin.call('CLIENT', 'KILL', 'USER', user)
    await b.log.waitFor('bus-down')
    expect(await b.profile.read(1)).toMatchObject({ status: 'hit', tier: 'store', value: { from: 'v1' } })
    await a.profile.set([1], { id: 1, from: 'v2' }) // announced, but b cannot hear it
    expect(await b.profile.read(1)).toMatchObject({ tier: 'store', value: { from: 'v2' } })
    expect(await b.profile.read(1)).toMatchObject({ tier: 'store', value: { from: 'v2' } })
    await admin.call('ACL', 'SETUSER', user, 'on')
    await b.log.waitFor('bus-up', 2)
    expect(b.cache.l1!.local!.size).toBe(0)
    expect(await b.profile.read(1)).toMatchObject({ tier: 'store', value: { from: 'v2' } })
    expect(await b.profile.read(1)).toMatchObject({ tier: 'l1', value: { from: 'v2' } })
  })
})

/** The fixture process, spoken to over IPC. */
function startChild(namespace: string) {
  const child: ChildProcess = fork(FIXTURE, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, REDIS_URL: inject('redisUrl'), NAMESPACE: namespace }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const events: CachebackEvent[] = []
  const pending = new Map<number, (result: unknown) => void>()
  const waiters: (() => void)[] = []
  child.on('message', (message: { id?: number; result?: unknown; event?: CachebackEvent }) => {
    if (message.event) events.push(message.event)
    if (message.id !== undefined) pending.get(message.id)?.(message.result)
    for (const waiter of waiters.splice(0)) waiter()
  })
  let next = 0
  cleanups.push(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.send({ op: 'close' })
    await exited
  })
  const count = (type: string) => events.filter((e) => e.type === type).length
  const waitFor = (type: string, n: number): Promise<void> =>
    count(type) >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(() => resolve(waitFor(type, n))))
  return {
    read: (arg: number) => new Promise<any>((resolve) => (pending.set(++next, resolve), child.send({ id: next, op: 'read', arg }))),
    /** Resolves once the child has applied one more bus message than it had when called. */
    nextMessage: () => waitFor('bus-message', count('bus-message') + 1),
    up: () => waitFor('bus-up', 1),
  }
}

describe('two processes', () => {
  it('writes, deletes and invalidations of a process without a tier (bus: true) reach the other process', async () => {
    const namespace = uniqueNamespace('bus2')
    const child = startChild(namespace)
    const { profile } = instance(namespace, { l1: undefined, bus: true })
    await child.up()
    let message = child.nextMessage()
    await profile.set([1], { id: 1, from: 'v1' })
    await message // else a read racing the announcement does not admit (what it read may predate the change)
    await child.read(1)
    expect(await child.read(1)).toMatchObject({ status: 'hit', tier: 'l1', value: { from: 'v1' } })

    message = child.nextMessage()
    await profile.set([1], { id: 1, from: 'v2' })
    await message
    expect(await child.read(1)).toMatchObject({ status: 'hit', tier: 'store', value: { from: 'v2' } })
    expect(await child.read(1)).toMatchObject({ tier: 'l1', value: { from: 'v2' } })

    message = child.nextMessage()
    await profile.delete(1)
    await message
    expect(await child.read(1)).toMatchObject({ status: 'miss', value: { from: 'child' } })
    await child.read(1)

    message = child.nextMessage()
    await profile.invalidate(1)
    await message
    expect(await child.read(1)).toMatchObject({ status: 'stale', value: { from: 'child' } })
  })
})

describe('on a Redis Cluster', () => {
  let cluster: RedisClusterHandle
  beforeAll(async () => {
    cluster = await startRedisCluster()
  })
  afterAll(async () => {
    await cluster.stop()
  })

  it('the bus of a Cluster store carries a write from one cache to the other', async () => {
    const clusterStore = () => {
      const client = new Cluster(cluster.startupNodes)
      cleanups.push(async () => client.disconnect())
      return new RedisStore({ redis: client })
    }
    const namespace = uniqueNamespace('busc')
    const a = instance(namespace, { store: clusterStore() })
    const b = instance(namespace, { store: clusterStore() })
    await Promise.all([a.log.waitFor('bus-up'), b.log.waitFor('bus-up')])
    let message = b.nextMessage()
    await a.profile.set([1], { id: 1, from: 'v1' })
    await message
    await b.profile(1)
    expect(await b.profile.read(1)).toMatchObject({ tier: 'l1', value: { from: 'v1' } })
    message = b.nextMessage()
    await a.profile.set([1], { id: 1, from: 'v2' })
    await message
    expect(await b.profile.read(1)).toMatchObject({ tier: 'store', value: { from: 'v2' } })
  })
})
