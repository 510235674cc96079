/** `cacheback inspect`: one entry decoded: status, age, size, times, its refresh lock, tags if any, the value. */
import { parseArgs } from 'node:util'
import { decodeEntry } from '../entry.js'
import { lockKeyOf } from '../keys.js'
import type { AnyJob } from '../job.js'
import { iso } from './format.js'
import { CONNECTION_HELP, CONNECTION_OPTIONS, type Connection, UsageError, connect, jsonOption } from './setup.js'

export const INSPECT_HELP = `usage: cacheback inspect --key KEY [--redis URL]
       cacheback inspect --module PATH --coordinate Type.field [--parent JSON] [--args JSON] [--scope ID]
       cacheback inspect --module PATH --job NAME [--args JSON-ARRAY]

Decodes one cache entry: status (fresh / stale / expired / purged / absent, on the
module cache's clock), age, size, created / fresh until / expires, the Redis
TTL, its refresh lock, tags when stored with it, and the value.

  --key KEY          a full key (cacheback:graphql:User.tweets:<sha256>)
  --coordinate C     a cached field (needs the module's \`schema\`): with
  --parent JSON      the parent, e.g. '{"id":"ann"}' (root fields: none)
  --args JSON        the field's arguments ('{"limit":20}'; defaults applied),
                     or a job's prepared arguments ('["ann"]')
  --scope ID         the scope id, for PRIVATE fields
  --job NAME         a job the module registers (its \`jobs\`, or its cache's)
${CONNECTION_HELP}
  --json             print as JSON
  --help             this help`

const PREVIEW_CHARS = 600

/** The key the options name. */
async function keyOf(connection: Connection, values: Record<string, string | boolean | undefined>): Promise<string> {
  if (typeof values.key === 'string') return values.key
  if (typeof values.coordinate !== 'string' && typeof values.job !== 'string') throw new UsageError('give --key, --coordinate or --job')
  const setup = connection.setup
  if (!setup) throw new UsageError('--coordinate and --job need --module (the cache and schema that build keys)')
  if (typeof values.coordinate === 'string') {
    if (!setup.schema) throw new UsageError(`${values.module} exports no \`schema\`: --coordinate needs it`)
    const { fieldKey } = await import('./field-key.js')
    const args = jsonOption('args', values.args as string | undefined) as Record<string, unknown> | undefined
    return fieldKey(setup.cache, setup.schema, { coordinate: values.coordinate, parent: jsonOption('parent', values.parent as string | undefined), args, scope: values.scope as string | undefined })
  }
  if (typeof values.job === 'string') {
    const job: AnyJob | undefined = setup.cache.findJob(values.job)
    if (!job) throw new UsageError(`no job named "${values.job}" in ${values.module} (export it in \`jobs\`)`)
    const args = jsonOption('args', values.args as string | undefined) ?? []
    if (!Array.isArray(args)) throw new UsageError('--args of a job must be a JSON array')
    return setup.cache.keyOf(job, args)
  }
  throw new UsageError('give --key, --coordinate or --job')
}

/** What `inspect` tells about one key. */
export async function describeEntry(connection: Connection, key: string): Promise<Record<string, unknown>> {
  const now = connection.setup?.cache.now() ?? Date.now()
  const [bytes, pttl, lock] = await Promise.all([connection.redis.getBuffer(key), connection.redis.pttl(key), connection.redis.get(lockKeyOf(key))])
  const out: Record<string, unknown> = { key }
  if (!bytes) return { ...out, status: 'absent' }
  const entry = decodeEntry<unknown>(bytes, key)
  // A purge leaves a tombstone (expiresAt 0): a miss on every clock, kept so older writes lose.
  if (entry.expiresAt === 0) return { ...out, status: 'purged', createdAt: iso(entry.createdAt), sizeBytes: bytes.length, redisTtlSeconds: pttl >= 0 ? pttl / 1000 : undefined }
  const status = now < entry.freshUntil ? 'fresh' : now < entry.expiresAt ? 'stale' : 'expired'
  Object.assign(out, { status, ageSeconds: (now - entry.createdAt) / 1000, createdAt: iso(entry.createdAt), freshUntil: iso(entry.freshUntil), expiresAt: iso(entry.expiresAt) })
  Object.assign(out, { sizeBytes: bytes.length, redisTtlSeconds: pttl >= 0 ? pttl / 1000 : undefined })
  const invalidatedAt = (entry as { invalidatedAt?: number }).invalidatedAt
  if (invalidatedAt) out.invalidatedAt = iso(invalidatedAt)
  const tags = (entry as { tags?: unknown }).tags
  if (tags !== undefined) out.tags = tags
  out.lock = describeLock(lock, now)
  const text = JSON.stringify(entry.value) ?? String(entry.value)
  out.value = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}… (${text.length} characters)` : text
  return out
}

function describeLock(lock: string | null, now: number): string {
  if (lock === null) return 'none'
  const [until, token = ''] = [lock.slice(0, lock.indexOf(':')), lock.slice(lock.indexOf(':') + 1)]
  const untilMs = Number(until)
  const when = Number.isFinite(untilMs) ? `${untilMs > now ? 'until' : 'lapsed at'} ${iso(untilMs)}` : lock
  return token.startsWith('!') ? `last refresh failed (no retry ${when})` : `held ${when}`
}

export async function inspectCommand(argv: string[]): Promise<void> {
  const options = { ...CONNECTION_OPTIONS, key: { type: 'string' }, coordinate: { type: 'string' }, parent: { type: 'string' }, args: { type: 'string' }, scope: { type: 'string' }, job: { type: 'string' }, json: { type: 'boolean' } } as const
  const { values } = parseArgs({ args: argv, options })
  const connection = await connect(values)
  try {
    const described = await describeEntry(connection, await keyOf(connection, values))
    const text = values.json ? JSON.stringify(described, null, 2) : Object.entries(described).filter(([, v]) => v !== undefined).map(([k, v]) => `${k.padEnd(16)} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n')
    process.stdout.write(`${text}\n`)
  } finally {
    await connection.close()
  }
}
