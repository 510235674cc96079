/**
 * The GraphQL schemas the benchmark servers serve, the same SDL and
 * resolvers for Apollo Server and Mercurius (with `@cacheback` in the SDL
 * only where cacheback caches them; mercurius-cache takes a policy instead).
 *
 * `graphql-list`: `items` returns 100 items, each with a `details` field (a
 * value of about 250 bytes of JSON) whose resolver returns at once.
 * `stale-storm`: `item(id)` fetches its value from the slow upstream.
 */
import { Agent, get } from 'node:http'
import { makeSmallValue } from '../support/payload.js'

/** Items in the `graphql-list` answer. */
export const LIST_SIZE = 100
/**
 * Pages of items a `graphql-list` query can ask for (`items(page)`); the
 * load cycles through them so that requests in flight at once read
 * different keys (no contender merges concurrent reads of one key).
 */
export const LIST_PAGES = 50
/** JSON bytes of one `details` value. */
export const DETAILS_JSON_BYTES = 250

/** The value of one item's `details` (deterministic, made before any timed loop). */
export function detailsOf(id: number): { id: number; handle: string; bio: string } {
  return makeSmallValue(id, DETAILS_JSON_BYTES)
}

/** Tags of `Item.details` when the list runs with tags in use: one per item, one for all. */
export const LIST_TAGS = '["item:{parent.id}", "items"]'

/** `graphql-list` SDL; `cached` puts `@cacheback` (fresh 1 h, kept 2 h) on `Item.details`, with `LIST_TAGS` when `tagged`. */
export function listTypeDefs(cached: boolean, tagged = false): string {
  const directive = tagged ? `@cacheback(lifetime: 3600, ttl: 7200, tags: ${LIST_TAGS})` : '@cacheback(lifetime: 3600, ttl: 7200)'
  return /* GraphQL */ `
    type Query { items(page: Int!): [Item!]! }
    type Item {
      id: Int!
      details: Details ${cached ? directive : ''}
    }
    type Details { id: Int! handle: String! bio: String! }
  `
}

/** The `graphql-list` query: 100 items of a page, each with its cached field. */
export const LIST_QUERY = 'query List($page: Int!) { items(page: $page) { id details { id handle bio } } }'

/** `graphql-list` resolvers: instant. */
export function listResolvers() {
  const pages = Array.from({ length: LIST_PAGES }, (_, page) => Array.from({ length: LIST_SIZE }, (_, i) => ({ id: page * LIST_SIZE + i })))
  const details = pages.flat().map(({ id }) => detailsOf(id))
  return {
    Query: { items: (_: unknown, { page }: { page: number }) => pages[page] },
    Item: { details: (item: { id: number }) => details[item.id] },
  }
}

/** `stale-storm` SDL; `cached` puts `@cacheback` with the given lifetime (s) on `Query.item`. */
export function stormTypeDefs(cached: boolean, lifetime: number): string {
  return /* GraphQL */ `
    type Query {
      item(id: Int!): Details ${cached ? `@cacheback(lifetime: ${lifetime}, ttl: 3600)` : ''}
    }
    type Details { id: Int! handle: String! bio: String! }
  `
}

/** The `stale-storm` query. */
export const STORM_QUERY = 'query Item($id: Int!) { item(id: $id) { id handle bio } }'

/** `GET <upstream>/items/:id` as JSON, over keep-alive connections. */
export function upstreamFetcher(upstreamUrl: string): (id: number) => Promise<unknown> {
  const agent = new Agent({ keepAlive: true })
  return (id) =>
    new Promise((resolve, reject) => {
      get(`${upstreamUrl}/items/${id}`, { agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          if (res.statusCode === 200) resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          else reject(new Error(`upstream: HTTP ${res.statusCode} for item ${id}`))
        })
        res.on('error', reject)
      }).on('error', reject)
    })
}

/** `stale-storm` resolvers: every `item` is an upstream call. */
export function stormResolvers(upstreamUrl: string) {
  const fetchItem = upstreamFetcher(upstreamUrl)
  return { Query: { item: (_: unknown, { id }: { id: number }) => fetchItem(id) } }
}
