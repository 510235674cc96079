/**
 * graphql-cacheback/drizzle: the ORM jobs (SPEC section 10). `QueryGetJob`
 * and `QueryFilterJob` cache simple reads of a Drizzle PostgreSQL table with
 * stale-while-revalidate; the table is the parameter, no subclass needed.
 * Each returned row tags its entry (`rowTag`), so a write can invalidate
 * every cached read that returned the row.
 */
export { QueryGetJob, type QueryGetJobOptions } from './get-job.js'
export { QueryFilterJob, type QueryFilterJobOptions, type FilterArgs } from './filter-job.js'
export type { AnyDatabase, Filters, FilterQuery, OrderTerm, OrderDirection, PreparedQuery } from './query.js'
export { rowTag, tableTag } from './tags.js'
export type { AnyTable, RowOf, ColumnName } from './table.js'
