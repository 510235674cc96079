/**
 * `@cacheback(keySelection: true)` for a resolver that reads `info` to load
 * only the selected columns: two queries selecting different subfields get
 * their own entries (aliases, order and fragments do not split them), and a
 * refresh, in-process or in a bee-queue worker, gets an `info` with the
 * field's nodes and variables. With keySelection off, the same resolver
 * shares one entry between the queries and is refreshed blind.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type ExecutionResult, type GraphQLResolveInfo, Kind, type SelectionSetNode, execute, parse } from 'graphql'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Cacheback, isCachebackError } from '../../src/index.js'
import { cachebackDirective, cachebackTypeDefs, takeCacheReads } from '../../src/graphql/index.js'
import { ENGINE_KINDS, type EngineSetup, createEngineSetup } from '../helpers/engine.js'

const sdl = /* GraphQL */ `
  type Query {
    book(id: ID!): Book @cacheback(lifetime: 10, keySelection: true)
    sharedBook(id: ID!): Book @cacheback(lifetime: 10)
  }
  type Book { id: ID! title: String pages: Int author: Author }
  type Author { name: String born: Int }
`

/** The top-level columns a query selects (a lookahead, as column-pruning resolvers do). */
function selectedColumns(info: GraphQLResolveInfo): string[] {
  const names = new Set<string>()
  const walk = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value)
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet)
      else walk(info.fragments[selection.name.value]?.selectionSet)
    }
  }
  for (const node of info.fieldNodes) walk(node.selectionSet)
  return [...names].sort()
}

interface Load {
  columns: string[]
  variables: Record<string, unknown>
}

function bookResolvers(upstream: { version: number; loads: Load[] }) {
  const load = (_: unknown, { id }: { id: string }, __: unknown, info: GraphQLResolveInfo) => {
    const columns = selectedColumns(info)
    upstream.loads.push({ columns, variables: { ...info.variableValues } })
    const row: Record<string, unknown> = { id }
    if (columns.includes('title')) row.title = `Title ${id} v${upstream.version}`
    if (columns.includes('pages')) row.pages = 100 + upstream.version
    if (columns.includes('author')) row.author = { name: `Author of ${id}`, born: 1900 + upstream.version }
    return row
  }
  return { Query: { book: load, sharedBook: load } }
}

const TITLE = '{ book(id: "1") { title } }'
const TITLE_ALIASED = '{ book(id: "1") { t: title } }'
const DETAILS = /* GraphQL */ `
  query Details($withBorn: Boolean!) {
    book(id: "1") { ...Writer pages }
  }
  fragment Writer on Book { author { name born @include(if: $withBorn) } }
`
const DETAILS_REORDERED = 'query Details($withBorn: Boolean!) { book(id: "1") { pages ... on Book { author { born @include(if: $withBorn) name } } } }'

describe.each(ENGINE_KINDS)('keySelection on %s', (kind) => {
  let setup: EngineSetup
  let upstream: { version: number; loads: Load[] }
  let run: (query: string, variables?: Record<string, unknown>) => Promise<{ data: any; reads: unknown }>
  beforeEach(async () => {
    setup = createEngineSetup(kind)
    upstream = { version: 1, loads: [] }
    const schema = cachebackDirective({ cache: setup.process() }).transformer(makeExecutableSchema({ typeDefs: [cachebackTypeDefs, sdl], resolvers: bookResolvers(upstream) }))
    await setup.startWorker([], { schema })
    run = async (query, variables) => {
      const contextValue = {}
      const result = (await execute({ schema, document: parse(query), variableValues: variables, contextValue })) as ExecutionResult<any>
      expect(result.errors).toBeUndefined()
      return { data: result.data, reads: takeCacheReads(contextValue) }
    }
  })
  afterEach(async () => {
    await setup.cleanup()
  })

  it('on: one entry per selection, refreshed with the field nodes and variables', async () => {
    expect(await run(TITLE)).toMatchObject({ data: { book: { title: 'Title 1 v1' } }, reads: { miss: 1 } })
    const details = await run(DETAILS, { withBorn: true })
    expect(details).toMatchObject({ data: { book: { pages: 101, author: { name: 'Author of 1', born: 1901 } } }, reads: { miss: 1 } })
    // Aliases, field order and fragments do not split the entries.
    expect(await run(TITLE_ALIASED)).toMatchObject({ data: { book: { t: 'Title 1 v1' } }, reads: { hit: 1 } })
    expect(await run(DETAILS_REORDERED, { withBorn: true })).toMatchObject({ data: details.data, reads: { hit: 1 } })
    // A variable the selection uses is part of the key.
    expect(await run(DETAILS, { withBorn: false })).toMatchObject({ reads: { miss: 1 } })

    upstream.version = 2
    setup.clock.advance(11)
    expect(await run(DETAILS, { withBorn: true })).toMatchObject({ data: details.data, reads: { stale: 1 } })
    await setup.refreshed(1)
    const refresh = upstream.loads.at(-1)!
    expect(refresh).toEqual({ columns: ['author', 'pages'], variables: { withBorn: true } })
    expect(await run(DETAILS, { withBorn: true })).toMatchObject({ data: { book: { pages: 102, author: { name: 'Author of 1', born: 1902 } } }, reads: { hit: 1 } })
  })

  it('off: the queries share one entry shaped by the first, and the refresh sees no selection', async () => {
    expect(await run('{ sharedBook(id: "1") { title } }')).toMatchObject({ data: { sharedBook: { title: 'Title 1 v1' } }, reads: { miss: 1 } })
    expect(await run('{ sharedBook(id: "1") { author { name } } }')).toMatchObject({ data: { sharedBook: { author: null } }, reads: { hit: 1 } })
    setup.clock.advance(11)
    await run('{ sharedBook(id: "1") { title } }')
    await setup.refreshed(1)
    expect(upstream.loads.at(-1)).toEqual({ columns: [], variables: {} })
    expect(await run('{ sharedBook(id: "1") { title } }')).toMatchObject({ data: { sharedBook: { title: null } }, reads: { hit: 1 } })
  })
})

it('refuses keySelection on a field without subfields, naming it', () => {
  let thrown: unknown
  try {
    cachebackDirective({ cache: new Cacheback() }).transformer(
      makeExecutableSchema({ typeDefs: [cachebackTypeDefs, 'type Query { title(id: ID!): String @cacheback(keySelection: true) }'], resolvers: { Query: { title: () => 't' } } }),
    )
  } catch (error) {
    thrown = error
  }
  expect(isCachebackError(thrown, 'E_SCHEMA')).toBe(true)
  expect((thrown as Error).message).toMatch(/Query\.title: keySelection: true needs a field with subfields, but the type is String/)
})
