/**
 * The ORM example: a GraphQL server whose resolvers read a PostgreSQL table
 * through `QueryGetJob` and `QueryFilterJob` (graphql-cacheback/drizzle),
 * and whose mutation writes a row and invalidates the reads that returned it.
 *
 *   npm run example:drizzle     (= tsx example-server/drizzle.ts)
 *
 * Needs a PostgreSQL: `DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test.
 * On start it (re)creates the table `EXAMPLE_TABLE` (default
 * `cacheback_example_users`) with four users; it drops it on exit. The cache
 * is embedded (memory store, refreshes in this process). Other settings:
 * `PORT` (default 4000, 0: a free one), `LIFETIME` (seconds a read stays
 * fresh, default 10).
 */
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { boolean, integer, pgTable, serial, text } from 'drizzle-orm/pg-core'
import pg from 'pg'
// In your project: import { ... } from 'graphql-cacheback' and 'graphql-cacheback/drizzle'
import { Cacheback } from '../src/index.js'
import { QueryFilterJob, QueryGetJob, rowTag } from '../src/drizzle/index.js'
import { logCacheEvent } from './cache.js'

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const tableName = process.env.EXAMPLE_TABLE ?? 'cacheback_example_users'
const port = Number(process.env.PORT ?? 4000)
const lifetime = Number(process.env.LIFETIME ?? 10)

const users = pgTable(tableName, {
  id: serial('id').primaryKey(),
  username: text('username').notNull(),
  teamId: integer('team_id').notNull(),
  isStaff: boolean('is_staff').notNull().default(false),
})

const typeDefs = /* GraphQL */ `
  type Query {
    user(username: String!): User
    team(id: Int!, first: Int = 10): [User!]!
  }
  type Mutation {
    renameUser(id: Int!, username: String!): User
  }
  type User {
    id: Int!
    username: String!
    teamId: Int!
    isStaff: Boolean!
  }
`

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl })
  const db = drizzle(pool)
  await pool.query(`DROP TABLE IF EXISTS "${tableName}"; CREATE TABLE "${tableName}" (id serial PRIMARY KEY, username text NOT NULL, team_id integer NOT NULL, is_staff boolean NOT NULL DEFAULT false)`)
  await db.insert(users).values([
    { username: 'ann', teamId: 1, isStaff: true },
    { username: 'bob', teamId: 1 },
    { username: 'cy', teamId: 2 },
    { username: 'dee', teamId: 2, isStaff: true },
  ])

  const cache = new Cacheback({ namespace: 'cacheback-example-drizzle', onEvent: (event) => logCacheEvent(event) })
  // The table is the parameter: no subclass. Jobs may be made once (here) or inline per call.
  const userByName = new QueryGetJob(db, users, { cache, lifetime })
  const teamMembers = new QueryFilterJob(db, users, { cache, lifetime, orderBy: 'id' })
  const resolvers = {
    Query: {
      user: (_: unknown, args: { username: string }) => userByName.get({ username: args.username }),
      team: (_: unknown, args: { id: number; first: number }) => teamMembers.filter({ teamId: args.id }, { limit: args.first }),
    },
    Mutation: {
      renameUser: async (_: unknown, args: { id: number; username: string }) => {
        const [row] = await db.update(users).set({ username: args.username }).where(eq(users.id, args.id)).returning()
        // Every cached read that returned this row carries its tag (`<table>:<id>`).
        if (row) await cache.invalidate({ tag: rowTag(users, row) }, { mode: 'purge' })
        return row ?? null
      },
    },
  }
  const server = new ApolloServer({ schema: makeExecutableSchema({ typeDefs, resolvers }), stopOnTerminationSignals: false })
  const { url } = await startStandaloneServer(server, { listen: { port } })
  console.log(
    [
      `PostgreSQL ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}, table "${tableName}" (recreated; dropped on exit)`,
      `Cache: embedded, reads fresh ${lifetime} s, then served stale while refreshed`,
      `GraphQL server ready at ${url}`,
      `  curl -s ${url} -H 'content-type: application/json' -d '{"query":"{ team(id: 1) { id username } }"}'`,
      `  curl -s ${url} -H 'content-type: application/json' -d '{"query":"mutation { renameUser(id: 2, username: \\"bobby\\") { id username } }"}'`,
      '',
    ].join('\n'),
  )

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping`)
    await server.stop()
    await cache.close()
    await pool.query(`DROP TABLE IF EXISTS "${tableName}"`).catch(() => undefined)
    await pool.end()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
