/** Unique key namespaces, so tests sharing one Redis never see each other's keys. */
import { randomBytes } from 'node:crypto'

let counter = 0

/** A string unique per call: `<prefix>-<pid>-<counter>-<random>`. */
export function uniqueNamespace(prefix = 't'): string {
  counter += 1
  return `${prefix}-${process.pid}-${counter}-${randomBytes(4).toString('hex')}`
}
