/**
 * The queries of the ORM jobs, as plain data: filters (equality on columns
 * by TypeScript name), order (column names and directions) and a limit.
 * Checked and normalized before anything is keyed or sent (an unknown column
 * is `E_UNKNOWN_COLUMN`, no query runs), so a worker rebuilds the same query
 * from a refresh payload; turned into one `select` here.
 */
import { type SQL, and, asc, desc, eq, isNull } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { CachebackError } from '../errors.js'
import type { AnyTable, ColumnName, RowOf, TableInfo } from './table.js'

/** A Drizzle PostgreSQL database (`drizzle(pool)` of drizzle-orm/node-postgres, or any other PostgreSQL driver). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDatabase = PgDatabase<PgQueryResultHKT, any, any>

/** Equality filters: column (TypeScript name) → value; `null` matches SQL NULL; all must match. */
export type Filters<TTable extends AnyTable> = { [K in ColumnName<TTable>]?: RowOf<TTable>[K] | null }

/** Sort direction. */
export type OrderDirection = 'asc' | 'desc'

/** One sort term: a column (ascending) or a column and direction. */
export type OrderTerm<TTable extends AnyTable> = ColumnName<TTable> | { column: ColumnName<TTable>; direction?: OrderDirection }

/** Order and size of a `QueryFilterJob` read. */
export interface FilterQuery<TTable extends AnyTable> {
  /** Sort terms, most significant first. @default none (the database's order) */
  orderBy?: OrderTerm<TTable> | readonly OrderTerm<TTable>[]
  /** Most rows returned (a positive integer). @default no limit */
  limit?: number
}

/** A query as keyed and sent to workers: every term explicit. */
export interface PreparedQuery {
  orderBy: { column: string; direction: OrderDirection }[]
  limit?: number
}

/** The job and table a query belongs to (errors name both). */
export interface Where {
  job: string
  info: TableInfo
}

function unknownColumn({ job, info }: Where, column: string, role: string): CachebackError {
  const known = [...info.columns.keys()].join(', ')
  return new CachebackError('E_UNKNOWN_COLUMN', `${job}: table "${info.name}" has no column "${column}" (${role}); its columns are ${known} (TypeScript names)`, { job })
}

function invalid({ job, info }: Where, why: string): CachebackError {
  return new CachebackError('E_INVALID_QUERY', `${job}: invalid query on table "${info.name}": ${why}`, { job })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Checks filters and copies them with sorted keys. */
export function prepareFilters(where: Where, filters: unknown): Record<string, unknown> {
  if (filters === undefined) return {}
  if (!isPlainObject(filters)) throw invalid(where, `filters must be a plain object of column → value, got ${describe(filters)}`)
  const prepared: Record<string, unknown> = {}
  for (const column of Object.keys(filters).sort()) {
    if (!where.info.columns.has(column)) throw unknownColumn(where, column, 'in the filters')
    const value = filters[column]
    if (value === undefined) throw invalid(where, `filter "${column}" is undefined (use null to match NULL, or leave the column out)`)
    prepared[column] = value
  }
  return prepared
}

/** Checks order and limit (each the call's, else the job's default) into their explicit form. */
export function prepareQuery(where: Where, query: unknown, defaults: { orderBy?: unknown; limit?: unknown } = {}): PreparedQuery {
  if (query === undefined) query = {}
  if (!isPlainObject(query)) throw invalid(where, `the query must be an object { orderBy, limit }, got ${describe(query)}`)
  const extra = Object.keys(query).find((k) => k !== 'orderBy' && k !== 'limit')
  if (extra) throw invalid(where, `unknown query option "${extra}" (orderBy, limit)`)
  const given = query.orderBy ?? defaults.orderBy
  const terms = given === undefined ? [] : Array.isArray(given) ? given : [given]
  const orderBy = terms.map((term: unknown) => prepareTerm(where, term))
  const limit = query.limit ?? defaults.limit
  if (limit === undefined) return { orderBy }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw invalid(where, `limit must be a positive integer, got ${describe(limit)}`)
  return { orderBy, limit }
}

function prepareTerm(where: Where, term: unknown): PreparedQuery['orderBy'][number] {
  const { column, direction = 'asc' } = typeof term === 'string' ? { column: term } : isPlainObject(term) ? (term as { column?: unknown; direction?: unknown }) : { column: undefined }
  if (typeof column !== 'string') throw invalid(where, `an orderBy term must be a column name or { column, direction }, got ${describe(term)}`)
  if (!where.info.columns.has(column)) throw unknownColumn(where, column, 'in orderBy')
  if (direction !== 'asc' && direction !== 'desc') throw invalid(where, `orderBy direction of "${column}" must be "asc" or "desc", got ${describe(direction)}`)
  return { column, direction }
}

/** Runs one select of prepared filters and query (a get passes a limit of two, to tell one row from several). */
export async function selectRows(db: AnyDatabase, where: Where, filters: Record<string, unknown>, query: PreparedQuery): Promise<Record<string, unknown>[]> {
  const { info } = where
  const column = (name: string, role: string) => {
    const found = info.columns.get(name)
    if (!found) throw unknownColumn(where, name, role)
    return found
  }
  const conditions: SQL[] = Object.entries(filters).map(([name, value]) => (value === null ? isNull(column(name, 'in the filters')) : eq(column(name, 'in the filters'), value)))
  const order = query.orderBy.map(({ column: name, direction }) => (direction === 'desc' ? desc : asc)(column(name, 'in orderBy')))
  let select = db.select().from(info.table).where(and(...conditions)).$dynamic()
  if (order.length > 0) select = select.orderBy(...order)
  if (query.limit !== undefined) select = select.limit(query.limit)
  return (await select) as Record<string, unknown>[]
}

/** Filters as text for messages (bigints and Dates included). */
export function describeFilters(filters: Record<string, unknown>): string {
  return JSON.stringify(filters, (_key, value) => (typeof value === 'bigint' ? `${value}n` : value))
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : `an instance of ${Object.getPrototypeOf(value)?.constructor?.name ?? 'Object'}`
}
