/** Values the global setup provides to tests through `inject()`. */
import 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://host:port` of the Redis shared by the whole run. */
    redisUrl: string
  }
}
