/** `graphql-cacheback/bee-queue`: refreshes through bee-queue workers (peer: `bee-queue`). */
export { BeeQueueRefresher, type BeeQueueRefresherOptions, type BeeQueueRedis } from './refresher.js'
export { createRefreshWorker, type CreateRefreshWorkerOptions } from './create-worker.js'
export type { RefreshWorker, RefreshWorkerOptions, CachedFunctionLike } from './worker.js'
