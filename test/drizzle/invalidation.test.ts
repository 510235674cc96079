/**
 * The write pattern of the ORM jobs on Redis: each cached read carries the
 * tags of the rows it returned (`<table>:<pk>`) and of its table, so after a
 * row write `cache.invalidate({ tag })` reaches exactly the reads that
 * returned the row (purge: the next read queries; stale: served once, then
 * refreshed by a worker), and after an insert the table tag reaches every read.
 */
import { eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import type { Cacheback } from '../../src/index.js'
import { QueryFilterJob, QueryGetJob, rowTag, tableTag } from '../../src/drizzle/index.js'
import { createEngineSetup, type EngineSetup, type JobFactory } from '../helpers/engine.js'
import { createTables, dropTables, openDatabase, uniqueTableNames, usersTable } from '../helpers/postgres.js'

const names = uniqueTableNames('inval')
const users = usersTable(names.users)
const { pool, db, queries } = openDatabase()

beforeAll(() => createTables(pool, names))
afterAll(async () => {
  await dropTables(pool, names)
  await pool.end()
})

let setup: EngineSetup
beforeEach(async () => {
  setup = createEngineSetup('redis')
  await pool.query(`TRUNCATE "${names.users}" RESTART IDENTITY`)
  await db.insert(users).values([{ username: 'ann', teamId: 1 }, { username: 'bob', teamId: 1 }, { username: 'cy', teamId: 2 }])
})
afterEach(() => setup.cleanup())

/** The jobs of one process (the server's, or the worker's: same names and lifetimes). */
function jobsOf(cache: Cacheback) {
  return { byName: new QueryGetJob(db, users, { cache, lifetime: 60 }), team: new QueryFilterJob(db, users, { cache, lifetime: 60, orderBy: 'id' }) }
}
const workerJobs = [(cache: Cacheback) => jobsOf(cache).byName, (cache: Cacheback) => jobsOf(cache).team] as unknown as JobFactory[]

it('after a row write, invalidating its tag (purge) reaches every read that returned the row, and only those', async () => {
  const cache = setup.process()
  const { byName, team } = jobsOf(cache)
  await byName.get({ username: 'bob' })
  await team.filter({ teamId: 1 })
  await team.filter({ teamId: 2 })
  await byName.get({ username: 'zed' }) // null: no row tag
  expect(byName.valueTags(await byName.get({ username: 'bob' }), { username: 'bob' })).toEqual([names.users, `${names.users}:2`])
  expect(rowTag(users, { id: 2 })).toBe(`${names.users}:2`)

  await db.update(users).set({ username: 'bobby' }).where(eq(users.id, 2))
  expect(await cache.invalidate({ tag: rowTag(users, { id: 2 }) }, { mode: 'purge' })).toBe(2)
  queries.length = 0
  expect(await team.read({ teamId: 1 })).toMatchObject({ status: 'miss', value: [{ username: 'ann' }, { username: 'bobby' }] })
  expect(await byName.read({ username: 'bob' })).toMatchObject({ status: 'miss', value: null })
  expect(await team.read({ teamId: 2 })).toMatchObject({ status: 'hit', value: [{ username: 'cy' }] })
  expect(await byName.read({ username: 'zed' })).toMatchObject({ status: 'hit', value: null })
  expect(queries).toHaveLength(2)
})

it('stale mode: the next read serves the old rows once, a worker refreshes them; the table tag reaches reads that found nothing', async () => {
  const cache = setup.process()
  const { byName, team } = jobsOf(cache)
  await setup.startWorker(workerJobs)
  await team.filter({ teamId: 2 })
  await byName.get({ username: 'eve' })

  await db.update(users).set({ username: 'cyd' }).where(eq(users.id, 3))
  expect(await cache.invalidate({ tag: rowTag(users, { id: 3 }) })).toBe(1)
  expect(await team.read({ teamId: 2 })).toMatchObject({ status: 'stale', value: [{ username: 'cy' }], refresh: 'dispatched' })
  await setup.refreshed(1)
  expect(await team.read({ teamId: 2 })).toMatchObject({ status: 'hit', value: [{ username: 'cyd' }] })

  await db.insert(users).values({ username: 'eve', teamId: 2 })
  expect(await byName.read({ username: 'eve' })).toMatchObject({ status: 'hit', value: null }) // the row tag cannot reach a read that found nothing
  expect(await cache.invalidate({ tag: tableTag(users) })).toBe(2)
  expect(await byName.read({ username: 'eve' })).toMatchObject({ status: 'stale', value: null, refresh: 'dispatched' })
  expect(await team.read({ teamId: 2 })).toMatchObject({ status: 'stale', refresh: 'dispatched' })
  await setup.refreshed(3)
  expect(await byName.read({ username: 'eve' })).toMatchObject({ status: 'hit', value: { id: 4, username: 'eve', teamId: 2 } })
  expect((await team.read({ teamId: 2 })).value!.map((u) => u.username)).toEqual(['cyd', 'eve'])
  expect(setup.log.count('refresh-failed')).toBe(0)
})
