import type { Metric, Param, Tag } from './entities.js'

/** Stages of the (deprecated, still served) model registry stage workflow, in canonical spelling. */
export const MODEL_VERSION_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const
export type ModelVersionStage = (typeof MODEL_VERSION_STAGES)[number]

/** The stage a soft-deleted model version is kept in; never shown to clients. */
export const STAGE_DELETED_INTERNAL = 'Deleted_Internal'

/** Stages whose other versions `archive_existing_versions` may archive. */
export const ACTIVE_STAGES: readonly ModelVersionStage[] = ['Staging', 'Production']

export const MODEL_VERSION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number]

/** Tag that marks a registered model (or version) as a prompt of the prompt registry. */
export const TAG_IS_PROMPT = 'mlflow.prompt.is_prompt'
/** Logged-model tag listing the registry versions made from the model (JSON list of `{name, version}`). */
export const TAG_MODEL_VERSIONS = 'mlflow.modelVersions'

/** Registry tag limits (MLflow `MAX_MODEL_REGISTRY_TAG_*`). */
export const MAX_REGISTRY_TAG_KEY_LENGTH = 250
export const MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
export const MAX_REGISTERED_MODEL_NAME_LENGTH = 256
export const MAX_ALIAS_LENGTH = 255
export const SEARCH_REGISTERED_MODELS_DEFAULT_MAX_RESULTS = 100
export const SEARCH_REGISTERED_MODELS_MAX_RESULTS = 1000
export const SEARCH_MODEL_VERSIONS_DEFAULT_MAX_RESULTS = 200_000
export const SEARCH_MODEL_VERSIONS_MAX_RESULTS = 200_000
export const SEARCH_LOGGED_MODELS_DEFAULT_MAX_RESULTS = 50
export const LIST_WEBHOOKS_DEFAULT_MAX_RESULTS = 100

/**
 * Canonical spelling of a stage given in any case (`production` → `Production`), or undefined.
 *
 * @example
 * canonicalStage('staging') // 'Staging'
 */
export function canonicalStage(stage: string): ModelVersionStage | undefined {
  const lower = stage.toLowerCase()
  return MODEL_VERSION_STAGES.find((candidate) => candidate.toLowerCase() === lower)
}

/** An alias of a registered model and the version it points to. */
export interface RegisteredModelAlias {
  alias: string
  version: string
}

/** One version of a registered model. `version` is the decimal text of a positive integer. */
export interface ModelVersion {
  name: string
  version: string
  creationTimestamp: number
  lastUpdatedTimestamp: number
  userId?: string
  currentStage: string
  description?: string
  source: string
  runId?: string
  status: ModelVersionStatus
  statusMessage?: string
  tags: Tag[]
  runLink?: string
  aliases: string[]
  modelId?: string
}

/** A named model of the registry with its newest version per stage, tags and aliases. */
export interface RegisteredModel {
  name: string
  creationTimestamp: number
  lastUpdatedTimestamp: number
  userId?: string
  description?: string
  latestVersions: ModelVersion[]
  tags: Tag[]
  aliases: RegisteredModelAlias[]
}

export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number]

/** A model registry version made from a logged model. */
export interface LoggedModelRegistration {
  name: string
  version: string
}

/** An MLflow 3 logged model: `m-<32 hex>` id, artifacts under `<experiment>/models/<id>/artifacts`. */
export interface LoggedModel {
  modelId: string
  experimentId: string
  name: string
  creationTimestampMs: number
  lastUpdatedTimestampMs: number
  artifactUri: string
  status: LoggedModelStatus
  creatorId?: string
  modelType?: string
  sourceRunId?: string
  statusMessage?: string
  tags: Tag[]
  params: Param[]
  /** Metrics logged against the model (with `runId`, `datasetName`, `datasetDigest` when known). */
  metrics: Metric[]
}

export const WEBHOOK_ENTITIES = [
  'registered_model',
  'model_version',
  'model_version_tag',
  'model_version_alias',
  'prompt',
  'prompt_version',
  'prompt_tag',
  'prompt_version_tag',
  'prompt_alias',
] as const
export type WebhookEntity = (typeof WEBHOOK_ENTITIES)[number]

export const WEBHOOK_ACTIONS = ['created', 'updated', 'deleted', 'set'] as const
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number]

/** The actions MLflow accepts per entity. */
export const WEBHOOK_ENTITY_ACTIONS: Record<WebhookEntity, readonly WebhookAction[]> = {
  registered_model: ['created'],
  model_version: ['created'],
  model_version_tag: ['set', 'deleted'],
  model_version_alias: ['created', 'deleted'],
  prompt: ['created'],
  prompt_version: ['created'],
  prompt_tag: ['set', 'deleted'],
  prompt_version_tag: ['set', 'deleted'],
  prompt_alias: ['created', 'deleted'],
}

export interface WebhookEvent {
  entity: WebhookEntity
  action: WebhookAction
}

export const WEBHOOK_STATUSES = ['ACTIVE', 'DISABLED'] as const
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number]

/** A webhook subscription. The secret is never returned to clients. */
export interface Webhook {
  webhookId: string
  name: string
  url: string
  events: WebhookEvent[]
  description?: string
  status: WebhookStatus
  creationTimestamp: number
  lastUpdatedTimestamp: number
}

export const WEBHOOK_DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number]

/** One delivery of an event to a webhook, as the delivery log keeps it. */
export interface WebhookDelivery {
  deliveryId: string
  webhookId: string
  entity: string
  action: string
  state: WebhookDeliveryState
  attempts: number
  responseStatus?: number
  errorMessage?: string
  createdAt: number
  lastAttemptAt?: number
}
