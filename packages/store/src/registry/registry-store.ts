import type {
  FilterExpression,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelVersion,
  ModelVersionStage,
  OrderBy,
  Param,
  RegisteredModel,
  Tag,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryState,
  WebhookEvent,
  WebhookStatus,
} from '@cairn/core'
import type { Page } from '../tracking-store.js'

export interface CreateRegisteredModelInput {
  name: string
  tags?: Tag[]
  description?: string
}

/** A parsed search over registered models or model versions (offset paging). */
export interface SearchRegistryInput {
  filter?: FilterExpression
  orderBy: OrderBy[]
  maxResults: number
  offset: number
}

export interface CreateModelVersionInput {
  name: string
  /** The source as the client gave it (after `models:/` lineage resolution). */
  source: string
  /** Where the files are: `source`, or the resolved location of a `models:/` source. */
  storageLocation?: string
  runId?: string
  runLink?: string
  description?: string
  tags?: Tag[]
  modelId?: string
}

export interface CreateLoggedModelInput {
  experimentId: string
  name: string
  modelType?: string
  sourceRunId?: string
  params?: Param[]
  tags?: Tag[]
}

/** Order of a logged-model search: an attribute, or `metrics.<name>` (optionally on one dataset). */
export interface LoggedModelOrderBy {
  fieldName: string
  ascending: boolean
  datasetName?: string
  datasetDigest?: string
}

/** One comparison of a logged-model filter (`attributes.`, `metrics.`, `params.`, `tags.`). */
export interface LoggedModelComparison {
  entity: 'attribute' | 'metric' | 'param' | 'tag'
  key: string
  comparator: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN'
  value: string | number | string[]
}

export interface SearchLoggedModelsInput {
  experimentIds: string[]
  comparisons: LoggedModelComparison[]
  datasets: { datasetName: string; datasetDigest?: string }[]
  orderBy: LoggedModelOrderBy[]
  maxResults: number
  offset: number
}

/** A metric point logged against a model (from `runs/log-metric` or `log-batch` with `model_id`). */
export interface LoggedModelMetricInput extends Metric {
  modelId: string
  runId: string
}

export interface CreateWebhookInput {
  name: string
  url: string
  events: WebhookEvent[]
  description?: string
  secret?: string
  status?: WebhookStatus
}

export interface UpdateWebhookInput {
  webhookId: string
  name?: string
  url?: string
  events?: WebhookEvent[]
  description?: string
  secret?: string
  status?: WebhookStatus
}

/** A webhook with its signing secret, for delivery only. */
export interface DeliverableWebhook extends Webhook {
  secret?: string
}

export interface WebhookDeliveryUpdate {
  deliveryId: string
  state: WebhookDeliveryState
  attempts: number
  responseStatus?: number
  errorMessage?: string
  lastAttemptAt: number
}

/** Puts one event in the delivery queue for every active webhook subscribed to it. */
export interface EnqueueWebhookDeliveriesInput {
  event: WebhookEvent
  /** The request body every webhook receives. */
  body: string
  createdAt: number
}

/** Takes up to `limit` due deliveries for `owner` until `now + leaseMs`, counting the attempt. */
export interface ClaimWebhookDeliveriesInput {
  owner: string
  now: number
  leaseMs: number
  limit: number
}

/** A delivery a process holds: where to send it and its attempt number (1 for the first). */
export interface ClaimedWebhookDelivery {
  deliveryId: string
  webhook: DeliverableWebhook
  body: string
  attempts: number
}

/** The outcome of one attempt of a claimed delivery; `nextAttemptAt` keeps it queued for a retry. */
export interface FinishWebhookAttemptInput {
  deliveryId: string
  owner: string
  state: WebhookDeliveryState
  responseStatus?: number
  errorMessage?: string
  lastAttemptAt: number
  nextAttemptAt?: number
}

/**
 * The model registry, logged models and webhooks: SQL only, on the tracking store's database.
 * Messages of missing entities are MLflow's (`Registered Model with name=<n> not found`,
 * `Model Version (name=<n>, version=<v>) not found`, `Logged model with ID '<id>' not found.`,
 * `Webhook with ID <id> not found.`). Soft-deleted versions (stage `Deleted_Internal`) are invisible
 * to everything but version numbering: numbers are `max(all versions ever) + 1`, serialised per model.
 */
export interface RegistryStore {
  createRegisteredModel(input: CreateRegisteredModelInput): Promise<RegisteredModel>
  getRegisteredModel(name: string): Promise<RegisteredModel>
  /** Renames the model and its versions (their `last_updated_timestamp` moves too). */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>
  updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel>
  /** Hard delete with versions, tags and aliases. */
  deleteRegisteredModel(name: string): Promise<void>
  /** Prompts are hidden unless the filter asks for `tags.mlflow.prompt.is_prompt = 'true'`. */
  searchRegisteredModels(input: SearchRegistryInput): Promise<Page<RegisteredModel>>
  /** Newest version per stage, restricted to `stages` (canonical) when given. */
  getLatestVersions(name: string, stages?: readonly ModelVersionStage[]): Promise<ModelVersion[]>
  setRegisteredModelTag(name: string, tag: Tag): Promise<void>
  /** Deleting a tag that is not set is a no-op (the model must exist). */
  deleteRegisteredModelTag(name: string, key: string): Promise<void>

  createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion>
  getModelVersion(name: string, version: number): Promise<ModelVersion>
  updateModelVersion(name: string, version: number, description: string | undefined): Promise<ModelVersion>
  transitionModelVersionStage(options: {
    name: string
    version: number
    stage: ModelVersionStage
    archiveExistingVersions: boolean
  }): Promise<ModelVersion>
  /** Soft delete: stage `Deleted_Internal`, aliases dropped, source/run fields redacted. */
  deleteModelVersion(name: string, version: number): Promise<void>
  getModelVersionDownloadUri(name: string, version: number): Promise<string>
  /** Versions with their tags; aliases are left empty, as MLflow's search leaves them out. */
  searchModelVersions(input: SearchRegistryInput): Promise<Page<ModelVersion>>
  setModelVersionTag(name: string, version: number, tag: Tag): Promise<void>
  deleteModelVersionTag(name: string, version: number, key: string): Promise<void>
  setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void>
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>
  /** `latest` (any case) is the highest live version; an unknown alias is INVALID_PARAMETER_VALUE. */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>
  /** Live versions whose `run_id` is the run or whose logged model came from the run (lineage). */
  listModelVersionsOfRun(runId: string): Promise<ModelVersion[]>

  /** `m-<32 hex>` id, status PENDING, `<experiment location>/models/<id>/artifacts`. */
  createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel>
  getLoggedModel(modelId: string, options?: { allowDeleted?: boolean }): Promise<LoggedModel>
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>
  deleteLoggedModel(modelId: string): Promise<void>
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>
  /** RESOURCE_DOES_NOT_EXIST when the tag is not set. */
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>
  logLoggedModelParams(modelId: string, params: Param[]): Promise<void>
  /** Unknown model ids are skipped (the metric is still a run metric). */
  logLoggedModelMetrics(metrics: LoggedModelMetricInput[]): Promise<void>
  searchLoggedModels(input: SearchLoggedModelsInput): Promise<Page<LoggedModel>>

  createWebhook(input: CreateWebhookInput): Promise<Webhook>
  getWebhook(webhookId: string): Promise<DeliverableWebhook>
  listWebhooks(maxResults: number, offset: number): Promise<Page<Webhook>>
  updateWebhook(input: UpdateWebhookInput): Promise<Webhook>
  deleteWebhook(webhookId: string): Promise<void>
  /** Active webhooks subscribed to the event, with their secrets. */
  listWebhooksForEvent(event: WebhookEvent): Promise<DeliverableWebhook[]>
  recordWebhookDelivery(delivery: WebhookDelivery): Promise<void>
  updateWebhookDelivery(update: WebhookDeliveryUpdate): Promise<void>
  /** Newest first. */
  listWebhookDeliveries(webhookId: string, maxResults: number): Promise<WebhookDelivery[]>
  /** Events at least one active webhook is subscribed to. */
  listSubscribedWebhookEvents(): Promise<WebhookEvent[]>
  /** Queues the event for its active webhooks (state `pending`, due now); resolves with how many. */
  enqueueWebhookDeliveries(input: EnqueueWebhookDeliveriesInput): Promise<number>
  /**
   * Atomically takes due deliveries (unclaimed, or whose lease lapsed) for one process, so that several
   * processes on one database never hold the same one. Deliveries of webhooks deleted or disabled since
   * are finished as `failed` instead.
   */
  claimWebhookDeliveries(input: ClaimWebhookDeliveriesInput): Promise<ClaimedWebhookDelivery[]>
  /** Records an attempt and releases the claim; a no-op if another process has taken the delivery over. */
  finishWebhookDeliveryAttempt(input: FinishWebhookAttemptInput): Promise<void>
  /** When queued work may next be due (a retry, or a lease that lapses), or undefined with none queued. */
  findNextWebhookDeliveryTime(): Promise<number | undefined>
}
