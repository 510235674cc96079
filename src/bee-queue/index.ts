/** `graphql-cacheback/bee-queue`: refreshes through bee-queue workers (peer: `bee-queue`). */
export { BeeQueueRefresher, type BeeQueueRefresherOptions, type BeeQueueRedis, type BeeQueueRedisOptions } from './refresher.js'
export { createRefreshWorker, type CreateRefreshWorkerOptions, type WorkerSchema } from './create-worker.js'
export type { RefreshWorker, RefreshWorkerOptions, RefreshQueue, CachedFunctionLike } from './worker.js'
