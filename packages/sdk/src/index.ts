/**
 * `@cairn/sdk`: the typed REST client of an MLflow-compatible tracking server, and a fluent
 * tracking API like MLflow's `mlflow` module. Runs in Node 20 and browsers (global `fetch` only);
 * Node-only extras (system metrics, exit hooks, system tags) load on demand or come from `@cairn/sdk/node`.
 */

export type {
  ErrorCode,
  Int64Value,
  LoggedModel,
  LoggedModelStatus,
  ModelUri,
  ModelVersion,
  RegisteredModel,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
} from '@cairn/core'
export { MlflowError, parseModelUri } from '@cairn/core'
export { ActiveRun, type LogMetricOptions } from './active-run.js'
export {
  type ArtifactBody,
  type ArtifactFile,
  type ArtifactProgress,
  type ArtifactProgressCallback,
  checkArtifactPath,
  joinArtifactPaths,
  proxyPathOfRoot,
  RunArtifacts,
  type UploadArtifactOptions,
} from './artifacts.js'
export {
  CairnClient,
  type CairnClientOptions,
  type CreateExperimentRequest,
  type CreateRunRequest,
  completeMetric,
  type DeleteExperimentTagRequest,
  type DeleteTagRequest,
  type GetMetricHistoryBucketsRequest,
  type GetMetricHistoryBulkIntervalRequest,
  type GetMetricHistoryBulkRequest,
  type GetMetricHistoryRequest,
  type GetMetricHistoryResponse,
  type LogBatchRequest,
  type LogInputsRequest,
  type LogMetricRequest,
  type LogModelRequest,
  type LogOutputsRequest,
  type MetricBucket,
  type MetricInput,
  MlflowClient,
  type RunKeyValueRequest,
  type SearchDatasetsRequest,
  type SearchExperimentsRequest,
  type SearchExperimentsResponse,
  type SearchRunsRequest,
  type SearchRunsResponse,
  type SetExperimentTagRequest,
  type TagsInput,
  toTagList,
  type UpdateExperimentRequest,
  type UpdateRunRequest,
} from './cairn-client.js'
export { DEFAULT_TRACKING_URI, defaultTrackingUri } from './environment.js'
export {
  activeRun,
  configure,
  deleteTag,
  endRun,
  flush,
  getClient,
  getTracker,
  getTrackingUri,
  logMetric,
  logMetrics,
  logParam,
  logParams,
  setExperiment,
  setTag,
  setTags,
  setTrackingUri,
  startRun,
  withRun,
} from './fluent.js'
export {
  type CreateGatewayApiKeyRequest,
  type GatewayApiKey,
  type GatewayChatChunk,
  type GatewayChatMessage,
  type GatewayChatRequest,
  type GatewayChatResponse,
  GatewayClient,
  type GatewayClientOptions,
  type GatewayCompletionsChunk,
  type GatewayCompletionsRequest,
  type GatewayCompletionsResponse,
  type GatewayEmbeddingsResponse,
  type GatewayEndpoint,
  type GatewayEndpointType,
  type GatewayUsageFilter,
  type GatewayUsageRecord,
  type GatewayUsageSummaryRow,
} from './gateway.js'
export { type HttpClientOptions, parseRetryAfter, type RetryOptions } from './http-client.js'
export { LogQueue, type LogQueueOptions, type QueuedOperation } from './log-queue.js'
export { type Page, PagedIterable } from './paged-iterable.js'
export {
  type CreateLoggedModelRequest as CreateLoggedModelOptions,
  type CreateModelVersionRequest,
  type CreateWebhookRequest,
  ModelRegistryClient,
  type ModelVersionLineage,
  type RegistrySearchRequest,
  type RegistryTagsInput,
  type SearchLoggedModelsRequest,
  type WebhookTestResult,
} from './registry.js'
export { type StartRunOptions, Tracker, type TrackerOptions } from './tracker.js'
