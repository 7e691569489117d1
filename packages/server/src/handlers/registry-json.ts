import type {
  LoggedModel,
  LoggedModelJson,
  ModelVersion,
  ModelVersionJson,
  RegisteredModel,
  RegisteredModelJson,
  Webhook,
  WebhookDelivery,
  WebhookJson,
} from '@cairn/core'
import { toMetricJson } from './wire-json.js'

/** Registry entities → MLflow's proto JSON (snake_case, unset and empty fields left out). */

/** Fields in proto order (name, version, timestamps, user_id, current_stage, description, source, run_id, …). */
export function toModelVersionJson(version: ModelVersion): ModelVersionJson {
  const json: ModelVersionJson = {
    name: version.name,
    version: version.version,
    creation_timestamp: version.creationTimestamp,
    last_updated_timestamp: version.lastUpdatedTimestamp,
  }
  if (version.userId !== undefined) json.user_id = version.userId
  json.current_stage = version.currentStage
  if (version.description !== undefined) json.description = version.description
  json.source = version.source
  if (version.runId !== undefined) json.run_id = version.runId
  json.status = version.status
  if (version.statusMessage) json.status_message = version.statusMessage
  if (version.tags.length > 0) json.tags = version.tags.map(({ key, value }) => ({ key, value }))
  if (version.runLink !== undefined) json.run_link = version.runLink
  if (version.aliases.length > 0) json.aliases = [...version.aliases]
  if (version.modelId !== undefined) json.model_id = version.modelId
  return json
}

export function toRegisteredModelJson(model: RegisteredModel): RegisteredModelJson {
  const json: RegisteredModelJson = {
    name: model.name,
    creation_timestamp: model.creationTimestamp,
    last_updated_timestamp: model.lastUpdatedTimestamp,
  }
  if (model.userId !== undefined) json.user_id = model.userId
  // MLflow leaves an empty description out of registered models (not out of versions).
  if (model.description) json.description = model.description
  if (model.latestVersions.length > 0) json.latest_versions = model.latestVersions.map(toModelVersionJson)
  if (model.tags.length > 0) json.tags = model.tags.map(({ key, value }) => ({ key, value }))
  if (model.aliases.length > 0) json.aliases = model.aliases.map(({ alias, version }) => ({ alias, version }))
  return json
}

export function toLoggedModelJson(model: LoggedModel): LoggedModelJson {
  const info: LoggedModelJson['info'] = {
    model_id: model.modelId,
    experiment_id: model.experimentId,
    name: model.name,
    creation_timestamp_ms: model.creationTimestampMs,
    last_updated_timestamp_ms: model.lastUpdatedTimestampMs,
    artifact_uri: model.artifactUri,
    status: model.status,
  }
  if (model.creatorId !== undefined) info.creator_id = model.creatorId
  if (model.modelType !== undefined) info.model_type = model.modelType
  if (model.sourceRunId !== undefined) info.source_run_id = model.sourceRunId
  if (model.statusMessage !== undefined) info.status_message = model.statusMessage
  if (model.tags.length > 0) info.tags = model.tags.map(({ key, value }) => ({ key, value }))
  const data: LoggedModelJson['data'] = {}
  if (model.params.length > 0) data.params = model.params.map(({ key, value }) => ({ key, value }))
  if (model.metrics.length > 0) data.metrics = model.metrics.map(toMetricJson)
  return { info, data }
}

/** Fields in proto order; the secret is never sent. */
export function toWebhookJson(webhook: Webhook): WebhookJson {
  const json: WebhookJson = { webhook_id: webhook.webhookId, name: webhook.name } as WebhookJson
  if (webhook.description) json.description = webhook.description
  json.url = webhook.url
  if (webhook.events.length > 0) {
    json.events = webhook.events.map((event) => ({
      entity: event.entity.toUpperCase(),
      action: event.action.toUpperCase(),
    }))
  }
  json.status = webhook.status
  json.creation_timestamp = webhook.creationTimestamp
  json.last_updated_timestamp = webhook.lastUpdatedTimestamp
  return json
}

export function toWebhookDeliveryJson(delivery: WebhookDelivery) {
  return {
    delivery_id: delivery.deliveryId,
    webhook_id: delivery.webhookId,
    entity: delivery.entity,
    action: delivery.action,
    state: delivery.state,
    attempts: delivery.attempts,
    ...(delivery.responseStatus !== undefined && { response_status: delivery.responseStatus }),
    ...(delivery.errorMessage !== undefined && { error_message: delivery.errorMessage }),
    created_at: delivery.createdAt,
    ...(delivery.lastAttemptAt !== undefined && { last_attempt_at: delivery.lastAttemptAt }),
  }
}
