/**
 * `@cairn/sdk/node`: everything of `@cairn/sdk` plus the Node-only parts: system metrics,
 * exit hooks and the run context (user, source, git commit) MLflow's Python client records.
 */
export * from './index.js'
export {
  type ArtifactTransferOptions,
  downloadArtifacts,
  logArtifact,
  logArtifacts,
} from './node-artifacts.js'
export {
  downloadModel,
  type LoggedModelInfo,
  type LogModelOptions,
  type LogModelSpec,
  loadModel,
  logModel,
} from './node-models.js'
export { type ExitAware, readGitCommit, registerExitHooks, resolveSystemTags } from './node-runtime.js'
export { SystemMetricsMonitor, type SystemMetricsMonitorOptions } from './system-metrics.js'
