/**
 * The Lua pieces the Redis scripts share, built from the entry layout that
 * `src/entry.ts` owns: header offsets (Lua strings are 1-based, so byte `n`
 * is `n + 1` here; times are float64 big-endian, `struct` format `'>d'`),
 * the "is this our entry" test, and a tombstone builder.
 */
import { ENTRY_LAYOUT } from '../entry.js'

const L = ENTRY_LAYOUT
export const HEADER = L.headerBytes
export const MAGIC_AT = L.magicOffset + 1
export const VERSION_AT = L.versionOffset + 1
export const CREATED_AT = L.createdAtOffset + 1
export const FRESH_UNTIL_AT = L.freshUntilOffset + 1
export const EXPIRES_AT = L.expiresAtOffset + 1
export const INVALIDATED_AT = L.invalidatedAtOffset + 1

/** Lua test: the string `name` holds an entry of this format. */
export function isEntry(name: string): string {
  return `#${name} >= ${HEADER} and string.byte(${name}, ${MAGIC_AT}) == ${L.magic} and string.byte(${name}, ${VERSION_AT}) == ${L.version}`
}

/**
 * Lua expression of a tombstone (see `encodeTombstone`): the header with
 * `createdAt` = `created`, `invalidatedAt` = `mark` (Lua expressions), every
 * other field 0, and msgpack `null` (0xC0) as the value.
 */
export function tombstoneLua(created: string, mark: string): string {
  const fields: [offset: number, size: number, lua: string][] = [
    [L.magicOffset, 1, `string.char(${L.magic})`],
    [L.versionOffset, 1, `string.char(${L.version})`],
    [L.createdAtOffset, 8, `struct.pack('>d', ${created})`],
    [L.invalidatedAtOffset, 8, `struct.pack('>d', ${mark})`],
  ]
  fields.sort((a, b) => a[0] - b[0])
  const parts: string[] = []
  let at = 0
  for (const [offset, size, lua] of fields) {
    if (offset > at) parts.push(`string.rep('\\0', ${offset - at})`)
    parts.push(lua)
    at = offset + size
  }
  if (HEADER > at) parts.push(`string.rep('\\0', ${HEADER - at})`)
  parts.push(`'\\192'`)
  return parts.join(' .. ')
}

/**
 * Lua function `file(index, member, expiresAt, createdAt, px)`: files an
 * entry key in an index (a sorted set scored by the entry's expiresAt),
 * drops members that expired before `createdAt`, and keeps the index alive
 * at least `px` ms (as long as its longest-lived entry).
 */
export const FILE_FUNCTION = `local function file(index, member, expiresAt, createdAt, px)
  redis.call('ZADD', index, expiresAt, member)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. createdAt)
  if redis.call('PTTL', index) < tonumber(px) then
    redis.call('PEXPIRE', index, px)
  end
end`
