// --import hook: records the URL of every module the ESM loader resolves (one per line, to the file in RESOLVE_LOG).
import { register } from 'node:module'

register('./resolve-hooks.mjs', import.meta.url, { data: { log: process.env.RESOLVE_LOG } })
