/**
 * `QueryFilterJob`: the rows of a table matching equality filters, in an
 * optional order and up to an optional limit, cached with
 * stale-while-revalidate. The table is the parameter (no subclass): the job
 * is named `drizzle:<table>:filter`, keyed by its filters and query, and tags
 * its entry with each row's primary key (`users:42`) and the table (`users`).
 */
import { Job, type JobOptions } from '../job.js'
import { type AnyDatabase, type FilterQuery, type Filters, type PreparedQuery, type Where, prepareFilters, prepareQuery, selectRows } from './query.js'
import { tagsOfRows } from './tags.js'
import { type AnyTable, type RowOf, tableInfo } from './table.js'

/** Options of a `QueryFilterJob`: the usual job options, and the default order and limit of its reads. */
export interface QueryFilterJobOptions<TTable extends AnyTable = AnyTable> extends JobOptions<FilterArgs<TTable>>, FilterQuery<TTable> {
  /** Stable name workers find the job by. @default `drizzle:<SQL table name>:filter` */
  name?: string
}

/** Arguments of a `QueryFilterJob`'s operations: filters, then order and limit. */
export type FilterArgs<TTable extends AnyTable> = [filters?: Filters<TTable>, query?: FilterQuery<TTable>]

/**
 * Reads the rows matching equality filters:
 * `new QueryFilterJob(db, users).filter({ isStaff: true }, { orderBy: { column: 'id', direction: 'desc' }, limit: 20 })`.
 * `orderBy` and `limit` of the call override the job's options. Every `Job`
 * operation takes the same arguments (`invalidate`, `delete`, `refresh`,
 * `peek`, `set`, `read`, `get`).
 */
export class QueryFilterJob<TTable extends AnyTable> extends Job<FilterArgs<TTable>, RowOf<TTable>[]> {
  /** The database the reads go to. */
  readonly db: AnyDatabase
  /** The table read. */
  readonly table: TTable
  /**
   * @internal What the job registry tells jobs apart by: the kind of job and
   * the SQL table. Two QueryFilterJobs on one table are one job (made again, it
   * replaces itself); a name taken by one on another table is `E_DUPLICATE_JOB`.
   */
  readonly target: string
  private readonly where: Where
  private readonly defaults: FilterQuery<TTable>

  constructor(db: AnyDatabase, table: TTable, options: QueryFilterJobOptions<TTable> = {}) {
    const info = tableInfo(table)
    const name = options.name ?? `drizzle:${info.name}:filter`
    super({ ...options, name })
    this.db = db
    this.table = table
    this.target = `QueryFilterJob ${info.name}`
    this.where = { job: this.name, info }
    this.defaults = { orderBy: options.orderBy, limit: options.limit }
    prepareQuery(this.where, {}, this.defaults) // a bad default order or limit fails here, not at the first read
  }

  /** The rows matching `filters` (all rows without), through the cache. */
  filter(filters: Filters<TTable> = {}, query?: FilterQuery<TTable>): Promise<RowOf<TTable>[]> {
    return this.get(filters, query)
  }

  /** Checks filters and query (`E_UNKNOWN_COLUMN`, `E_INVALID_QUERY`) and makes order and limit explicit, before anything is keyed or queried. */
  override prepareArgs(filters?: Filters<TTable>, query?: FilterQuery<TTable>): FilterArgs<TTable> {
    return [prepareFilters(this.where, filters) as Filters<TTable>, prepareQuery(this.where, query, this.defaults) as unknown as FilterQuery<TTable>]
  }

  /** Selects the matching rows. */
  async fetch(filters?: Filters<TTable>, query?: FilterQuery<TTable>): Promise<RowOf<TTable>[]> {
    // A refresh payload's arguments are checked again; they are explicit, so the defaults do not apply.
    const prepared: PreparedQuery = prepareQuery(this.where, query)
    return (await selectRows(this.db, this.where, prepareFilters(this.where, filters), prepared)) as RowOf<TTable>[]
  }

  /** A miss with `fetchOnMiss: false` reads as no rows. */
  override empty(): RowOf<TTable>[] {
    return []
  }

  /** Tags of a fetched value: the table's SQL name, and `<table>:<primary key>` of every row. */
  override valueTags(rows: RowOf<TTable>[], ..._args: FilterArgs<TTable>): string[] {
    return tagsOfRows(this.where.info, rows as Record<string, unknown>[])
  }
}
