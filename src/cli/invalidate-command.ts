/** `cacheback invalidate`: marks stale or purges what a selector names, through the module's cache. */
import { parseArgs } from 'node:util'
import { invalidatorFor } from '../dashboard/field-jobs.js'
import type { InvalidationMode, InvalidationSelector, Invalidator } from '../dashboard/invalidate.js'
import { CONNECTION_HELP, CONNECTION_OPTIONS, UsageError, connect, jsonOption } from './setup.js'

export const INVALIDATE_HELP = `usage: cacheback invalidate --module PATH (--entity Type:id | --coordinate Type.field [--parent JSON] [--args JSON] [--scope ID] | --tag TAG) [--mode stale|purge]

Invalidates through the module's cache (cache.invalidate): every cached field
of an entity, the entries of one field (of one parent, one argument set), or
every entry carrying a tag. Prints how many entries it reached.

  --entity Type:id   an entity: type and identity ('User:ann'; composite: 'Order:{"shop":1,"no":7}')
  --coordinate C     a field coordinate; with --parent / --args / --scope to narrow it
  --tag TAG          a tag ('tweets:ann')
  --mode MODE        stale (default: the next read serves the old value once and
                     refreshes) or purge (the next read is a miss)
${CONNECTION_HELP}
  --help             this help`

type Values = Record<string, string | boolean | undefined>

/** The selector the options name. */
export function selectorOf(values: Values): InvalidationSelector {
  const given = ['entity', 'coordinate', 'tag'].filter((name) => typeof values[name] === 'string')
  if (given.length !== 1) throw new UsageError('give exactly one of --entity, --coordinate, --tag')
  if (typeof values.tag === 'string') return { tag: values.tag }
  if (typeof values.entity === 'string') {
    const colon = values.entity.indexOf(':')
    if (colon < 1 || colon === values.entity.length - 1) throw new UsageError(`--entity must be Type:id, got ${values.entity}`)
    const id = values.entity.slice(colon + 1)
    return { entity: { type: values.entity.slice(0, colon), id: id.startsWith('{') ? jsonOption('entity', id) : id } }
  }
  const selector: InvalidationSelector = { coordinate: values.coordinate as string }
  const parent = jsonOption('parent', values.parent as string | undefined)
  const args = jsonOption('args', values.args as string | undefined) as Record<string, unknown> | undefined
  if (parent !== undefined) selector.parent = parent
  if (args !== undefined) selector.args = args
  if (typeof values.scope === 'string') selector.scope = values.scope
  return selector
}

export async function invalidateCommand(argv: string[]): Promise<void> {
  const options = { ...CONNECTION_OPTIONS, entity: { type: 'string' }, coordinate: { type: 'string' }, parent: { type: 'string' }, args: { type: 'string' }, scope: { type: 'string' }, tag: { type: 'string' }, mode: { type: 'string' } } as const
  const { values } = parseArgs({ args: argv, options })
  if (!values.module) throw new UsageError('--module is required (its cache does the invalidation)')
  const mode = (values.mode ?? 'stale') as InvalidationMode
  if (mode !== 'stale' && mode !== 'purge') throw new UsageError(`--mode must be stale or purge, got ${values.mode}`)
  const selector = selectorOf(values)
  const connection = await connect(values)
  try {
    const { cache, schema } = connection.setup!
    const target: Partial<Invalidator> = await invalidatorFor({ cache, schema })
    if (typeof target.invalidate !== 'function') throw new Error('this version of Cacheback has no invalidate(selector)')
    const count = await target.invalidate(selector, { mode })
    process.stdout.write(`invalidated (${mode}) ${JSON.stringify(selector)}: ${typeof count === 'number' ? count : 'unknown number of'} entries\n`)
  } finally {
    await connection.close()
  }
}
