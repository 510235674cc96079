/**
 * What the ops commands share: loading a setup module (the worker's: it
 * exports `cache`, and `schema`, `jobs`, `redis` as it likes), the Redis
 * connection and namespace they work on, and usage errors.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { GraphQLSchema } from 'graphql'
import { Redis } from 'ioredis'
import type { Cacheback } from '../cacheback.js'
import { DEFAULT_NAMESPACE, DEFAULT_REDIS_URL } from '../defaults.js'
import type { AnyJob } from '../job.js'
/** An ioredis client (the dashboard and the ops command use commands beyond the store's). */
type RedisClient = import('ioredis').Redis | import('ioredis').Cluster

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/** What a setup module exports (named, as its default export, or from a default function). */
export interface SetupModule {
  cache: Cacheback
  schema?: GraphQLSchema
  jobs?: readonly (AnyJob | { job: AnyJob })[]
  /** Queue Redis (bee-queue): a URL is also used for the stats when the store is not Redis. */
  redis?: unknown
  queue?: string
}

/** Loads a setup module. */
export async function loadSetupModule(modulePath: string): Promise<SetupModule> {
  const loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>
  let setup: unknown = loaded.cache ? loaded : loaded.default
  if (typeof setup === 'function') setup = await setup()
  const cache = (setup as { cache?: Cacheback } | undefined)?.cache
  if (!cache || typeof cache.runRefresh !== 'function') throw new UsageError(`${modulePath} must export \`cache\` (a Cacheback), directly or from its default export`)
  const module = setup as SetupModule
  for (const item of module.jobs ?? []) cache.register(typeof item === 'function' ? (item as { job: AnyJob }).job : (item as AnyJob))
  return module
}

/** The options every command that reads Redis takes. */
export const CONNECTION_OPTIONS = {
  module: { type: 'string' },
  redis: { type: 'string' },
  namespace: { type: 'string' },
} as const

export const CONNECTION_HELP = `  --module PATH      worker setup module (exports \`cache\`, optionally \`schema\`, \`jobs\`): its cache's Redis and namespace
  --redis URL        Redis to read (default: the module's store, else $REDIS_URL, else ${DEFAULT_REDIS_URL})
  --namespace NS     key namespace (default: the module's cache, else $CACHEBACK_NAMESPACE, else "${DEFAULT_NAMESPACE}")`

/** A Redis client, a namespace and the setup (when `--module` was given); `close()` ends what was opened. */
export interface Connection {
  redis: RedisClient
  namespace: string
  setup?: SetupModule
  close(): Promise<void>
}

/** Opens what `--module`, `--redis` and `--namespace` name. */
export async function connect(values: { module?: string; redis?: string; namespace?: string }): Promise<Connection> {
  const setup = values.module ? await loadSetupModule(values.module) : undefined
  const storeClient = (setup?.cache.store as { client?: RedisClient } | undefined)?.client
  const url = values.redis ?? (typeof setup?.redis === 'string' ? setup.redis : undefined) ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL
  const own = values.redis || !storeClient ? new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5000 }) : undefined
  own?.on('error', () => undefined) // commands reject with the failure
  if (!own) await whenReady(storeClient!)
  return {
    redis: own ?? storeClient!,
    namespace: values.namespace ?? setup?.cache.namespace ?? process.env.CACHEBACK_NAMESPACE ?? DEFAULT_NAMESPACE,
    setup,
    async close() {
      await own?.quit().catch(() => own.disconnect())
      await setup?.cache.close().catch(() => undefined)
    },
  }
}

/** Waits (up to 5 s) until a client that queues no commands while offline is connected. */
async function whenReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after 5 s (status ${client.status})`)), 5000)
    client.once('ready', () => (clearTimeout(timer), resolve()))
  })
}

/** Parses a JSON option, or fails naming it. */
export function jsonOption(name: string, text: string | undefined): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new UsageError(`--${name} must be JSON, got ${text}`)
  }
}
