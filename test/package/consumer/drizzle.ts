/**
 * A strict TypeScript consumer of `/drizzle` (peer drizzle-orm, with pg and
 * @types/pg), with every peer installed. Compiled like all.ts (together with
 * it), and by `npm run typecheck` against src/. The `@ts-expect-error` lines
 * are the type-level tests: each must fail.
 */
import { Cacheback } from 'graphql-cacheback'
import { QueryFilterJob, QueryGetJob, type RowOf, rowTag, tableTag } from 'graphql-cacheback/drizzle'
import { drizzle } from 'drizzle-orm/node-postgres'
import { boolean, integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core'
import pg from 'pg'

const users = pgTable('users', {
  id: serial('id').primaryKey(),
  username: text('username').notNull(),
  teamId: integer('team_id'),
  isStaff: boolean('is_staff').notNull(),
  joinedAt: timestamp('joined_at').notNull(),
})
type User = RowOf<typeof users>

export function jobs(url: string) {
  const cache = new Cacheback()
  const db = drizzle(new pg.Pool({ connectionString: url }))
  const byName = new QueryGetJob(db, users, { cache, lifetime: 60 })
  const team = new QueryFilterJob(db, users, { cache, orderBy: { column: 'joinedAt', direction: 'desc' }, limit: 20 })
  const one: Promise<User | null> = byName.get({ username: 'ann' })
  const many: Promise<User[]> = team.filter({ teamId: null, isStaff: true }, { orderBy: ['username', 'id'], limit: 5 })
  // @ts-expect-error filters name TypeScript columns only
  void byName.get({ team_id: 1 })
  // @ts-expect-error a filter value has its column's type
  void team.filter({ teamId: '1' })
  // @ts-expect-error orderBy names a column
  void team.filter({}, { orderBy: 'nope' })
  // @ts-expect-error a get returns one row or null, not rows
  const notRows: Promise<User[]> = byName.get({ username: 'ann' })
  return { one, many, notRows, tags: [rowTag(users, { id: 42 }), tableTag(users)] }
}
