/**
 * Schema errors at transform time, each naming the coordinate.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { expect, it } from 'vitest'
import { Cacheback } from '../../src/index.js'
import { cachebackDirective, cachebackTypeDefs } from '../../src/graphql/index.js'
import { readFileSync } from 'node:fs'

function transform(sdl: string, withScope = false) {
  const directive = cachebackDirective({ cache: new Cacheback(), scope: withScope ? () => 'u' : undefined })
  const schema = makeExecutableSchema({ typeDefs: [directive.typeDefs, sdl] })
  return () => directive.transformer(schema)
}

const QUERY = 'type Query { ok: String }'

it.each([
  ['Mutation.save', `${QUERY} type Mutation { save: String @cacheback }`, /Mutation fields are never cached/],
  ['Subscription.tick', `${QUERY} type Subscription { tick: String @cacheback }`, /Subscription fields are never cached/],
  ['Mutation.save', `${QUERY} type Mutation @cacheback { save: String }`, /Mutation fields are never cached/],
  ['Query.a', 'type Query { a: String @cacheback(lifetime: 100, ttl: 50) }', /ttl \(50\) must not be shorter than lifetime \(100\)/],
  ['Query.a', 'type Query { a: String @cacheback(lifetime: 0) }', /lifetime must be a positive number/],
  ['Query.a', 'type Query { a: String @cacheback(lifetime: 5, ttl: -1) }', /ttl must be a positive number/],
  ['Query.a', 'type Query { a: String @cacheback(refreshTimeout: 0) }', /refreshTimeout must be a positive number/],
  ['Query.a', 'type Query { a(x: Int): String @cacheback(keyArgs: ["y"]) }', /keyArgs names "y", which is not an argument of the field \(arguments: x\)/],
  ['User.bio', 'type Query { u: User } type User { id: ID bio: String @cacheback(keyFields: ["uuid"]) }', /keyFields names "uuid", which is not a field of User/],
  ['Query.a', 'type Query { a: String! @cacheback(fetchOnMiss: false) }', /fetchOnMiss: false needs a nullable field/],
  ['Query.a', 'type Query { a: String @cacheback(scope: PRIVATE) }', /scope: PRIVATE needs a `scope` function/],
])('rejects %s: %s', (coordinate, sdl, message) => {
  const run = transform(sdl)
  expect(run).toThrowError(message)
  expect(run).toThrowError(`@cacheback on ${coordinate}:`)
  expect(run).toThrowError(expect.objectContaining({ code: 'E_SCHEMA', coordinate }))
})

it('accepts PRIVATE with a scope function, and a field directive overriding its type', () => {
  const sdl = 'type Query { me: Me } type Me @cacheback(lifetime: 60) { id: ID name: String @cacheback(lifetime: 5, scope: PRIVATE) }'
  const schema = transform(sdl, true)()
  const fields = (schema.getType('Me') as any).getFields()
  expect(fields.id.extensions.cacheback.policy).toMatchObject({ lifetime: 60, scope: 'PUBLIC' })
  expect(fields.name.extensions.cacheback.policy).toMatchObject({ lifetime: 5, scope: 'PRIVATE' })
})

it('does not mutate the input schema', () => {
  const directive = cachebackDirective({ cache: new Cacheback() })
  const input = makeExecutableSchema({ typeDefs: [directive.typeDefs, 'type Query { a: String @cacheback }'], resolvers: { Query: { a: () => 'a' } } })
  const before = (input.getQueryType() as any).getFields().a.resolve
  const output = directive.transformer(input)
  expect(output).not.toBe(input)
  expect((input.getQueryType() as any).getFields().a.resolve).toBe(before)
  expect((output.getQueryType() as any).getFields().a.resolve).not.toBe(before)
})

it('exports the SDL of schema-directives/cacheback.graphql', () => {
  const file = readFileSync(new URL('../../schema-directives/cacheback.graphql', import.meta.url), 'utf8')
  expect(cachebackTypeDefs.trim()).toBe(file.trim())
})
