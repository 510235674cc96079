// `import` of the packed package: cacheback(fn) on the embedded default (memory store, in-process refresh).
import { cacheback, getDefaultCache } from 'graphql-cacheback'

let calls = 0
const double = cacheback(async (n) => {
  calls += 1
  return n * 2
}, { name: 'double' })

const first = await double(21)
const second = await double(21)
const { status } = await double.read(21)
await getDefaultCache().close()
console.log(JSON.stringify({ first, second, status, calls, store: getDefaultCache().store.name }))
