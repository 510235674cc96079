/**
 * The PostgreSQL of the ORM tests: `DATABASE_URL`, else the machine's local
 * server (127.0.0.1:5432, trust auth, database `test`). Each test file makes
 * its tables under unique names (`createTables`) and drops them when done;
 * the table definitions are shared with the worker fixture, which rebuilds
 * them from the names.
 */
import { randomBytes } from 'node:crypto'
import { customType, bigint, boolean, date, doublePrecision, integer, interval, json, jsonb, numeric, pgTable, primaryKey, serial, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** `users`: a serial key, a nullable team, a flag. */
export function usersTable(name: string) {
  return pgTable(name, {
    id: serial('id').primaryKey(),
    username: text('username').notNull(),
    teamId: integer('team_id'),
    isStaff: boolean('is_staff').notNull().default(false),
  })
}

/** `order_items`: a composite primary key (orderId, line). */
export function orderItemsTable(name: string) {
  return pgTable(
    name,
    {
      orderId: integer('order_id').notNull(),
      line: text('line').notNull(),
      quantity: integer('quantity').notNull(),
    },
    (t) => [primaryKey({ columns: [t.orderId, t.line] })],
  )
}

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })

/** `typed`: one column of each type whose value must survive the store round-trip. */
export function typedTable(name: string) {
  return pgTable(name, {
    id: bigint('id', { mode: 'bigint' }).primaryKey(),
    amount: numeric('amount', { precision: 12, scale: 2 }),
    ratio: doublePrecision('ratio'),
    count: integer('count'),
    big: bigint('big', { mode: 'number' }),
    flag: boolean('flag'),
    createdAt: timestamp('created_at', { withTimezone: true }),
    localAt: timestamp('local_at'),
    day: date('day', { mode: 'date' }),
    dayText: date('day_text'),
    meta: jsonb('meta'),
    raw: json('raw'),
    labels: text('labels').array(),
    note: text('note'),
    uid: uuid('uid'),
    period: interval('period'),
    bytes: bytea('bytes'),
  })
}

/** The table names of one test file. */
export interface TableNames {
  users: string
  orderItems: string
  typed: string
}

/** Fresh table names: `cb_<label>_<random>_<table>`. */
export function uniqueTableNames(label: string): TableNames {
  const base = `cb_${label}_${randomBytes(4).toString('hex')}`
  return { users: `${base}_users`, orderItems: `${base}_order_items`, typed: `${base}_typed` }
}

/** A pool and a Drizzle database on it; `queries` records every SQL statement Drizzle sends. */
export function openDatabase() {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
  const queries: string[] = []
  const db = drizzle(pool, { logger: { logQuery: (query) => void queries.push(query) } })
  return { pool, db, queries }
}

/** Creates the tables of `names`. */
export async function createTables(pool: pg.Pool, names: TableNames): Promise<void> {
  await pool.query(`
    CREATE TABLE "${names.users}" (id serial PRIMARY KEY, username text NOT NULL, team_id integer, is_staff boolean NOT NULL DEFAULT false);
    CREATE TABLE "${names.orderItems}" (order_id integer NOT NULL, line text NOT NULL, quantity integer NOT NULL, PRIMARY KEY (order_id, line));
    CREATE TABLE "${names.typed}" (
      id bigint PRIMARY KEY, amount numeric(12, 2), ratio double precision, count integer, big bigint, flag boolean,
      created_at timestamptz, local_at timestamp, day date, day_text date, meta jsonb, raw json, labels text[],
      note text, uid uuid, period interval, bytes bytea
    );`)
}

/** Drops the tables of `names`. */
export async function dropTables(pool: pg.Pool, names: TableNames): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS "${names.users}", "${names.orderItems}", "${names.typed}"`)
}
