/**
 * `cache.invalidate(selector, { mode })` for jobs and decorated functions,
 * on the memory store, a standalone Redis and a three-master Cluster: every
 * selector (`tag`, `entity`, `job`, `job` + `args`) and mode, tags from the
 * option, the hooks and the value, counts, events, the second process, and
 * the race: a fetch or refresh that started before an invalidation never
 * makes its old value look fresh.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cacheback, Job, cacheback, isCachebackError } from '../src/index.js'
import { deferred } from './helpers/events.js'
import { STORE_KINDS, type StoreSetup, createStoreSetup } from './helpers/stores.js'

describe.each(STORE_KINDS)('cache.invalidate on %s', (kind) => {
  let setup: StoreSetup
  let cache: Cacheback
  beforeEach(async () => {
    setup = await createStoreSetup(kind)
    cache = setup.process()
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  /** A decorated function counting its fetches, tagged `tweets:<user>` and `lang:<lang>`. */
  function tweets(target = cache, state = { calls: 0, version: 1 }) {
    const fetchTweets = async (user: string, lang = 'en') => (state.calls++, `${user}/${lang}@${state.version}`)
    const fn = cacheback(fetchTweets, { name: 'fetchTweets', lifetime: 10, cache: target, tags: (user, lang = 'en') => [`tweets:${user}`, `lang:${lang}`] })
    return { state, fn }
  }

  it('marks every entry of a tag stale: served once, then refreshed', async () => {
    const { state, fn } = tweets()
    await Promise.all([fn('ann'), fn('ann', 'fr'), fn('bob')])
    state.version = 2
    setup.clock.advance(1)
    expect(await cache.invalidate({ tag: 'tweets:ann' })).toBe(2)
    const stale = await fn.read('ann')
    expect(stale).toMatchObject({ status: 'stale', value: 'ann/en@1', refresh: 'dispatched' })
    expect(await fn.read('bob')).toMatchObject({ status: 'hit', value: 'bob/en@1' })
    await setup.drain()
    expect(await fn.read('ann')).toMatchObject({ status: 'hit', value: 'ann/en@2' })
    expect(await fn.read('ann', 'fr')).toMatchObject({ status: 'stale', value: 'ann/fr@1' })
    expect(setup.log.of('invalidated')).toEqual([expect.objectContaining({ kind: 'tag', mode: 'stale', count: 2 })])
  })

  it('purges: the next read is a miss that fetches', async () => {
    const { state, fn } = tweets()
    await fn('ann', 'fr')
    state.version = 2
    setup.clock.advance(1)
    expect(await cache.invalidate({ tag: 'lang:fr' }, { mode: 'purge' })).toBe(1)
    expect(await fn.peek('ann', 'fr')).toEqual({ status: 'miss' })
    expect(await fn.read('ann', 'fr')).toMatchObject({ status: 'miss', value: 'ann/fr@2' })
    expect(await fn.read('ann', 'fr')).toMatchObject({ status: 'hit', value: 'ann/fr@2' })
    expect(state.calls).toBe(2)
  })

  it('reaches every entry of a job, or the one entry of its arguments', async () => {
    const { fn } = tweets()
    const other = cacheback(async (id: number) => id, { name: 'other', cache })
    await Promise.all([fn('ann'), fn('bob'), other(1)])
    setup.clock.advance(1)
    expect(await cache.invalidate({ job: 'fetchTweets', args: ['bob'] })).toBe(1)
    expect((await fn.peek('bob')).status).toBe('stale')
    expect((await fn.peek('ann')).status).toBe('hit')
    expect(await cache.invalidate({ job: fn.job }, { mode: 'purge' })).toBe(2)
    expect((await fn.peek('ann')).status).toBe('miss')
    expect((await other.peek(1)).status).toBe('hit')
    expect(setup.log.of('invalidated').map((e) => e.kind)).toEqual(['key', 'coordinate'])
  })

  it('files entries by the tags and entity hooks of a Job, and by tags computed from the value', async () => {
    const rows = { 1: { id: 1, team: 'red' }, 2: { id: 2, team: 'red' }, 3: { id: 3, team: 'blue' } } as Record<number, { id: number; team: string }>
    class TeamMembers extends Job<[team: string], { id: number; team: string }[]> {
      fetch(team: string) {
        return Object.values(rows).filter((row) => row.team === team)
      }
      override tags(team: string) {
        return [`team:${team}`]
      }
      override valueTags(value: { id: number }[]) {
        return value.map((row) => `users:${row.id}`)
      }
      override entity(team: string) {
        return { type: 'Team', id: team }
      }
    }
    const members = new TeamMembers({ cache })
    await members.get('red')
    await members.get('blue')
    setup.clock.advance(1)
    expect(await cache.invalidate({ tag: 'users:2' })).toBe(1)
    expect((await members.peek('red')).status).toBe('stale')
    expect((await members.peek('blue')).status).toBe('hit')
    expect(await cache.invalidate({ tag: 'team:blue' })).toBe(1)
    expect(await cache.invalidate({ entity: { type: 'Team', id: 'red' } }, { mode: 'purge' })).toBe(1)
    expect((await members.peek('red')).status).toBe('miss')
    expect(await cache.invalidate({ tag: 'users:99' })).toBe(0)
  })

  it('takes a list of tags, and compares entity ids as strings', async () => {
    const fn = cacheback(async (id: number) => ({ id }), { name: 'byId', cache, tags: ['all-ids'] })
    class Account extends Job<[id: number], string> {
      fetch(id: number) {
        return `account ${id}`
      }
      override entity(id: number) {
        return { type: 'Account', id }
      }
    }
    const account = new Account({ cache })
    await Promise.all([fn(1), fn(2), account.get(7)])
    setup.clock.advance(1)
    expect(await cache.invalidate({ tag: 'all-ids' })).toBe(2)
    expect(await cache.invalidate({ entity: { type: 'Account', id: '7' } })).toBe(1)
    expect(await cache.invalidate({ entity: { type: 'Account', id: { id: 7 } } })).toBe(1)
  })

  it('is seen by another process sharing the store at its next read', async () => {
    const { state, fn } = tweets()
    const second = setup.process()
    const { fn: elsewhere } = tweets(second, state)
    await fn('ann')
    expect((await elsewhere.read('ann')).status).toBe('hit')
    state.version = 2
    setup.clock.advance(1)
    expect(await cache.invalidate({ tag: 'tweets:ann' }, { mode: 'purge' })).toBe(1)
    expect(await elsewhere.read('ann')).toMatchObject({ status: 'miss', value: 'ann/en@2' })
    expect(await fn.read('ann')).toMatchObject({ status: 'hit', value: 'ann/en@2' })
  })

  it('rejects bad selectors and modes with coded errors', async () => {
    const bad = async (call: () => Promise<unknown>, code: string) => {
      const error = await call().then(() => undefined, (e: unknown) => e)
      expect(isCachebackError(error) && error.code, String(error)).toBe(code)
      return error as Error
    }
    expect((await bad(() => cache.invalidate({ job: 'nope' }), 'E_UNKNOWN_JOB')).message).toContain('"nope"')
    await bad(() => cache.invalidate({ tag: '' }), 'E_INVALID_SELECTOR')
    await bad(() => cache.invalidate({ tag: 'a', entity: { type: 'T', id: 1 } } as never), 'E_INVALID_SELECTOR')
    await bad(() => cache.invalidate({ entity: { type: 'T', id: null } } as never), 'E_INVALID_SELECTOR')
    await bad(() => cache.invalidate({ tag: 'a' }, { mode: 'hard' as never }), 'E_INVALID_SELECTOR')
    const fn = cacheback(async () => 1, { name: 'badTags', cache, tags: () => [42] as never })
    await bad(() => fn(), 'E_INVALID_TAG')
  })

  describe('a fetch that started before the invalidation', () => {
    /** A function whose fetches wait for the test: `release(value)` ends the oldest pending one. */
    function gated() {
      const pending: { resolve: (value: string) => void }[] = []
      let onStart: (() => void) | undefined
      const fn = cacheback(
        (_user: string) => {
          const gate = deferred<string>()
          pending.push(gate)
          onStart?.()
          return gate.promise
        },
        { name: 'gated', lifetime: 10, cache, tags: (user) => [`user:${user}`] },
      )
      /** Resolves once the next fetch has started. */
      const nextStart = () => new Promise<void>((resolve) => (onStart = resolve))
      const release = (value: string) => pending.shift()!.resolve(value)
      /** Starts `call`, waits for the fetch it makes, answers it with `value`. */
      const answer = async <T,>(call: () => Promise<T>, value: string): Promise<T> => {
        const started = nextStart()
        const result = call()
        await started
        release(value)
        return result
      }
      return { fn, pending, nextStart, release, answer }
    }

    for (const mode of ['stale', 'purge'] as const) {
      it(`never makes a refreshed-but-old value fresh (${mode})`, async () => {
        const gate = gated()
        expect(await gate.answer(() => gate.fn('ann'), 'v1')).toBe('v1')
        setup.clock.advance(11)
        const refreshStarted = gate.nextStart()
        expect((await gate.fn.read('ann')).refresh).toBe('dispatched')
        await refreshStarted // the refresh fetched now, before the data changed
        setup.clock.advance(1)
        expect(await cache.invalidate({ tag: 'user:ann' }, { mode })).toBe(1)
        gate.release('v1, refreshed too early')
        await setup.drain()
        expect((await gate.fn.peek('ann')).status).toBe(mode === 'stale' ? 'stale' : 'miss')
        const read = await gate.answer(() => gate.fn.read('ann'), 'v2')
        expect(read.status).toBe(mode === 'stale' ? 'stale' : 'miss')
        await setup.drain()
        expect(await gate.fn.peek('ann')).toMatchObject({ status: 'hit', value: 'v2' })
      })

      it(`never stores a miss's old value fresh (${mode})`, async () => {
        const gate = gated()
        const started = gate.nextStart()
        const read = gate.fn.read('bob')
        await started
        setup.clock.advance(1)
        expect(await cache.invalidate({ tag: 'user:bob' }, { mode })).toBe(0)
        gate.release('fetched before the change')
        expect(await read).toMatchObject({ status: 'miss', value: 'fetched before the change' })
        expect((await gate.fn.peek('bob')).status).toBe(mode === 'stale' ? 'stale' : 'miss')
      })
    }

    it('a read after the invalidation does not join a fetch that started before it', async () => {
      const gate = gated()
      const started = gate.nextStart()
      const early = gate.fn('cat')
      await started
      setup.clock.advance(1)
      await cache.invalidate({ tag: 'user:cat' }, { mode: 'purge' })
      const late = gate.answer(() => gate.fn('cat'), 'old')
      expect(gate.pending).toHaveLength(1)
      gate.release('new')
      expect(await early).toBe('new')
      expect(await late).toBe('old')
      expect(await gate.fn.peek('cat')).toMatchObject({ status: 'hit', value: 'old' })
    })

    it('job.invalidate(args) wins over a refresh in flight too', async () => {
      const gate = gated()
      await gate.answer(() => gate.fn('dan'), 'v1')
      setup.clock.advance(11)
      const refreshStarted = gate.nextStart()
      await gate.fn.read('dan')
      await refreshStarted
      setup.clock.advance(1)
      await gate.fn.invalidate('dan')
      gate.release('too early')
      await setup.drain()
      expect(await gate.fn.peek('dan')).toMatchObject({ status: 'stale', value: 'too early' })
    })
  })
})
