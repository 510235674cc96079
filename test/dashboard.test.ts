/**
 * The deployment's figures on real Redis: processes publish their counters
 * (bounded: no keys, no argument values, names capped), a reader merges all
 * live ones, a dead process's figures vanish after a few intervals, and the
 * dashboard server serves them and guards the invalidation form with a token.
 */
import { Redis } from 'ioredis'
import { afterEach, beforeEach, expect, inject, it } from 'vitest'
import { Cacheback, cacheback } from '../src/index.js'
import { RedisStore } from '../src/redis/index.js'
import { publishStats, readDeploymentStats, startDashboard, type StatsPublisher } from '../src/dashboard/index.js'
import { statsIndexKey, statsProcessKey } from '../src/dashboard/published.js'
import { createClock } from './helpers/clock.js'
import { uniqueNamespace } from './helpers/namespace.js'

const url = inject('redisUrl')
const clock = createClock()
const wall = createClock(Date.now())
let namespace: string
let redis: Redis
const closers: (() => Promise<unknown>)[] = []

beforeEach(() => {
  namespace = uniqueNamespace('dash')
  redis = new Redis(url)
  closers.push(() => redis.quit())
})
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

function process(role = 'server'): { cache: Cacheback; publisher: StatsPublisher } {
  const cache = new Cacheback({ store: new RedisStore({ redis: url }), namespace, now: clock.now })
  const publisher = publishStats({ cache, role, now: wall.now, intervalMs: 1000, maxNames: 3 })
  closers.push(() => cache.close(), () => publisher.stop())
  return { cache, publisher }
}

it('merges every live process, keeps no keys or arguments, and forgets dead processes', async () => {
  const a = process()
  const b = process()
  const tweetsA = cacheback(async (user: string) => `tweets of ${user}`, { name: 'tweets', lifetime: 10, cache: a.cache })
  const tweetsB = cacheback(async (user: string) => `tweets of ${user}`, { name: 'tweets', lifetime: 10, cache: b.cache })
  const failing = cacheback(async (_user: string): Promise<string> => {
    throw new Error('upstream said no for secret-user')
  }, { name: 'failing', cache: a.cache })
  await tweetsA('ann-secret') // miss
  await tweetsA('ann-secret') // hit
  await tweetsB('ann-secret') // hit (shared store)
  await expect(failing('secret-user')).rejects.toThrow('upstream said no')
  for (const n of [1, 2, 3]) await cacheback(async () => n, { name: `extra${n}`, cache: b.cache })()
  await Promise.all([a.publisher.publish(), b.publisher.publish()])

  const stats = await readDeploymentStats({ redis, namespace, now: wall.now })
  expect(stats.processes.map((p) => p.id).sort()).toEqual([a.publisher.id, b.publisher.id].sort())
  expect(stats.names.find((n) => n.name === 'tweets')).toMatchObject({ hit: 2, stale: 0, miss: 1, fetches: 1, hitRatio: 2 / 3 })
  expect(stats.names.find((n) => n.name === 'failing')).toMatchObject({ miss: 1, fetches: 1, fetchFailures: 1 })
  // b kept 3 names (tweets, extra1, extra2); the fourth is counted as (other).
  expect(stats.names.find((n) => n.name === '(other)')).toMatchObject({ miss: 1 })
  expect(stats.names.some((n) => n.name === 'extra3')).toBe(false)
  expect(stats.recentErrors).toEqual([expect.objectContaining({ type: 'fetch', code: 'Error', name: 'failing', process: a.publisher.id })])
  expect(stats.recentErrors[0].message).toBeUndefined() // messages only with includeErrorMessages

  const published = JSON.stringify(await redis.hgetall(statsProcessKey(namespace, a.publisher.id)))
  expect(published).not.toContain('secret')
  expect(published).not.toContain(`${namespace}:`)
  expect(await redis.pttl(statsProcessKey(namespace, a.publisher.id))).toBeGreaterThan(2000) // 3 intervals

  // b stops publishing (its process died): 3 intervals later it is gone from the figures.
  wall.advance(3.5)
  await a.publisher.publish()
  const later = await readDeploymentStats({ redis, namespace, now: wall.now })
  expect(later.processes.map((p) => p.id)).toEqual([a.publisher.id])
  expect(later.names.find((n) => n.name === 'tweets')).toMatchObject({ hit: 1, miss: 1 })
  expect(await redis.zscore(statsIndexKey(namespace), b.publisher.id)).toBeNull() // pruned by a's publication

  await a.publisher.stop() // a clean stop removes its figures at once
  expect((await readDeploymentStats({ redis, namespace, now: wall.now })).processes).toEqual([])
})

it('publishes error messages with keys redacted only when asked to', async () => {
  const cache = new Cacheback({ store: new RedisStore({ redis: url }), namespace, now: clock.now })
  const publisher = publishStats({ cache, now: wall.now, includeErrorMessages: true })
  closers.push(() => cache.close(), () => publisher.stop())
  const tweets = cacheback(async () => 'x', { name: 'tweets', cache })
  await redis.hset(tweets.job.keyFor(), "x", "1") // not an entry: the read reports a store error
  await tweets()
  await publisher.publish()
  const stats = await readDeploymentStats({ redis, namespace, now: wall.now })
  expect(stats.storeErrors).toEqual({ E_CORRUPT_ENTRY: 1 })
  expect(stats.recentErrors[0]).toMatchObject({ type: 'store-error', code: 'E_CORRUPT_ENTRY', name: 'tweets' })
  expect(stats.recentErrors[0].message).toContain('<key>')
  expect(stats.recentErrors[0].message).not.toContain(namespace)
})

it('serves the page and the figures; the invalidation form needs the token given at start', async () => {
  const { cache, publisher } = process()
  await cacheback(async () => 1, { name: 'one', cache })()
  await publisher.publish()
  const off = await startDashboard({ cache, port: 0 })
  const on = await startDashboard({ cache, port: 0, token: 's3cret' })
  closers.push(() => off.close(), () => on.close())

  const page = await fetch(on.url)
  expect(page.headers.get('content-type')).toContain('text/html')
  expect(await page.text()).toContain('<form id="invalidate"')
  const stats = (await (await fetch(`${on.url}api/stats`)).json()) as { names: { name: string; miss: number }[]; invalidation: { enabled: boolean } }
  expect(stats.names).toEqual([expect.objectContaining({ name: 'one', miss: 1 })])
  expect(stats.invalidation.enabled).toBe(true)
  expect(((await (await fetch(`${off.url}api/stats`)).json()) as typeof stats).invalidation.enabled).toBe(false)

  const post = (base: string, token?: string) =>
    fetch(`${base}api/invalidate`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ kind: 'tag', tag: 't' }) })
  expect((await post(off.url, 's3cret')).status).toBe(403) // no token at start: the form is off
  expect((await post(on.url)).status).toBe(403)
  expect((await post(on.url, 'wrong')).status).toBe(403)
  const bad = await fetch(`${on.url}api/invalidate`, { method: 'POST', headers: { authorization: 'Bearer s3cret' }, body: JSON.stringify({ kind: 'entity' }) })
  expect(bad.status).toBe(400)
  expect(((await bad.json()) as { error: string }).error).toContain('give an entity')
  const done = await post(on.url, 's3cret')
  expect(done.status).toBe(200)
  expect(await done.json()).toEqual({ selector: { tag: 't' }, mode: 'stale', count: 0 })
  expect((await fetch(`${on.url}nothing`)).status).toBe(404)
})
