/**
 * Rows keep their column types through the Redis store: a second process
 * reads from Redis exactly what Drizzle returned (timestamps as Date, numeric
 * as Drizzle's string, bigint, json/jsonb, arrays, bytea, nulls). A JSON
 * value with an own "__proto__" key would come back renamed, so it is refused
 * with a coded error.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { CachebackError } from '../../src/index.js'
import { QueryFilterJob, QueryGetJob } from '../../src/drizzle/index.js'
import { createEngineSetup, type EngineSetup } from '../helpers/engine.js'
import { createTables, dropTables, openDatabase, typedTable, uniqueTableNames } from '../helpers/postgres.js'

const names = uniqueTableNames('types')
const typed = typedTable(names.typed)
const { pool, db } = openDatabase()

beforeAll(async () => {
  await createTables(pool, names)
  await db.insert(typed).values([
    {
      id: 9_007_199_254_740_993n, // past Number.MAX_SAFE_INTEGER
      amount: '12345.67',
      ratio: 0.1 + 0.2,
      count: -3,
      big: 2 ** 40,
      flag: false,
      createdAt: new Date('2026-03-04T05:06:07.891Z'),
      localAt: new Date('2026-03-04T05:06:07.000Z'),
      day: new Date('2026-03-04T00:00:00.000Z'),
      dayText: '2026-03-05',
      meta: { nested: { list: [1, 'two', null, { deep: true }] }, empty: {}, nothing: null },
      raw: [1, { a: 'b' }],
      labels: ['x', 'y,z', ''],
      note: 'é ✓ text',
      uid: '6f1c1a8e-2f35-4a7a-9a5c-0d5b1e2c3d4f',
      period: '1 day 02:03:04',
      bytes: Buffer.from([0, 1, 2, 255]),
    },
    { id: 2n }, // every other column NULL
    { id: 3n, meta: JSON.parse('{"__proto__": {"admin": true}}') },
  ])
})
afterAll(async () => {
  await dropTables(pool, names)
  await pool.end()
})

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(() => setup.cleanup())

it('a row read back from Redis by another process equals what Drizzle returned, types included', async () => {
  const direct = await db.select().from(typed).orderBy(typed.id)
  const [nulls, , full] = direct // ids 2, 3, 9007199254740993
  const writer = new QueryFilterJob(db, typed, { cache: setup.process() })
  expect(await writer.filter({ flag: false })).toStrictEqual([full])
  expect(await writer.filter({ note: null }, { orderBy: 'id', limit: 1 })).toStrictEqual([nulls])
  expect((await new QueryFilterJob(db, typed, { cache: setup.process() }).read({ flag: false })).value).toStrictEqual([full])

  const reader = new QueryGetJob(db, typed, { cache: setup.process() })
  await new QueryGetJob(db, typed, { cache: setup.process() }).get({ id: 9_007_199_254_740_993n })
  const read = await reader.read({ id: 9_007_199_254_740_993n })
  expect(read.status).toBe('hit') // decoded from Redis, not the fetching process's object
  const row = read.value!
  expect(row).toStrictEqual(full)
  expect(row.id).toBe(9_007_199_254_740_993n)
  expect(row.amount).toBe('12345.67') // numeric: Drizzle's string, kept as is
  expect(row.ratio).toBe(0.1 + 0.2)
  expect(row.big).toBe(2 ** 40)
  expect(row.createdAt).toBeInstanceOf(Date)
  expect(row.createdAt!.toISOString()).toBe('2026-03-04T05:06:07.891Z')
  expect(row.localAt).toBeInstanceOf(Date)
  expect(row.day).toBeInstanceOf(Date)
  expect(row.dayText).toBe('2026-03-05')
  expect(row.meta).toStrictEqual({ nested: { list: [1, 'two', null, { deep: true }] }, empty: {}, nothing: null })
  expect(row.labels).toStrictEqual(['x', 'y,z', ''])
  expect(row.period).toBe('1 day 02:03:04')
  expect(Buffer.isBuffer(row.bytes)).toBe(true)
  expect([...row.bytes!]).toEqual([0, 1, 2, 255])

  await reader.get({ id: 2n })
  const empty = await new QueryGetJob(db, typed, { cache: setup.process() }).read({ id: 2n })
  expect(empty).toMatchObject({ status: 'hit' })
  expect(empty.value).toStrictEqual(nulls)
  expect(Object.values(empty.value!).filter((v) => v !== null)).toEqual([2n])
})

it('refuses a JSON value with an own "__proto__" key (it would come back renamed) with E_UNSERIALIZABLE_VALUE', async () => {
  const job = new QueryGetJob(db, typed, { cache: setup.process() })
  const error = await job.get({ id: 3n }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(CachebackError)
  expect(error).toMatchObject({ code: 'E_UNSERIALIZABLE_VALUE', job: `drizzle:${names.typed}:get` })
  expect((error as Error).message).toContain('value.meta.__proto__ (an own "__proto__" key)')
  expect(await job.peek({ id: 3n })).toMatchObject({ status: 'miss' })
})
