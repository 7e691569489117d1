import type {
  LoggedModel,
  LoggedModelJson,
  LoggedModelStatus,
  ModelVersion,
  ModelVersionJson,
  ModelVersionStatus,
  Param,
  RegisteredModel,
  RegisteredModelJson,
  Tag,
  Webhook,
  WebhookAction,
  WebhookDelivery,
  WebhookDeliveryState,
  WebhookEntity,
  WebhookEvent,
  WebhookJson,
  WebhookStatus,
} from '@cairn/core'
import { MlflowError, parseModelUri } from '@cairn/core'
import type { HttpClient, HttpRequest } from './http-client.js'
import { PagedIterable } from './paged-iterable.js'
import { toMetric, type WireMetric } from './wire-convert.js'

const API = '/api/2.0/mlflow'
const CAIRN = '/api/2.0/cairn'

/** Tags as a list or a plain key → value object. */
export type RegistryTagsInput = Tag[] | Record<string, string>

function tagList(tags: RegistryTagsInput | undefined): { key: string; value: string }[] {
  if (!tags) return []
  return Array.isArray(tags)
    ? tags.map(({ key, value }) => ({ key, value }))
    : Object.entries(tags).map(([key, value]) => ({ key, value }))
}

function toModelVersion(wire: ModelVersionJson): ModelVersion {
  const version: ModelVersion = {
    name: wire.name,
    version: wire.version,
    creationTimestamp: wire.creation_timestamp,
    lastUpdatedTimestamp: wire.last_updated_timestamp ?? wire.creation_timestamp,
    currentStage: wire.current_stage ?? 'None',
    source: wire.source ?? '',
    status: (wire.status ?? 'READY') as ModelVersionStatus,
    tags: (wire.tags ?? []).map(({ key, value }) => ({ key, value })),
    aliases: wire.aliases ?? [],
  }
  if (wire.user_id !== undefined) version.userId = wire.user_id
  if (wire.description !== undefined) version.description = wire.description
  if (wire.run_id !== undefined) version.runId = wire.run_id
  if (wire.status_message !== undefined) version.statusMessage = wire.status_message
  if (wire.run_link !== undefined) version.runLink = wire.run_link
  if (wire.model_id !== undefined) version.modelId = wire.model_id
  return version
}

function toRegisteredModel(wire: RegisteredModelJson): RegisteredModel {
  const model: RegisteredModel = {
    name: wire.name,
    creationTimestamp: wire.creation_timestamp,
    lastUpdatedTimestamp: wire.last_updated_timestamp ?? wire.creation_timestamp,
    latestVersions: (wire.latest_versions ?? []).map(toModelVersion),
    tags: (wire.tags ?? []).map(({ key, value }) => ({ key, value })),
    aliases: (wire.aliases ?? []).map(({ alias, version }) => ({ alias, version })),
  }
  if (wire.user_id !== undefined) model.userId = wire.user_id
  if (wire.description !== undefined) model.description = wire.description
  return model
}

function toLoggedModel(wire: LoggedModelJson): LoggedModel {
  const { info, data } = wire
  const model: LoggedModel = {
    modelId: info.model_id,
    experimentId: info.experiment_id,
    name: info.name,
    creationTimestampMs: info.creation_timestamp_ms,
    lastUpdatedTimestampMs: info.last_updated_timestamp_ms,
    artifactUri: info.artifact_uri,
    status: info.status,
    tags: (info.tags ?? []).map(({ key, value }) => ({ key, value })),
    params: (data?.params ?? []).map(({ key, value }) => ({ key, value })),
    metrics: (data?.metrics ?? []).map((metric) => toMetric(metric as WireMetric)),
  }
  if (info.creator_id !== undefined) model.creatorId = info.creator_id
  if (info.model_type !== undefined) model.modelType = info.model_type
  if (info.source_run_id !== undefined) model.sourceRunId = info.source_run_id
  if (info.status_message !== undefined) model.statusMessage = info.status_message
  return model
}

function toWebhook(wire: WebhookJson): Webhook {
  const webhook: Webhook = {
    webhookId: wire.webhook_id,
    name: wire.name,
    url: wire.url,
    events: (wire.events ?? []).map((event) => ({
      entity: event.entity.toLowerCase() as WebhookEntity,
      action: event.action.toLowerCase() as WebhookAction,
    })),
    status: wire.status as WebhookStatus,
    creationTimestamp: wire.creation_timestamp,
    lastUpdatedTimestamp: wire.last_updated_timestamp,
  }
  if (wire.description !== undefined) webhook.description = wire.description
  return webhook
}

function withToken<T extends object>(value: T, token: string | undefined): T & { nextPageToken?: string } {
  return token ? { ...value, nextPageToken: token } : value
}

/** A page of a registry search. */
export interface RegistrySearchRequest {
  /** MLflow filter, e.g. `name LIKE 'iris%'` or `tags.team = 'ml'`. */
  filter?: string
  maxResults?: number
  /** e.g. `['name ASC']`, `['last_updated_timestamp DESC']`, `['version_number DESC']`. */
  orderBy?: string[]
  pageToken?: string
}

export interface CreateModelVersionRequest {
  name: string
  /** `runs:/<run_id>/<path>`, `models:/<model_id>`, `models:/<name>/<version>`, `models:/<name>@<alias>` or a storage URI. */
  source: string
  runId?: string
  modelId?: string
  runLink?: string
  description?: string
  tags?: RegistryTagsInput
}

export interface CreateLoggedModelRequest {
  experimentId: string
  /** Default: a generated name. */
  name?: string
  modelType?: string
  sourceRunId?: string
  params?: Record<string, string> | Param[]
  tags?: RegistryTagsInput
}

export interface SearchLoggedModelsRequest {
  experimentIds: string[]
  /** e.g. `metrics.accuracy > 0.9 AND params.alpha = '0.1'`. */
  filter?: string
  datasets?: { datasetName: string; datasetDigest?: string }[]
  maxResults?: number
  orderBy?: { fieldName: string; ascending?: boolean; datasetName?: string; datasetDigest?: string }[]
  pageToken?: string
}

export interface CreateWebhookRequest {
  name: string
  url: string
  events: WebhookEvent[]
  description?: string
  /** Signs deliveries (`X-MLflow-Signature: v1,<base64 HMAC-SHA256>`). */
  secret?: string
  status?: WebhookStatus
}

export interface WebhookTestResult {
  success: boolean
  responseStatus?: number
  responseBody?: string
  errorMessage?: string
}

/** Where a model version comes from (Cairn's lineage endpoint). */
export interface ModelVersionLineage {
  modelVersion: ModelVersion
  run?: { runId: string; runName?: string; experimentId: string; status: string; lifecycleStage: string }
  experiment?: { experimentId: string; name: string }
  loggedModel?: { modelId: string; name: string; artifactUri: string; status: string }
  datasets: { name: string; digest: string; context?: string }[]
}

/**
 * The model registry, MLflow 3 logged models and webhooks of a tracking server
 * (`client.registry` of a `CairnClient`).
 *
 * @example
 * await client.registry.createRegisteredModel({ name: 'iris' })
 * const version = await client.registry.createModelVersion({ name: 'iris', source: `models:/${modelId}`, modelId })
 * await client.registry.setRegisteredModelAlias('iris', 'champion', version.version)
 * const champion = await client.registry.resolveModelUri('models:/iris@champion')
 */
export class ModelRegistryClient {
  constructor(private readonly http: HttpClient) {}

  private call<T>(request: HttpRequest): Promise<T> {
    return this.http.request<T>(request)
  }

  // Registered models

  /** Creates a registered model; a taken name is `RESOURCE_ALREADY_EXISTS`. */
  async createRegisteredModel(request: {
    name: string
    description?: string
    tags?: RegistryTagsInput
  }): Promise<RegisteredModel> {
    const body = await this.call<{ registered_model: RegisteredModelJson }>({
      method: 'POST',
      path: `${API}/registered-models/create`,
      body: { name: request.name, description: request.description, tags: tagList(request.tags) },
    })
    return toRegisteredModel(body.registered_model)
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const body = await this.call<{ registered_model: RegisteredModelJson }>({
      method: 'GET',
      path: `${API}/registered-models/get`,
      query: { name },
    })
    return toRegisteredModel(body.registered_model)
  }

  /** Renames a model and its versions. */
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const body = await this.call<{ registered_model: RegisteredModelJson }>({
      method: 'POST',
      path: `${API}/registered-models/rename`,
      body: { name, new_name: newName },
    })
    return toRegisteredModel(body.registered_model)
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const body = await this.call<{ registered_model: RegisteredModelJson }>({
      method: 'PATCH',
      path: `${API}/registered-models/update`,
      body: { name, description },
    })
    return toRegisteredModel(body.registered_model)
  }

  /** Deletes a model with all its versions. */
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `${API}/registered-models/delete`, body: { name } })
  }

  async searchRegisteredModels(
    request: RegistrySearchRequest = {},
  ): Promise<{ registeredModels: RegisteredModel[]; nextPageToken?: string }> {
    const body = await this.call<{ registered_models?: RegisteredModelJson[]; next_page_token?: string }>({
      method: 'GET',
      path: `${API}/registered-models/search`,
      query: {
        filter: request.filter,
        max_results: request.maxResults,
        order_by: request.orderBy,
        page_token: request.pageToken,
      },
    })
    return withToken(
      { registeredModels: (body.registered_models ?? []).map(toRegisteredModel) },
      body.next_page_token,
    )
  }

  /** Every matching registered model, page by page. */
  searchRegisteredModelsAll(
    request: Omit<RegistrySearchRequest, 'pageToken'> = {},
  ): PagedIterable<RegisteredModel> {
    return new PagedIterable(async (pageToken) => {
      const page = await this.searchRegisteredModels({ ...request, pageToken })
      return { items: page.registeredModels, nextPageToken: page.nextPageToken }
    })
  }

  /** The newest version per stage (only `stages`, when given). */
  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    const body = await this.call<{ model_versions?: ModelVersionJson[] }>({
      method: 'POST',
      path: `${API}/registered-models/get-latest-versions`,
      body: { name, stages },
    })
    return (body.model_versions ?? []).map(toModelVersion)
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.call({ method: 'POST', path: `${API}/registered-models/set-tag`, body: { name, key, value } })
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `${API}/registered-models/delete-tag`, body: { name, key } })
  }

  /** Points `alias` at a version (moving it if it pointed elsewhere). */
  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/registered-models/alias`,
      body: { name, alias, version: String(version) },
    })
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `${API}/registered-models/alias`, body: { name, alias } })
  }

  /** The version an alias points to; `latest` is the newest version. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const body = await this.call<{ model_version: ModelVersionJson }>({
      method: 'GET',
      path: `${API}/registered-models/alias`,
      query: { name, alias },
    })
    return toModelVersion(body.model_version)
  }

  // Model versions

  /** Registers a new version; numbers are never reused. */
  async createModelVersion(request: CreateModelVersionRequest): Promise<ModelVersion> {
    const body = await this.call<{ model_version: ModelVersionJson }>({
      method: 'POST',
      path: `${API}/model-versions/create`,
      body: {
        name: request.name,
        source: request.source,
        run_id: request.runId,
        model_id: request.modelId,
        run_link: request.runLink,
        description: request.description,
        tags: tagList(request.tags),
      },
    })
    return toModelVersion(body.model_version)
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    const body = await this.call<{ model_version: ModelVersionJson }>({
      method: 'GET',
      path: `${API}/model-versions/get`,
      query: { name, version: String(version) },
    })
    return toModelVersion(body.model_version)
  }

  async updateModelVersion(
    name: string,
    version: string | number,
    description: string,
  ): Promise<ModelVersion> {
    const body = await this.call<{ model_version: ModelVersionJson }>({
      method: 'PATCH',
      path: `${API}/model-versions/update`,
      body: { name, version: String(version), description },
    })
    return toModelVersion(body.model_version)
  }

  /** Moves a version to `None`, `Staging`, `Production` or `Archived`; optionally archives the others in that stage. */
  async transitionModelVersionStage(request: {
    name: string
    version: string | number
    stage: string
    archiveExistingVersions?: boolean
  }): Promise<ModelVersion> {
    const body = await this.call<{ model_version: ModelVersionJson }>({
      method: 'POST',
      path: `${API}/model-versions/transition-stage`,
      body: {
        name: request.name,
        version: String(request.version),
        stage: request.stage,
        archive_existing_versions: request.archiveExistingVersions ?? false,
      },
    })
    return toModelVersion(body.model_version)
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `${API}/model-versions/delete`,
      body: { name, version: String(version) },
    })
  }

  /** Where the version's files are (a `models:/` source resolved to its storage location). */
  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    const body = await this.call<{ artifact_uri: string }>({
      method: 'GET',
      path: `${API}/model-versions/get-download-uri`,
      query: { name, version: String(version) },
    })
    return body.artifact_uri
  }

  async searchModelVersions(
    request: RegistrySearchRequest = {},
  ): Promise<{ modelVersions: ModelVersion[]; nextPageToken?: string }> {
    const body = await this.call<{ model_versions?: ModelVersionJson[]; next_page_token?: string }>({
      method: 'GET',
      path: `${API}/model-versions/search`,
      query: {
        filter: request.filter,
        max_results: request.maxResults,
        order_by: request.orderBy,
        page_token: request.pageToken,
      },
    })
    return withToken({ modelVersions: (body.model_versions ?? []).map(toModelVersion) }, body.next_page_token)
  }

  searchModelVersionsAll(
    request: Omit<RegistrySearchRequest, 'pageToken'> = {},
  ): PagedIterable<ModelVersion> {
    return new PagedIterable(async (pageToken) => {
      const page = await this.searchModelVersions({ ...request, pageToken })
      return { items: page.modelVersions, nextPageToken: page.nextPageToken }
    })
  }

  async setModelVersionTag(
    name: string,
    version: string | number,
    key: string,
    value: string,
  ): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/model-versions/set-tag`,
      body: { name, version: String(version), key, value },
    })
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `${API}/model-versions/delete-tag`,
      body: { name, version: String(version), key },
    })
  }

  /**
   * The model version a `models:/` URI names: `models:/name/3`, `models:/name@alias`, `models:/name/latest`,
   * `models:/name/Production` (newest version in that stage). `models:/<model_id>` names a logged model:
   * use `resolveModelUriLocation` or `getLoggedModel` for those.
   */
  async resolveModelUri(uri: string): Promise<ModelVersion> {
    const parsed = parseModelUri(uri)
    switch (parsed.kind) {
      case 'version':
        return this.getModelVersion(parsed.name, parsed.version)
      case 'alias':
        return this.getModelVersionByAlias(parsed.name, parsed.alias)
      case 'latest':
        return this.getModelVersionByAlias(parsed.name, 'latest')
      case 'stage': {
        const [newest] = (await this.getLatestVersions(parsed.name, [parsed.stage])).sort(
          (a, b) => Number(b.version) - Number(a.version),
        )
        if (!newest) {
          throw new MlflowError(
            'RESOURCE_DOES_NOT_EXIST',
            `No versions of model with name '${parsed.name}' and stage '${parsed.stage}' found`,
          )
        }
        return newest
      }
      case 'logged-model':
        throw new MlflowError('INVALID_PARAMETER_VALUE', `'${uri}' names a logged model, not a model version`)
    }
  }

  /** Where the files of whatever a `models:/` URI names are (a version's download URI or a logged model's artifacts). */
  async resolveModelUriLocation(uri: string): Promise<string> {
    const parsed = parseModelUri(uri)
    if (parsed.kind === 'logged-model') return (await this.getLoggedModel(parsed.modelId)).artifactUri
    const version = await this.resolveModelUri(uri)
    return this.getModelVersionDownloadUri(version.name, version.version)
  }

  /** Cairn: the version with its run, experiment, logged model and datasets. */
  async getModelVersionLineage(name: string, version: string | number): Promise<ModelVersionLineage> {
    const body = await this.call<{
      model_version: ModelVersionJson
      run?: {
        run_id: string
        run_name?: string
        experiment_id: string
        status: string
        lifecycle_stage: string
      }
      experiment?: { experiment_id: string; name: string }
      logged_model?: { model_id: string; name: string; artifact_uri: string; status: string }
      datasets?: { name: string; digest: string; context?: string }[]
    }>({ method: 'GET', path: `${CAIRN}/model-versions/lineage`, query: { name, version: String(version) } })
    const lineage: ModelVersionLineage = {
      modelVersion: toModelVersion(body.model_version),
      datasets: body.datasets ?? [],
    }
    if (body.run) {
      lineage.run = {
        runId: body.run.run_id,
        experimentId: body.run.experiment_id,
        status: body.run.status,
        lifecycleStage: body.run.lifecycle_stage,
        ...(body.run.run_name !== undefined && { runName: body.run.run_name }),
      }
    }
    if (body.experiment)
      lineage.experiment = { experimentId: body.experiment.experiment_id, name: body.experiment.name }
    if (body.logged_model) {
      lineage.loggedModel = {
        modelId: body.logged_model.model_id,
        name: body.logged_model.name,
        artifactUri: body.logged_model.artifact_uri,
        status: body.logged_model.status,
      }
    }
    return lineage
  }

  /** Cairn: the versions registered from a run (directly or through its logged models). */
  async listRunModelVersions(runId: string): Promise<ModelVersion[]> {
    const body = await this.call<{ model_versions?: ModelVersionJson[] }>({
      method: 'GET',
      path: `${CAIRN}/runs/model-versions`,
      query: { run_id: runId },
    })
    return (body.model_versions ?? []).map(toModelVersion)
  }

  // Logged models

  /** A new logged model (status PENDING) with artifacts under `<experiment>/models/<id>/artifacts`. */
  async createLoggedModel(request: CreateLoggedModelRequest): Promise<LoggedModel> {
    const body = await this.call<{ model: LoggedModelJson }>({
      method: 'POST',
      path: `${API}/logged-models`,
      body: {
        experiment_id: request.experimentId,
        name: request.name,
        model_type: request.modelType,
        source_run_id: request.sourceRunId,
        params: tagList(request.params),
        tags: tagList(request.tags),
      },
    })
    return toLoggedModel(body.model)
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const body = await this.call<{ model: LoggedModelJson }>({
      method: 'GET',
      path: `${API}/logged-models/${encodeURIComponent(modelId)}`,
    })
    return toLoggedModel(body.model)
  }

  /** Marks the upload done (`LOGGED_MODEL_READY`) or failed (`LOGGED_MODEL_UPLOAD_FAILED`). */
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const body = await this.call<{ model: LoggedModelJson }>({
      method: 'PATCH',
      path: `${API}/logged-models/${encodeURIComponent(modelId)}`,
      body: { model_id: modelId, status },
    })
    return toLoggedModel(body.model)
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `${API}/logged-models/${encodeURIComponent(modelId)}` })
  }

  async setLoggedModelTags(modelId: string, tags: RegistryTagsInput): Promise<void> {
    await this.call({
      method: 'PATCH',
      path: `${API}/logged-models/${encodeURIComponent(modelId)}/tags`,
      body: { tags: tagList(tags) },
    })
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: `${API}/logged-models/${encodeURIComponent(modelId)}/tags/${encodeURIComponent(key)}`,
    })
  }

  async logLoggedModelParams(modelId: string, params: Record<string, string> | Param[]): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/logged-models/${encodeURIComponent(modelId)}/params`,
      body: { model_id: modelId, params: tagList(params) },
    })
  }

  async searchLoggedModels(
    request: SearchLoggedModelsRequest,
  ): Promise<{ models: LoggedModel[]; nextPageToken?: string }> {
    const body = await this.call<{ models?: LoggedModelJson[]; next_page_token?: string }>({
      method: 'POST',
      path: `${API}/logged-models/search`,
      body: {
        experiment_ids: request.experimentIds,
        filter: request.filter,
        datasets: request.datasets?.map((dataset) => ({
          dataset_name: dataset.datasetName,
          dataset_digest: dataset.datasetDigest,
        })),
        max_results: request.maxResults,
        order_by: request.orderBy?.map((item) => ({
          field_name: item.fieldName,
          ascending: item.ascending ?? true,
          dataset_name: item.datasetName,
          dataset_digest: item.datasetDigest,
        })),
        page_token: request.pageToken,
      },
    })
    return withToken({ models: (body.models ?? []).map(toLoggedModel) }, body.next_page_token)
  }

  // Webhooks

  async createWebhook(request: CreateWebhookRequest): Promise<Webhook> {
    const body = await this.call<{ webhook: WebhookJson }>({
      method: 'POST',
      path: `${API}/webhooks`,
      body: {
        name: request.name,
        url: request.url,
        events: request.events.map((event) => ({
          entity: event.entity.toUpperCase(),
          action: event.action.toUpperCase(),
        })),
        description: request.description,
        secret: request.secret,
        status: request.status,
      },
    })
    return toWebhook(body.webhook)
  }

  async getWebhook(webhookId: string): Promise<Webhook> {
    const body = await this.call<{ webhook: WebhookJson }>({
      method: 'GET',
      path: `${API}/webhooks/${encodeURIComponent(webhookId)}`,
    })
    return toWebhook(body.webhook)
  }

  async listWebhooks(
    request: { maxResults?: number; pageToken?: string } = {},
  ): Promise<{ webhooks: Webhook[]; nextPageToken?: string }> {
    const body = await this.call<{ webhooks?: WebhookJson[]; next_page_token?: string }>({
      method: 'GET',
      path: `${API}/webhooks`,
      query: { max_results: request.maxResults, page_token: request.pageToken },
    })
    return withToken({ webhooks: (body.webhooks ?? []).map(toWebhook) }, body.next_page_token)
  }

  /** Changes only the given fields. */
  async updateWebhook(webhookId: string, changes: Partial<CreateWebhookRequest>): Promise<Webhook> {
    const body = await this.call<{ webhook: WebhookJson }>({
      method: 'PATCH',
      path: `${API}/webhooks/${encodeURIComponent(webhookId)}`,
      body: {
        name: changes.name,
        url: changes.url,
        events: changes.events?.map((event) => ({
          entity: event.entity.toUpperCase(),
          action: event.action.toUpperCase(),
        })),
        description: changes.description,
        secret: changes.secret,
        status: changes.status,
      },
    })
    return toWebhook(body.webhook)
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `${API}/webhooks/${encodeURIComponent(webhookId)}` })
  }

  /** Sends an example event to the webhook and reports the receiver's answer. */
  async testWebhook(webhookId: string, event?: WebhookEvent): Promise<WebhookTestResult> {
    const body = await this.call<{
      result: { success: boolean; response_status?: number; response_body?: string; error_message?: string }
    }>({
      method: 'POST',
      path: `${API}/webhooks/${encodeURIComponent(webhookId)}/test`,
      body: event
        ? { event: { entity: event.entity.toUpperCase(), action: event.action.toUpperCase() } }
        : {},
    })
    const result: WebhookTestResult = { success: body.result.success }
    if (body.result.response_status !== undefined) result.responseStatus = body.result.response_status
    if (body.result.response_body !== undefined) result.responseBody = body.result.response_body
    if (body.result.error_message !== undefined) result.errorMessage = body.result.error_message
    return result
  }

  /** Cairn: the delivery log of a webhook, newest first. */
  async listWebhookDeliveries(webhookId: string, maxResults?: number): Promise<WebhookDelivery[]> {
    const body = await this.call<{
      deliveries?: {
        delivery_id: string
        webhook_id: string
        entity: string
        action: string
        state: string
        attempts: number
        response_status?: number
        error_message?: string
        created_at: number
        last_attempt_at?: number
      }[]
    }>({
      method: 'GET',
      path: `${CAIRN}/webhooks/${encodeURIComponent(webhookId)}/deliveries`,
      query: { max_results: maxResults },
    })
    return (body.deliveries ?? []).map((wire) => {
      const delivery: WebhookDelivery = {
        deliveryId: wire.delivery_id,
        webhookId: wire.webhook_id,
        entity: wire.entity,
        action: wire.action,
        state: wire.state as WebhookDeliveryState,
        attempts: wire.attempts,
        createdAt: wire.created_at,
      }
      if (wire.response_status !== undefined) delivery.responseStatus = wire.response_status
      if (wire.error_message !== undefined) delivery.errorMessage = wire.error_message
      if (wire.last_attempt_at !== undefined) delivery.lastAttemptAt = wire.last_attempt_at
      return delivery
    })
  }
}
