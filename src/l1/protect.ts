/**
 * How a value held in process memory is kept from being changed through the
 * object a reader gets: deep-frozen once when it enters the tier (plain
 * objects and arrays), or, for values freezing cannot protect (a `Date`'s
 * time, a `Map`'s or `Set`'s members, typed array contents live in internal
 * slots that `Object.freeze` does not reach), decoded afresh on every hit.
 */

/** Nodes a value may have for freezing (beyond it, copies are cheaper to reason about). */
const MAX_NODES = 100_000
/** Depth a value may have for freezing (deeper, or cyclic, values are copied per hit). */
const MAX_DEPTH = 100

/**
 * Whether `value` is made only of primitives, plain objects and arrays
 * (null-prototype objects included), within the node and depth bounds:
 * then {@link deepFreeze} protects it entirely.
 */
export function isFreezable(value: unknown): boolean {
  const budget = { nodes: MAX_NODES }
  return walkable(value, 0, budget)
}

function walkable(value: unknown, depth: number, budget: { nodes: number }): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function'
  if (depth > MAX_DEPTH || --budget.nodes < 0) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!walkable(value[i], depth + 1, budget)) return false
    return true
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  for (const key in value) if (!walkable((value as Record<string, unknown>)[key], depth + 1, budget)) return false
  return true
}

/** Freezes a value {@link isFreezable} accepted, every nested object and array included. */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return
  Object.freeze(value)
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) deepFreeze(value[i])
  else for (const key in value) deepFreeze((value as Record<string, unknown>)[key])
}
