export * from './container/index.js'
export { ScoringMetrics, type ServedModelInfo } from './metrics.js'
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher.js'
export {
  loadServedModel,
  ModelSource,
  type ModelSourceOptions,
  type ResolvedModelSource,
} from './model-source.js'
export {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_REQUEST_BYTES,
  type ScoringServer,
  type ScoringServerOptions,
  startScoringServer,
} from './scoring-server.js'
export { parseServeArguments, SERVE_USAGE } from './serve-arguments.js'
export { loadModelInWorkers, type WorkerModelOptions } from './worker-pool.js'
