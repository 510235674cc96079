/**
 * Apollo Federation: two subgraphs (Apollo Server 5 + @apollo/subgraph 2.14)
 * behind @apollo/gateway 2.14, all over real HTTP. An entity's `@key` fields
 * key its cached fields; `@requires` fields missing from the refresh parent
 * are a schema error; the directive's enum does not reach the supergraph;
 * direct `_entities` queries report hits and stale fields, one MGET per level.
 */
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway'
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { buildSubgraphSchema } from '@apollo/subgraph'
import { parse } from 'graphql'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Cacheback, isCachebackError } from '../../src/index.js'
import { cachebackDirective, cachebackTypeDefs } from '../../src/graphql/index.js'
import { cachebackApolloPlugin } from '../../src/apollo/index.js'
import { type CountingRedis, postGraphql, serverCache, startCountingRedis } from '../helpers/servers.js'

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@shareable"])'

const productsSdl = /* GraphQL */ `
  ${LINK}
  type Query { topProducts(count: Int!): [Product!]! }
  type Product @key(fields: "upc") {
    upc: String!
    name: String!
    weight: Int!
    details: String @cacheback(lifetime: 10)
  }
`

const shippingSdl = (keyFields: string) => /* GraphQL */ `
  ${LINK}
  type Product @key(fields: "upc") {
    upc: String!
    weight: Int! @external
    shippingEstimate: Int @requires(fields: "weight") @cacheback(lifetime: 10${keyFields})
  }
`

const upstream = { version: 1, details: 0, estimates: 0 }
const product = (i: number) => ({ upc: `p${i}`, name: `product ${i}`, weight: i })

function subgraph(cache: Cacheback, sdl: string, resolvers: object) {
  const directive = cachebackDirective({ cache })
  return directive.transformer(buildSubgraphSchema([{ typeDefs: parse(cachebackTypeDefs + sdl), resolvers: resolvers as never }]))
}

const productsResolvers = {
  Query: { topProducts: (_: unknown, { count }: { count: number }) => Array.from({ length: count }, (_, i) => product(i)) },
  // No __resolveReference: an entity fetched by the gateway is its representation { __typename, upc }.
  Product: { details: (p: { upc: string }) => (upstream.details++, `details of ${p.upc} v${upstream.version}`) },
}
const shippingResolvers = {
  Product: { shippingEstimate: (p: { weight: number }) => (upstream.estimates++, p.weight * 10 + upstream.version) },
}

let redis: CountingRedis
const stops: (() => Promise<unknown>)[] = []
beforeAll(async () => {
  redis = await startCountingRedis()
})
afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
  await redis.stop()
})

async function serve(server: ApolloServer<any>): Promise<string> {
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } })
  stops.push(() => server.stop())
  return url
}

async function startAll() {
  const products = serverCache(redis)
  const shipping = serverCache(redis)
  stops.push(() => products.cache.close(), () => shipping.cache.close())
  const productsUrl = await serve(new ApolloServer({ schema: subgraph(products.cache, productsSdl, productsResolvers), plugins: [cachebackApolloPlugin()] }))
  const shippingUrl = await serve(new ApolloServer({ schema: subgraph(shipping.cache, shippingSdl(', keyFields: ["upc", "weight"]'), shippingResolvers), plugins: [cachebackApolloPlugin()] }))
  const gateway = new ApolloGateway({ supergraphSdl: new IntrospectAndCompose({ subgraphs: [{ name: 'products', url: productsUrl }, { name: 'shipping', url: shippingUrl }] }) })
  const gatewayUrl = await serve(new ApolloServer({ gateway }))
  return { products, shipping, productsUrl, shippingUrl, gatewayUrl }
}

it('serves entity fields through the gateway keyed by @key, one MGET per subgraph level, with nothing of the directive in the supergraph', async () => {
  const { products, shipping, productsUrl, gatewayUrl } = await startAll()
  const query = '{ topProducts(count: 20) { upc details shippingEstimate } }'
  const cold = await postGraphql(gatewayUrl, { query })
  expect(cold.errors).toBeUndefined()
  expect(cold.data.topProducts[4]).toEqual({ upc: 'p4', details: 'details of p4 v1', shippingEstimate: 41 })
  await Promise.all([products.cache.drain(), shipping.cache.drain()])

  await redis.reset()
  const warm = await postGraphql(gatewayUrl, { query })
  expect(warm.data).toEqual(cold.data)
  expect(await redis.commands()).toEqual({ mget: 2 })
  expect(upstream).toMatchObject({ details: 20, estimates: 20 })

  // Fetched as an entity (its representation is the parent), the value keyed by @key is a hit.
  const entity = await postGraphql(productsUrl, { query: '{ _entities(representations: [{ __typename: "Product", upc: "p4" }]) { ... on Product { details } } }' })
  expect(entity.data._entities).toEqual([{ details: 'details of p4 v1' }])
  expect(entity.extensions.cacheback).toEqual({ hit: 1, stale: 0, miss: 0, staleFields: [] })

  const leaked = await postGraphql(gatewayUrl, { query: '{ __type(name: "CachebackScope") { name } }' })
  expect(leaked.data).toEqual({ __type: null })
  const sdl = await postGraphql(productsUrl, { query: '{ _service { sdl } }' })
  expect(sdl.data._service.sdl).toContain('type Product')
  expect(sdl.data._service.sdl).not.toMatch(/cacheback|CachebackScope/i)
})

it('reports hits and stale fields of a direct _entities query, read with one MGET', async () => {
  const { shipping, shippingUrl } = await startAll()
  const query = 'query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { shippingEstimate } } }'
  const reps = Array.from({ length: 10 }, (_, i) => ({ __typename: 'Product', upc: `q${i}`, weight: i }))
  const send = () => postGraphql(shippingUrl, { query, variables: { reps } })
  const cold = await send()
  expect(cold.extensions.cacheback).toEqual({ hit: 0, stale: 0, miss: 10, staleFields: [] })
  await shipping.cache.drain()
  await redis.reset()
  const warm = await send()
  expect(warm.data).toEqual(cold.data)
  expect(warm.extensions.cacheback).toEqual({ hit: 10, stale: 0, miss: 0, staleFields: [] })
  expect(await redis.commands()).toEqual({ mget: 1 })
  shipping.clock.advance(11)
  const stale = await send()
  expect(stale.extensions.cacheback.stale).toBe(10)
  expect(stale.extensions.cacheback.staleFields[3]).toEqual({ path: ['_entities', 3, 'shippingEstimate'], coordinate: 'Product.shippingEstimate', age: 11, lifetime: 10, refresh: 'dispatched' })
  await shipping.cache.drain()
})

it('rejects a cached field whose @requires fields its refresh parent would lack, naming it', () => {
  const { cache } = serverCache(redis)
  stops.push(() => cache.close())
  let thrown: unknown
  try {
    subgraph(cache, shippingSdl(''), shippingResolvers)
  } catch (error) {
    thrown = error
  }
  expect(isCachebackError(thrown, 'E_SCHEMA')).toBe(true)
  expect((thrown as Error).message).toMatch(/Product\.shippingEstimate: @requires\(weight\) .*keyFields \(upc\).*keyFields: \["upc", "weight"\]/)
})
