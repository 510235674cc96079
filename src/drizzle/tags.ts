/**
 * Row tags: every row an ORM job returns tags its entry with
 * `<SQL table name>:<primary key>`, and every read of a table carries the
 * table tag `<SQL table name>`, so a write can invalidate what it touched:
 *
 * - one-column key: the value as text (`users:42`, `users:ann`);
 * - composite key: the values in the key's column order joined by `:`, each
 *   with `%` and `:` percent-encoded (`order_items:7:3`);
 * - Dates as ISO text, bigints and numbers in decimal, anything else as JSON.
 *
 * `rowTag(table, row)` builds the tag from a row or from its key columns.
 */
import { CachebackError } from '../errors.js'
import { type AnyTable, type RowOf, type TableInfo, tableInfo } from './table.js'

function keyText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value) ?? String(value)
}

const escapePart = (text: string) => text.replace(/%/g, '%25').replace(/:/g, '%3A')

/** The tag of one row of the table, or undefined when the table has no primary key. */
export function tagOfRow(info: TableInfo, row: Record<string, unknown>): string | undefined {
  const { primaryKey } = info
  if (primaryKey.length === 0) return undefined
  if (primaryKey.length === 1) return `${info.name}:${keyText(row[primaryKey[0]])}`
  return `${info.name}:${primaryKey.map((column) => escapePart(keyText(row[column]))).join(':')}`
}

/** The tags of fetched rows: the table tag, then one per row with a primary key. */
export function tagsOfRows(info: TableInfo, rows: readonly Record<string, unknown>[]): string[] {
  const tags = new Set<string>([info.name])
  for (const row of rows) {
    const tag = tagOfRow(info, row)
    if (tag !== undefined) tags.add(tag)
  }
  return [...tags]
}

/**
 * The tag that the cached reads returning this row carry (`users:42`): pass
 * it to `cache.invalidate({ tag })` after writing the row. `row` needs only
 * the primary key columns, by their TypeScript names.
 * @throws CachebackError `E_INVALID_OPTION` when the table has no primary key
 */
export function rowTag<TTable extends AnyTable>(table: TTable, row: Partial<RowOf<TTable>>): string {
  const info = tableInfo(table)
  const values = row as Record<string, unknown>
  if (info.primaryKey.length === 0) throw new CachebackError('E_INVALID_OPTION', `rowTag: table "${info.name}" has no primary key, so its rows carry no tag (invalidate the table tag "${info.name}")`)
  const missing = info.primaryKey.filter((column) => values[column] === undefined || values[column] === null)
  if (missing.length > 0) throw new CachebackError('E_INVALID_OPTION', `rowTag: primary key column(s) ${missing.join(', ')} of table "${info.name}" missing from the row`)
  return tagOfRow(info, values)!
}

/** The tag every cached read of the table carries (its SQL name): invalidate it after inserts or bulk writes. */
export function tableTag(table: AnyTable): string {
  return tableInfo(table).name
}
