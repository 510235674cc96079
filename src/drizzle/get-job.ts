/**
 * `QueryGetJob`: one row of a table by equality filters, cached with
 * stale-while-revalidate. The table is the parameter (no subclass): the job
 * is named `drizzle:<table>:get`, keyed by its filters, and tags its entry
 * with the row's primary key (`users:42`) and the table (`users`).
 */
import { CachebackError } from '../errors.js'
import { Job, type JobOptions } from '../job.js'
import { type AnyDatabase, type Filters, type Where, describeFilters, prepareFilters, selectRows } from './query.js'
import { tagsOfRows } from './tags.js'
import { type AnyTable, type RowOf, tableInfo } from './table.js'

/** Options of a `QueryGetJob`: the usual job options. */
export interface QueryGetJobOptions<TTable extends AnyTable = AnyTable> extends JobOptions<[filters: Filters<TTable>]> {
  /** Stable name workers find the job by. @default `drizzle:<SQL table name>:get` */
  name?: string
}

/**
 * Reads one row by equality filters: `new QueryGetJob(db, users).get({ username: 'ann' })`
 * resolves with the row or `null`; several matching rows reject with
 * `E_MULTIPLE_ROWS`. Every `Job` operation takes the same filters
 * (`invalidate`, `delete`, `refresh`, `peek`, `set`, `read`).
 */
export class QueryGetJob<TTable extends AnyTable> extends Job<[filters: Filters<TTable>], RowOf<TTable> | null> {
  /** The database the reads go to. */
  readonly db: AnyDatabase
  /** The table read. */
  readonly table: TTable
  /**
   * @internal What the job registry tells jobs apart by: the kind of job and
   * the SQL table. Two QueryGetJobs on one table are one job (made again, it
   * replaces itself); a name taken by one on another table is `E_DUPLICATE_JOB`.
   */
  readonly target: string
  private readonly where: Where

  constructor(db: AnyDatabase, table: TTable, options: QueryGetJobOptions<TTable> = {}) {
    const info = tableInfo(table)
    const name = options.name ?? `drizzle:${info.name}:get`
    super({ ...options, name })
    this.db = db
    this.table = table
    this.target = `QueryGetJob ${info.name}`
    this.where = { job: this.name, info }
  }

  /** Checks the filters (`E_UNKNOWN_COLUMN`, `E_INVALID_QUERY`) before anything is keyed or queried. */
  override prepareArgs(filters: Filters<TTable>): [filters: Filters<TTable>] {
    return [prepareFilters(this.where, filters) as Filters<TTable>]
  }

  /** Selects the rows matching the filters (two at most): one row, `null`, or `E_MULTIPLE_ROWS`. */
  async fetch(filters: Filters<TTable>): Promise<RowOf<TTable> | null> {
    const prepared = prepareFilters(this.where, filters) // a refresh payload's filters are checked again
    const rows = await selectRows(this.db, this.where, prepared, { orderBy: [], limit: 2 })
    if (rows.length > 1) {
      throw new CachebackError('E_MULTIPLE_ROWS', `${this.name}: more than one row of table "${this.where.info.name}" matches ${describeFilters(prepared)}; get() returns one row or null (use QueryFilterJob for several)`, { job: this.name })
    }
    return (rows[0] as RowOf<TTable> | undefined) ?? null
  }

  /** Tags of a fetched value: the table's SQL name, and `<table>:<primary key>` of the row found. */
  override valueTags(row: RowOf<TTable> | null, ..._args: [filters: Filters<TTable>]): string[] {
    return tagsOfRows(this.where.info, row ? [row as Record<string, unknown>] : [])
  }
}
