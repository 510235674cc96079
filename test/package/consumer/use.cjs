// `require` of the packed package (Node >= 20.19 loads its ES modules): the same as use.mjs.
const { cacheback, getDefaultCache } = require('graphql-cacheback')

let calls = 0
const double = cacheback(async (n) => {
  calls += 1
  return n * 2
}, { name: 'double' })

async function main() {
  const first = await double(21)
  const second = await double(21)
  const { status } = await double.read(21)
  await getDefaultCache().close()
  console.log(JSON.stringify({ first, second, status, calls, store: getDefaultCache().store.name }))
}
main()
