// Imports the root entry only, and lists what the process then holds: CommonJS modules in require.cache (ESM ones go to RESOLVE_LOG).
import { createRequire } from 'node:module'
import 'graphql-cacheback'

const require = createRequire(import.meta.url)
console.log(JSON.stringify(Object.keys(require.cache)))
