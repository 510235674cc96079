/**
 * `cachebackDirective(...).invalidate(selector, { mode })` on the memory
 * store, a standalone Redis and a three-master Cluster: entities (ids as
 * strings, composite identities), coordinates (all, one parent, one entry
 * with defaults applied, one scope, every scope), tags (templates and
 * `cacheTags`), both modes, and the coded errors of bad selectors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Cacheback } from '../../src/index.js'
import { isCachebackError } from '../../src/index.js'
import { invalidationSchema } from '../helpers/invalidation-schema.js'
import { STORE_KINDS, type StoreSetup, createStoreSetup } from '../helpers/stores.js'

const USERS = '{ ann: user(id: "ann") { tweets score mentions five: tweets(limit: 5) } bob: user(id: "bob") { tweets score mentions } }'

describe.each(STORE_KINDS)('directive invalidation on %s', (kind) => {
  let setup: StoreSetup
  let cache: Cacheback
  let app: ReturnType<typeof invalidationSchema>
  beforeEach(async () => {
    setup = await createStoreSetup(kind)
    cache = setup.process()
    app = invalidationSchema(cache)
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  /** Reads USERS once (all misses), moves the clock on and changes the upstream. */
  async function warm(): Promise<void> {
    expect((await app.query(USERS)).reads).toMatchObject({ miss: 7 })
    app.upstream.version = 2
    setup.clock.advance(1)
  }
  const staleOf = async (source = USERS) => (await app.query(source)).reads!.staleFields.map((f) => f.path.join('.')).sort()

  it('reaches every cached field of one entity, all args', async () => {
    await warm()
    expect(await app.directive.invalidate({ entity: { type: 'User', id: 'ann' } })).toBe(4)
    expect(await staleOf()).toEqual(['ann.five', 'ann.mentions', 'ann.score', 'ann.tweets'])
    expect((await app.query(USERS)).data.ann.tweets).toEqual(['2 tweets of ann v2'])
    expect(setup.log.of('invalidated')).toEqual([expect.objectContaining({ kind: 'entity', mode: 'stale', count: 4 })])
  })

  it('reaches one field: all parents, one parent, one entry with defaults applied', async () => {
    await warm()
    expect(await app.directive.invalidate({ coordinate: 'User.tweets', parent: { id: 'ann' }, args: {} })).toBe(1)
    expect(await staleOf()).toEqual(['ann.tweets'])
    expect(await app.directive.invalidate({ coordinate: 'User.tweets', parent: { id: 'ann' }, args: { limit: 5 } })).toBe(1)
    expect(await app.directive.invalidate({ coordinate: 'User.tweets', parent: { id: 'ann' } })).toBe(2)
    expect(await app.directive.invalidate({ coordinate: 'User.tweets' })).toBe(3)
    expect(await app.directive.invalidate({ coordinate: 'User.tweets', parent: { id: 'nobody' } })).toBe(0)
  })

  it('reaches a root field by its arguments', async () => {
    await app.query('{ trending }')
    expect(await app.directive.invalidate({ coordinate: 'Query.trending', args: { limit: 3 } })).toBe(1)
    expect(await app.directive.invalidate({ coordinate: 'Query.trending', args: { limit: 4 } })).toBe(0)
    expect((await app.query('{ trending }')).reads).toMatchObject({ stale: 1 })
  })

  it('reaches tags from templates and from cacheTags, through the directive and the cache alike', async () => {
    await warm()
    expect(await app.directive.invalidate({ tag: 'tweets:ann' })).toBe(2)
    expect(await cache.invalidate({ tag: 'limit:5' })).toBe(1)
    expect(await cache.invalidate({ tag: 'mention:dan' })).toBe(1)
    expect(await staleOf()).toEqual(['ann.five', 'ann.mentions', 'ann.tweets'])
  })

  it('purges: the next read is a miss that fetches the new value', async () => {
    await warm()
    const before = app.upstream.calls.tweets
    expect(await app.directive.invalidate({ entity: { type: 'User', id: 'bob' } }, { mode: 'purge' })).toBe(3)
    const { data, reads } = await app.query(USERS)
    expect(reads).toMatchObject({ hit: 4, miss: 3, stale: 0 })
    expect(data.bob.tweets).toEqual(['2 tweets of bob v2'])
    expect(app.upstream.calls.tweets).toBe(before + 1)
  })

  it('compares entity ids as strings and knows composite identities', async () => {
    await app.query('{ numbered { score } a: team(org: "acme", slug: "a") { members } b: team(org: "acme", slug: "b") { members } }')
    expect(await app.directive.invalidate({ entity: { type: 'User', id: '1' } })).toBe(1)
    expect(await app.directive.invalidate({ entity: { type: 'User', id: 2 } })).toBe(1)
    expect(await app.directive.invalidate({ entity: { type: 'Team', id: { slug: 'a', org: 'acme' } } })).toBe(1)
    expect(await app.directive.invalidate({ coordinate: 'Team.members', parent: { org: 'acme', slug: 'b' } })).toBe(1)
  })

  it('reaches a PRIVATE field in every scope, or in one', async () => {
    for (const userId of ['u1', 'u2']) await app.query('{ me { notes } }', { userId })
    await app.query('{ me { notes(page: 2) } }', { userId: 'u1' })
    expect(await app.directive.invalidate({ coordinate: 'Profile.notes', scope: 'u1' })).toBe(2)
    expect(await app.directive.invalidate({ coordinate: 'Profile.notes', parent: { id: 'u1' }, args: { page: 1 } })).toBe(1)
    expect(await app.directive.invalidate({ coordinate: 'Profile.notes', parent: { id: 'u1' }, args: {}, scope: 'u1' })).toBe(1)
    expect(await app.directive.invalidate({ coordinate: 'Profile.notes', parent: { id: 'u2' }, scope: 'u2' })).toBe(1)
    expect(await app.directive.invalidate({ coordinate: 'Profile.notes', parent: { id: 'u2' }, scope: 'u1' })).toBe(0)
    expect(await app.directive.invalidate({ tag: 'notes:u2' })).toBe(1)
    expect(await app.directive.invalidate({ coordinate: 'Profile.notes' })).toBe(3)
    expect((await app.query('{ me { notes } }', { userId: 'u2' })).reads).toMatchObject({ stale: 1 })
  })

  it('reaches every selection of a keySelection field by its parent and args', async () => {
    await app.query('{ a: user(id: "ann") { card { title } } b: user(id: "ann") { card { title body } } }')
    expect(await app.directive.invalidate({ coordinate: 'User.card', parent: { id: 'ann' }, args: {} })).toBe(2)
    expect(await app.directive.invalidate({ coordinate: 'User.card', parent: { id: 'ann' } })).toBe(2)
  })

  it('names the unknown coordinate or type, and refuses selectors that select nothing', async () => {
    const codeOf = (call: () => Promise<unknown>) => call().then(() => 'resolved', (e: unknown) => (isCachebackError(e) ? `${e.code}: ${e.message}` : String(e)))
    expect(await codeOf(() => app.directive.invalidate({ coordinate: 'User.nope' }))).toMatch(/^E_UNKNOWN_COORDINATE: .*User\.nope/)
    expect(await codeOf(() => app.directive.invalidate({ entity: { type: 'Nope', id: 1 } }))).toMatch(/^E_UNKNOWN_TYPE: .*no type Nope/)
    expect(await codeOf(() => app.directive.invalidate({ entity: { type: 'Tweet', id: 1 } }))).toMatch(/^E_UNKNOWN_TYPE: .*Tweet has no cached field/)
    expect(await codeOf(() => app.directive.invalidate({ coordinate: 'User.score', scope: 'u1' }))).toMatch(/^E_INVALID_SELECTOR: .*PUBLIC/)
    expect(await codeOf(() => app.directive.invalidate({ coordinate: 'User.tweets', args: { limit: 1 } }))).toMatch(/^E_INVALID_SELECTOR: .*give the parent/)
    expect(await codeOf(() => app.directive.invalidate({ coordinate: 'User.tweets', parent: { id: 'a' }, args: { count: 1 } }))).toMatch(/^E_INVALID_SELECTOR: .*no argument "count"/)
    expect(await codeOf(() => app.directive.invalidate({ coordinate: 'User.tweets', parent: { id: 'a' }, args: { limit: 'x' } }))).toMatch(/^E_INVALID_SELECTOR: .*limit/)
    expect(await codeOf(() => app.directive.invalidate({ tag: 'x' }, { mode: 'soft' as never }))).toMatch(/^E_INVALID_SELECTOR/)
  })
})
