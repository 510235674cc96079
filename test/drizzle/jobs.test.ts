/**
 * QueryGetJob and QueryFilterJob on a real PostgreSQL, with the embedded
 * engine (memory store, in-process refreshes): reads hit, every Job
 * operation works, the same job made twice reads the same entries, names
 * come from the table, and bad filters fail with a coded error before any
 * query is sent.
 */
import { eq } from 'drizzle-orm'
import { pgSchema, serial } from 'drizzle-orm/pg-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CachebackError, type Cacheback } from '../../src/index.js'
import { QueryFilterJob, QueryGetJob, rowTag, tableTag } from '../../src/drizzle/index.js'
import { createEngineSetup, type EngineSetup } from '../helpers/engine.js'
import { createTables, dropTables, openDatabase, orderItemsTable, uniqueTableNames, usersTable } from '../helpers/postgres.js'

const names = uniqueTableNames('jobs')
const users = usersTable(names.users)
const orderItems = orderItemsTable(names.orderItems)
const { pool, db, queries } = openDatabase()

beforeAll(() => createTables(pool, names))
afterAll(async () => {
  await dropTables(pool, names)
  await pool.end()
})

let setup: EngineSetup
let cache: Cacheback
beforeEach(async () => {
  setup = createEngineSetup('memory')
  cache = setup.process()
  await pool.query(`TRUNCATE "${names.users}" RESTART IDENTITY; TRUNCATE "${names.orderItems}"`)
  await db.insert(users).values([
    { username: 'ann', teamId: 1, isStaff: true },
    { username: 'bob', teamId: 1 },
    { username: 'cy', teamId: 2, isStaff: true },
    { username: 'dee', teamId: null },
  ])
  queries.length = 0
})
afterEach(() => setup.cleanup())

describe('QueryGetJob', () => {
  it('reads one row or null through the cache: miss, then hit without a query', async () => {
    const job = new QueryGetJob(db, users, { cache, lifetime: 10 })
    expect(job.name).toBe(`drizzle:${names.users}:get`)
    expect(await job.read({ username: 'ann' })).toMatchObject({ status: 'miss', value: { id: 1, username: 'ann', teamId: 1, isStaff: true } })
    expect(await job.read({ username: 'ann' })).toMatchObject({ status: 'hit', value: { id: 1, username: 'ann' } })
    expect(await job.get({ username: 'nobody' })).toBeNull()
    expect(await job.read({ username: 'nobody' })).toMatchObject({ status: 'hit', value: null })
    expect(await job.get({ teamId: null })).toMatchObject({ username: 'dee' }) // null matches SQL NULL
    expect(queries).toHaveLength(3)
  })

  it('rejects several matching rows with E_MULTIPLE_ROWS naming the table and filters, and caches nothing', async () => {
    const job = new QueryGetJob(db, users, { cache })
    const error = await job.get({ teamId: 1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CachebackError)
    expect(error).toMatchObject({ code: 'E_MULTIPLE_ROWS', job: `drizzle:${names.users}:get` })
    expect((error as Error).message).toContain(`table "${names.users}" matches {"teamId":1}`)
    expect(queries[0]).toMatch(/limit \$\d/) // reads two rows at most to tell
    expect(await job.peek({ teamId: 1 })).toMatchObject({ status: 'miss' })
  })

  it('made twice (inline, per call) reads the same entries; filter key order does not matter', async () => {
    expect(await new QueryGetJob(db, users, { cache }).get({ teamId: 2, isStaff: true })).toMatchObject({ username: 'cy' })
    const again = new QueryGetJob(db, users, { cache })
    expect(await again.read({ isStaff: true, teamId: 2 })).toMatchObject({ status: 'hit', value: { username: 'cy' } })
    expect(cache.findJob(`drizzle:${names.users}:get`)).toBe(again)
    expect(queries).toHaveLength(1)
  })
})

describe('QueryFilterJob', () => {
  it('reads rows with the order and limit of the options or the call, each its own entry', async () => {
    const job = new QueryFilterJob(db, users, { cache, orderBy: 'id' })
    expect(job.name).toBe(`drizzle:${names.users}:filter`)
    expect((await job.filter({ isStaff: true })).map((u) => u.username)).toEqual(['ann', 'cy'])
    expect((await job.filter({ teamId: 1 }, { orderBy: { column: 'username', direction: 'desc' } })).map((u) => u.username)).toEqual(['bob', 'ann'])
    expect((await job.filter({}, { orderBy: [{ column: 'teamId', direction: 'desc' }, 'id'], limit: 2 })).map((u) => u.username)).toEqual(['dee', 'cy'])
    expect((await job.filter()).map((u) => u.username)).toEqual(['ann', 'bob', 'cy', 'dee'])
    expect(await job.read({ isStaff: true })).toMatchObject({ status: 'hit' })
    // The explicit default order is the same read as no order given.
    expect(await job.read({ isStaff: true }, { orderBy: [{ column: 'id', direction: 'asc' }] })).toMatchObject({ status: 'hit' })
    expect(queries).toHaveLength(4)
    expect(queries[2]).toContain(`order by "${names.users}"."team_id" desc, "${names.users}"."id" asc limit $1`)
  })

  it('with fetchOnMiss: false a miss reads as no rows and the refresh fills the entry', async () => {
    const job = new QueryFilterJob(db, users, { cache, fetchOnMiss: false })
    expect(await job.read({ teamId: 2 })).toMatchObject({ status: 'miss', value: [] })
    await setup.drain()
    expect(await job.read({ teamId: 2 })).toMatchObject({ status: 'hit', value: [{ username: 'cy' }] })
    const get = new QueryGetJob(db, users, { cache, fetchOnMiss: false })
    expect(await get.get({ username: 'bob' })).toBeNull()
    await setup.drain()
    expect(await get.get({ username: 'bob' })).toMatchObject({ id: 2 })
  })
})

describe('Job operations', () => {
  it('lifetime, invalidate, delete, refresh, set and peek work with the same arguments', async () => {
    const job = new QueryFilterJob(db, users, { cache, lifetime: 10, orderBy: 'id' })
    await job.filter({ teamId: 1 })
    await db.update(users).set({ username: 'bobby' }).where(eq(users.username, 'bob'))
    setup.clock.advance(11) // past the lifetime: stale, refreshed in the background
    expect(await job.read({ teamId: 1 })).toMatchObject({ status: 'stale', value: [{ username: 'ann' }, { username: 'bob' }] })
    await setup.drain()
    expect(await job.read({ teamId: 1 })).toMatchObject({ status: 'hit', value: [{ username: 'ann' }, { username: 'bobby' }] })

    await db.update(users).set({ username: 'anna' }).where(eq(users.id, 1))
    await job.invalidate({ teamId: 1 })
    expect(await job.read({ teamId: 1 })).toMatchObject({ status: 'stale', value: [{ username: 'ann' }, { username: 'bobby' }] })
    await setup.drain()
    expect(await job.peek({ teamId: 1 })).toMatchObject({ status: 'hit', value: [{ username: 'anna' }, { username: 'bobby' }] })

    await job.delete({ teamId: 1 })
    expect(await job.peek({ teamId: 1 })).toMatchObject({ status: 'miss' })
    await db.update(users).set({ teamId: 1 }).where(eq(users.username, 'cy'))
    expect((await job.refresh({ teamId: 1 })).map((u) => u.username)).toEqual(['anna', 'bobby', 'cy'])
    await job.set([{ teamId: 1 }], [])
    expect(await job.read({ teamId: 1 })).toMatchObject({ status: 'hit', value: [] })
  })

  it('names a job by the schema-qualified table, and a given name wins', () => {
    const audit = pgSchema('audit').table('events', { id: serial('id').primaryKey() })
    expect(new QueryGetJob(db, audit, { cache }).name).toBe('drizzle:audit.events:get')
    expect(new QueryFilterJob(db, users, { cache, name: 'teamMembers' }).name).toBe('teamMembers')
  })

  it('a name taken by a job on another table, or by the other kind of job, is E_DUPLICATE_JOB', () => {
    cache.register(new QueryGetJob(db, users, { cache, name: 'lookup' }))
    cache.register(new QueryGetJob(db, users, { cache, name: 'lookup' })) // the same job made again
    expect(() => cache.register(new QueryGetJob(db, orderItems, { cache, name: 'lookup' }))).toThrowError(expect.objectContaining({ code: 'E_DUPLICATE_JOB' }))
    expect(() => cache.register(new QueryFilterJob(db, users, { cache, name: 'lookup' }))).toThrowError(expect.objectContaining({ code: 'E_DUPLICATE_JOB' }))
  })
})

describe('bad queries', () => {
  it('an unknown column fails with E_UNKNOWN_COLUMN naming it; no query is sent', async () => {
    const get = new QueryGetJob(db, users, { cache })
    const filter = new QueryFilterJob(db, users, { cache })
    const failures = [
      await get.get({ nope: 1 } as never).catch((e: unknown) => e),
      await filter.filter({ team_id: 1 } as never).catch((e: unknown) => e), // the SQL name is not the column's name here
      await filter.filter({}, { orderBy: 'missing' as never }).catch((e: unknown) => e),
    ]
    expect(failures.map((e) => (e as CachebackError).code)).toEqual(['E_UNKNOWN_COLUMN', 'E_UNKNOWN_COLUMN', 'E_UNKNOWN_COLUMN'])
    expect((failures[0] as Error).message).toBe(`drizzle:${names.users}:get: table "${names.users}" has no column "nope" (in the filters); its columns are id, username, teamId, isStaff (TypeScript names)`)
    expect((failures[1] as Error).message).toContain('no column "team_id"')
    expect((failures[2] as Error).message).toContain('no column "missing" (in orderBy)')
    expect(queries).toEqual([])
  })

  it('undefined filters, bad directions and limits fail with E_INVALID_QUERY; bad defaults fail at construction', async () => {
    const filter = new QueryFilterJob(db, users, { cache })
    const failures = [
      await filter.filter({ teamId: undefined }).catch((e: unknown) => e),
      await filter.filter({}, { orderBy: { column: 'id', direction: 'up' as never } }).catch((e: unknown) => e),
      await filter.filter({}, { limit: 0 }).catch((e: unknown) => e),
      await filter.filter({}, { offset: 3 } as never).catch((e: unknown) => e),
    ]
    expect(failures.map((e) => (e as CachebackError).code)).toEqual(['E_INVALID_QUERY', 'E_INVALID_QUERY', 'E_INVALID_QUERY', 'E_INVALID_QUERY'])
    expect(failures.map((e) => (e as Error).message)).toEqual([
      expect.stringContaining('filter "teamId" is undefined'),
      expect.stringContaining('direction of "id" must be "asc" or "desc", got "up"'),
      expect.stringContaining('limit must be a positive integer, got 0'),
      expect.stringContaining('unknown query option "offset"'),
    ])
    expect(() => new QueryFilterJob(db, users, { cache, limit: 1.5 })).toThrowError(expect.objectContaining({ code: 'E_INVALID_QUERY' }))
    expect(() => new QueryGetJob(db, {} as never, { cache })).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION' }))
    expect(queries).toEqual([])
  })
})

describe('row tags', () => {
  it('tags a composite primary key in key order, percent-encoding its parts', async () => {
    await db.insert(orderItems).values([{ orderId: 7, line: 'a:1', quantity: 2 }])
    const job = new QueryGetJob(db, orderItems, { cache })
    const row = await job.get({ orderId: 7 })
    expect(job.valueTags(row, { orderId: 7 })).toEqual([names.orderItems, `${names.orderItems}:7:a%3A1`])
    expect(rowTag(orderItems, { orderId: 7, line: 'a:1' })).toBe(`${names.orderItems}:7:a%3A1`)
    expect(tableTag(orderItems)).toBe(names.orderItems)
    const tagged = new QueryGetJob(db, orderItems, { cache, tags: (filters) => [`order:${filters.orderId}`] }) // the option adds tags of one's own
    expect(tagged.tags({ orderId: 7 })).toEqual(['order:7'])
    expect(() => rowTag(orderItems, { orderId: 7 })).toThrowError(expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringContaining('column(s) line of table') }))
  })
})
