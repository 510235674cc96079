/**
 * The ORM example (`npm run example:drizzle`) as a user starts it: a child
 * process on the test PostgreSQL with its own table. Repeated queries are
 * served from the cache (a database write alone is not seen), the mutation
 * writes a row and invalidates its tag so the next query reads the write,
 * and SIGTERM stops it cleanly, dropping its table.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, expect, it } from 'vitest'
import { DATABASE_URL, openDatabase } from '../helpers/postgres.js'
import { startExampleProcess } from './example-process.js'

const table = `cb_example_${randomBytes(4).toString('hex')}`
const { pool } = openDatabase()
afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS "${table}"`)
  await pool.end()
})

async function query(url: string, text: string): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) })
  const body = (await response.json()) as { data?: unknown; errors?: unknown[] }
  expect(body.errors, JSON.stringify(body)).toBeUndefined()
  return body.data
}

it('serves the table through the jobs, reads its own write after the mutation, and stops cleanly', async () => {
  const server = startExampleProcess(['example-server/drizzle.ts'], { PORT: '0', DATABASE_URL, EXAMPLE_TABLE: table, LIFETIME: '600' })
  try {
    const [, url] = await server.waitForLine(/GraphQL server ready at (\S+)/)
    const team = '{ team(id: 1) { id username } }'
    expect(await query(url, team)).toEqual({ team: [{ id: 1, username: 'ann' }, { id: 2, username: 'bob' }] })
    await pool.query(`UPDATE "${table}" SET username = 'ann (not invalidated)' WHERE id = 1`)
    expect(await query(url, team)).toEqual({ team: [{ id: 1, username: 'ann' }, { id: 2, username: 'bob' }] }) // fresh in the cache

    expect(await query(url, 'mutation { renameUser(id: 2, username: "bobby") { id username } }')).toEqual({ renameUser: { id: 2, username: 'bobby' } })
    expect(await query(url, team)).toEqual({ team: [{ id: 1, username: 'ann (not invalidated)' }, { id: 2, username: 'bobby' }] })
  } finally {
    expect(await server.stop()).toBe(0)
  }
  expect((await pool.query('SELECT to_regclass($1) AS found', [table])).rows[0].found).toBeNull()
})
