/**
 * Redis Cluster hash slots (CRC16-XMODEM of the key, or of its hash tag:
 * the part between the first `{` and the next `}`, when not empty, mod
 * 16384), so an invalidation groups the keys of one slot into one script call.
 */

const TABLE = (() => {
  const table = new Uint16Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[byte] = crc
  }
  return table
})()

function crc16(bytes: Buffer): number {
  let crc = 0
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]
  return crc
}

/** The part of a key that Redis Cluster hashes: its hash tag when it has a non-empty one, else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{')
  if (open === -1) return key
  const close = key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

/** The Cluster hash slot of a key (0–16383). */
export function slotOf(key: string): number {
  return crc16(Buffer.from(hashedPart(key), 'utf8')) % 16384
}
