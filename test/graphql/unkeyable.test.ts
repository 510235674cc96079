/**
 * A field read whose parent or arguments cannot be keyed by content and type
 * (here: class instances without toJSON(), whose state is private) is served
 * uncached with its own resolver's value, and E_INVALID_KEY is reported
 * naming the coordinate: never one key for instances that differ.
 */
import { ApolloServer } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { GraphQLScalarType } from 'graphql'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { type CachebackError, isCachebackError } from '../../src/index.js'
import { cachebackDirective } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'
import { type EngineSetup, createEngineSetup } from '../helpers/engine.js'
import { run } from '../helpers/graphql.js'

/** An account whose owner is private: keyed by its own fields, every account would look alike. */
class Account {
  readonly #owner: string
  constructor(owner: string) {
    this.#owner = owner
  }
  get owner() {
    return this.#owner
  }
}

const SDL = /* GraphQL */ `
  scalar Owner
  type Query {
    account(owner: String!): Account
    balanceOf(owner: Owner!): String @cacheback(lifetime: 10)
  }
  type Account {
    balance: String @cacheback(lifetime: 10)
  }
`

let setup: EngineSetup
beforeEach(() => {
  setup = createEngineSetup('memory')
})
afterEach(async () => {
  await setup.cleanup()
})

async function accountsServer() {
  const calls = { balance: 0, balanceOf: 0 }
  const directive = cachebackDirective({ cache: setup.process() })
  const ownerScalar = new GraphQLScalarType({ name: 'Owner', serialize: String, parseValue: (v) => new Account(String(v)) })
  const schema = directive.transformer(
    makeExecutableSchema({
      typeDefs: [directive.typeDefs, SDL],
      resolvers: {
        Owner: ownerScalar,
        Query: {
          account: (_: unknown, { owner }: { owner: string }) => new Account(owner),
          balanceOf: (_: unknown, { owner }: { owner: Account }) => (calls.balanceOf++, `balance of ${owner.owner}`),
        },
        Account: { balance: (account: Account) => (calls.balance++, `balance of ${account.owner}`) },
      },
    }),
  )
  const server = new ApolloServer({ schema, plugins: [cachebackApolloPlugin()] })
  await server.start()
  return { server: server as never as Parameters<typeof run>[0], calls }
}

function invalidKeys(): CachebackError[] {
  return setup.log.events.map((e) => ('error' in e ? e.error : undefined)).filter((e): e is CachebackError => isCachebackError(e, 'E_INVALID_KEY'))
}

it('serves a field whose parent cannot be keyed uncached, each parent its own value, and reports E_INVALID_KEY', async () => {
  const { server, calls } = await accountsServer()
  for (const owner of ['ann', 'bob', 'ann']) {
    const result = await run(server, 'query($owner: String!) { account(owner: $owner) { balance } }', {}, { owner })
    expect(result.errors).toBeUndefined()
    expect(result.data.account.balance).toBe(`balance of ${owner}`)
    expect(result.extensions?.cacheback).toBeUndefined()
  }
  expect(calls.balance).toBe(3)
  const errors = invalidKeys()
  expect(errors).toHaveLength(3)
  for (const error of errors) {
    expect(error).toMatchObject({ code: 'E_INVALID_KEY', coordinate: 'Account.balance', job: 'graphql:Account.balance' })
    expect(error.message).toMatch(/^Account\.balance: cannot key this read \(.*cannot use an instance of Account without toJSON\(\).*\); served uncached$/)
  }
  await server.stop()
})

it('does the same for arguments that cannot be keyed (a scalar parsed to such an instance)', async () => {
  const { server, calls } = await accountsServer()
  for (const owner of ['ann', 'bob']) {
    const result = await run(server, 'query($owner: Owner!) { balanceOf(owner: $owner) }', {}, { owner })
    expect(result.data.balanceOf).toBe(`balance of ${owner}`)
  }
  expect(calls.balanceOf).toBe(2)
  expect(invalidKeys().map((e) => e.coordinate)).toEqual(['Query.balanceOf', 'Query.balanceOf'])
  await server.stop()
})
