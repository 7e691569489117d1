import type {
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelVersion,
  ModelVersionStatus,
  Param,
  RegisteredModel,
  Tag,
  Webhook,
  WebhookAction,
  WebhookDelivery,
  WebhookDeliveryState,
  WebhookEntity,
  WebhookStatus,
} from '@cairn/core'
import { LOGGED_MODEL_STATUSES } from '@cairn/core'

export interface RegisteredModelRow {
  name: string
  creation_time: number
  last_updated_time: number
  description: string | null
  user_id: string | null
}

export const MODEL_VERSION_COLUMNS = `mv.name, mv.version, mv.creation_time, mv.last_updated_time, mv.description,
  mv.user_id, mv.current_stage, mv.source, mv.storage_location, mv.run_id, mv.run_link, mv.status,
  mv.status_message, mv.model_id`

export interface ModelVersionRow {
  name: string
  version: number
  creation_time: number
  last_updated_time: number
  description: string | null
  user_id: string | null
  current_stage: string
  source: string
  storage_location: string | null
  run_id: string | null
  run_link: string | null
  status: string
  status_message: string | null
  model_id: string | null
}

export interface LoggedModelRow {
  model_id: string
  experiment_id: number
  name: string
  artifact_location: string
  creation_timestamp_ms: number
  last_updated_timestamp_ms: number
  status: number
  lifecycle_stage: string
  model_type: string | null
  source_run_id: string | null
  status_message: string | null
}

export interface WebhookRow {
  webhook_id: string
  name: string
  description: string | null
  url: string
  secret: string | null
  status: string
  creation_timestamp: number
  last_updated_timestamp: number
}

export interface WebhookDeliveryRow {
  delivery_id: string
  webhook_id: string
  entity: string
  action: string
  state: string
  attempts: number
  response_status: number | null
  error_message: string | null
  created_at: number
  last_attempt_at: number | null
}

export function versionKey(name: string, version: number | string): string {
  return `${name}\u0000${version}`
}

export function toModelVersion(row: ModelVersionRow, tags: Tag[], aliases: string[]): ModelVersion {
  const version: ModelVersion = {
    name: row.name,
    version: String(row.version),
    creationTimestamp: Number(row.creation_time),
    lastUpdatedTimestamp: Number(row.last_updated_time),
    currentStage: row.current_stage,
    source: row.source,
    status: row.status as ModelVersionStatus,
    tags,
    aliases,
  }
  if (row.description !== null) version.description = row.description
  if (row.user_id !== null) version.userId = row.user_id
  if (row.run_id !== null) version.runId = row.run_id
  if (row.run_link !== null) version.runLink = row.run_link
  if (row.status_message) version.statusMessage = row.status_message
  if (row.model_id !== null) version.modelId = row.model_id
  return version
}

export function toRegisteredModel(
  row: RegisteredModelRow,
  parts: Pick<RegisteredModel, 'latestVersions' | 'tags' | 'aliases'>,
): RegisteredModel {
  const model: RegisteredModel = {
    name: row.name,
    creationTimestamp: Number(row.creation_time),
    lastUpdatedTimestamp: Number(row.last_updated_time),
    ...parts,
  }
  if (row.description !== null) model.description = row.description
  if (row.user_id !== null) model.userId = row.user_id
  return model
}

export function loggedModelStatusNumber(status: LoggedModelStatus): number {
  return LOGGED_MODEL_STATUSES.indexOf(status)
}

export function toLoggedModel(
  row: LoggedModelRow,
  parts: { tags: Tag[]; params: Param[]; metrics: Metric[] },
): LoggedModel {
  const model: LoggedModel = {
    modelId: row.model_id,
    experimentId: String(row.experiment_id),
    name: row.name,
    creationTimestampMs: Number(row.creation_timestamp_ms),
    lastUpdatedTimestampMs: Number(row.last_updated_timestamp_ms),
    artifactUri: row.artifact_location,
    status: LOGGED_MODEL_STATUSES[Number(row.status)] ?? 'LOGGED_MODEL_STATUS_UNSPECIFIED',
    ...parts,
  }
  if (row.model_type !== null) model.modelType = row.model_type
  if (row.source_run_id !== null) model.sourceRunId = row.source_run_id
  if (row.status_message !== null) model.statusMessage = row.status_message
  return model
}

export function toWebhook(row: WebhookRow, events: { entity: string; action: string }[]): Webhook {
  const webhook: Webhook = {
    webhookId: row.webhook_id,
    name: row.name,
    url: row.url,
    events: events.map((event) => ({
      entity: event.entity as WebhookEntity,
      action: event.action as WebhookAction,
    })),
    status: row.status as WebhookStatus,
    creationTimestamp: Number(row.creation_timestamp),
    lastUpdatedTimestamp: Number(row.last_updated_timestamp),
  }
  if (row.description) webhook.description = row.description
  return webhook
}

export function toWebhookDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  const delivery: WebhookDelivery = {
    deliveryId: row.delivery_id,
    webhookId: row.webhook_id,
    entity: row.entity,
    action: row.action,
    state: row.state as WebhookDeliveryState,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
  }
  if (row.response_status !== null) delivery.responseStatus = Number(row.response_status)
  if (row.error_message !== null) delivery.errorMessage = row.error_message
  if (row.last_attempt_at !== null) delivery.lastAttemptAt = Number(row.last_attempt_at)
  return delivery
}
