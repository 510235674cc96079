/**
 * What the ORM jobs need to know about a Drizzle PostgreSQL table: its SQL
 * name (schema-qualified outside `public`), its columns by TypeScript name,
 * and its primary key (a column's `.primaryKey()` or the table's composite
 * `primaryKey({ columns })`). Read once per table object.
 */
import { type Column, getTableColumns, is } from 'drizzle-orm'
import { PgTable, getTableConfig } from 'drizzle-orm/pg-core'
import { CachebackError } from '../errors.js'

/** A Drizzle PostgreSQL table (`pgTable(...)`, `pgSchema(...).table(...)`). */
export type AnyTable = PgTable

/** A row of the table, as Drizzle returns it from `select()`. */
export type RowOf<TTable extends AnyTable> = TTable['$inferSelect']

/** A column of the table by its TypeScript name (the key in the table definition). */
export type ColumnName<TTable extends AnyTable> = Extract<keyof RowOf<TTable>, string>

/** The facts about one table. */
export interface TableInfo {
  readonly table: AnyTable
  /** SQL name, `schema.name` when the table is in a schema other than the default. */
  readonly name: string
  /** Columns by TypeScript name. */
  readonly columns: ReadonlyMap<string, Column>
  /** TypeScript names of the primary key columns, in key order; empty when the table has none. */
  readonly primaryKey: readonly string[]
}

const infos = new WeakMap<object, TableInfo>()

/** The facts about `table`, or `E_INVALID_OPTION` when it is not a Drizzle PostgreSQL table. */
export function tableInfo(table: AnyTable): TableInfo {
  const known = infos.get(table)
  if (known) return known
  if (!is(table, PgTable)) {
    throw new CachebackError('E_INVALID_OPTION', `graphql-cacheback/drizzle: expected a Drizzle PostgreSQL table (pgTable from drizzle-orm/pg-core), got ${describeThing(table)}`)
  }
  const config = getTableConfig(table)
  const columns = new Map<string, Column>(Object.entries(getTableColumns(table)))
  // A composite key's columns are copies of the table's: match them by SQL name.
  const bySqlName = new Map<string, string>([...columns].map(([name, column]) => [column.name, name]))
  const composite = config.primaryKeys[0]?.columns
  const primaryKey = composite ? composite.map((column) => bySqlName.get(column.name) ?? column.name) : [...columns].filter(([, column]) => column.primary).map(([name]) => name)
  const info: TableInfo = { table, name: config.schema && config.schema !== 'public' ? `${config.schema}.${config.name}` : config.name, columns, primaryKey }
  infos.set(table, info)
  return info
}

function describeThing(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value)
  return `an instance of ${Object.getPrototypeOf(value)?.constructor?.name ?? 'Object'}`
}
