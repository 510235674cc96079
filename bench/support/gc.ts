/**
 * A full garbage collection between measurements, so one contender's garbage
 * is not collected on another's time. Works without `--expose-gc` on the
 * command line (the flag is set at run time).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Collects garbage now. */
export function collectGarbage(): void {
  gc()
}
