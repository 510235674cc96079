/**
 * The ORM jobs behind GraphQL resolvers, refreshed by a `cacheback-worker`
 * process whose setup module makes the same jobs on its own connection:
 * reads hit, go stale past their lifetime, are served stale while the
 * worker rebuilds the query from the refresh payload (filters, order, limit),
 * and then hit with the rows as written.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { eq } from 'drizzle-orm'
import { graphql } from 'graphql'
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject, it } from 'vitest'
import { QueryFilterJob, QueryGetJob } from '../../src/drizzle/index.js'
import { createEngineSetup, type EngineSetup } from '../helpers/engine.js'
import { DATABASE_URL, createTables, dropTables, openDatabase, uniqueTableNames, usersTable } from '../helpers/postgres.js'

const names = uniqueTableNames('worker')
const users = usersTable(names.users)
const { pool, db } = openDatabase()

beforeAll(async () => {
  await createTables(pool, names)
  await db.insert(users).values([{ username: 'ann', teamId: 1 }, { username: 'bob', teamId: 1 }, { username: 'cy', teamId: 2 }])
})
afterAll(async () => {
  await dropTables(pool, names)
  await pool.end()
})

let setup: EngineSetup
let worker: ChildProcess | undefined
beforeEach(() => {
  setup = createEngineSetup('redis')
})
afterEach(async () => {
  worker?.kill('SIGKILL')
  await setup.cleanup()
})

/** Starts the worker command on the fixture; resolves with a way to wait for a line it prints. */
async function startWorker(): Promise<(pattern: RegExp) => Promise<void>> {
  const env = { REDIS_URL: inject('redisUrl'), NAMESPACE: setup.namespace, CLOCK_MS: String(setup.clock.now()), USERS_TABLE: names.users, DATABASE_URL }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/worker.ts', '--module', 'test/fixtures/drizzle-worker-setup.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  worker = child
  const lines: string[] = []
  const waiters: { pattern: RegExp; resolve: () => void }[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    for (const w of waiters.filter((w) => w.pattern.test(line))) w.resolve()
  })
  const waitForLine = (pattern: RegExp) => (lines.some((l) => pattern.test(l)) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pattern, resolve })))
  await waitForLine(/ready: queue/)
  return waitForLine
}

it('serves GraphQL from the jobs, stale past the lifetime, refreshed by a worker process', async () => {
  const cache = setup.process()
  const user = new QueryGetJob(db, users, { cache, lifetime: 10 })
  const team = new QueryFilterJob(db, users, { cache, lifetime: 10 })
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { user(username: String!): User, team(id: Int!, first: Int!): [User!]! } type User { id: Int!, username: String!, teamId: Int }',
    resolvers: {
      Query: {
        user: (_: unknown, args: { username: string }) => user.get({ username: args.username }),
        team: (_: unknown, args: { id: number; first: number }) => team.filter({ teamId: args.id }, { orderBy: { column: 'id', direction: 'desc' }, limit: args.first }),
      },
    },
  })
  const query = async () => (await graphql({ schema, source: '{ user(username: "ann") { id username teamId } team(id: 1, first: 2) { username } }' })).data
  const first = await query()
  expect(first).toEqual({ user: { id: 1, username: 'ann', teamId: 1 }, team: [{ username: 'bob' }, { username: 'ann' }] })
  expect(await user.read({ username: 'ann' })).toMatchObject({ status: 'hit' })

  await db.update(users).set({ teamId: 2 }).where(eq(users.username, 'ann'))
  await db.update(users).set({ username: 'bobby' }).where(eq(users.username, 'bob'))
  expect(await query()).toEqual(first) // fresh: cached rows, no query

  setup.clock.advance(11)
  const waitForLine = await startWorker()
  expect(await query()).toEqual(first) // stale, served while the worker refreshes
  expect(setup.log.of('refresh-dispatched').map((e) => e.job).sort()).toEqual([`drizzle:${names.users}:filter`, `drizzle:${names.users}:get`])
  await waitForLine(new RegExp(`refresh-succeeded drizzle:${names.users}:get `))
  await waitForLine(new RegExp(`refresh-succeeded drizzle:${names.users}:filter `))

  expect(await query()).toEqual({ user: { id: 1, username: 'ann', teamId: 2 }, team: [{ username: 'bobby' }] })
  expect(await team.read({ teamId: 1 }, { orderBy: { column: 'id', direction: 'desc' }, limit: 2 })).toMatchObject({ status: 'hit' })
  expect(setup.log.count('refresh-failed')).toBe(0)
})
