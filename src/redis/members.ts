/**
 * How an entry key is written into a Redis index (a sorted set): compactly,
 * so that a small index (one entity's entries, one tag's) stays in Redis's
 * listpack encoding (members of at most 64 bytes by default): about 110
 * bytes for a one-entry index instead of about 1 KB as a skiplist. A member
 * is a zero byte, the key's sha256 as 32 raw bytes, then the job name (the
 * namespace is the index's own); a key of another shape is stored as is.
 */
const ZERO = Buffer.from([0])
const HASH_HEX = /^[0-9a-f]{64}$/
const HASH_BYTES = 32

/** `<namespace>:` of an index key (`<namespace>:index:<kind>:{…}`), or '' when it is not of that shape. */
function namespacePrefix(index: string): string {
  const at = index.lastIndexOf(':index:')
  return at > 0 ? index.slice(0, at + 1) : ''
}

/** The member that stands for entry `key` in `index`. */
export function memberOf(index: string, key: string): Buffer {
  const prefix = namespacePrefix(index)
  const cut = key.lastIndexOf(':')
  const hash = key.slice(cut + 1)
  if (!prefix || !key.startsWith(prefix) || cut <= prefix.length || !HASH_HEX.test(hash)) return Buffer.from(key)
  return Buffer.concat([ZERO, Buffer.from(hash, 'hex'), Buffer.from(key.slice(prefix.length, cut))])
}

/** The entry key a member of `index` stands for. */
export function keyOfMember(index: string, member: Buffer): string {
  if (member.length <= HASH_BYTES || member[0] !== 0) return member.toString()
  return `${namespacePrefix(index)}${member.subarray(1 + HASH_BYTES).toString()}:${member.subarray(1, 1 + HASH_BYTES).toString('hex')}`
}
