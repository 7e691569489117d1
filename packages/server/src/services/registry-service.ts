import {
  ACTIVE_STAGES,
  invalidParameter,
  MlflowError,
  type ModelVersion,
  parseOrderBy,
  parseSearchFilter,
  type RegisteredModel,
  SEARCH_MODEL_VERSIONS_DEFAULT_MAX_RESULTS,
  SEARCH_REGISTERED_MODELS_DEFAULT_MAX_RESULTS,
  SEARCH_REGISTERED_MODELS_MAX_RESULTS,
  TAG_IS_PROMPT,
  type Tag,
} from '@cairn/core'
import type { RegistryStore, TrackingStore } from '@cairn/store'
import type { ModelSourceResolver } from './model-source.js'
import { offsetFromPageToken, pageTokenFromOffset } from './paging.js'
import {
  parseVersion,
  stageOrThrow,
  validateAlias,
  validateAliasNotReserved,
  validateModelName,
  validateNewModelName,
  validateRegistryTag,
} from './registry-validation.js'
import type { WebhookDispatcher } from './webhook-dispatcher.js'

export interface CreateModelVersionOptions {
  name: string
  source: string
  runId?: string
  runLink?: string
  description?: string
  tags: Tag[]
  modelId?: string
}

export interface SearchRegistryOptions {
  filter?: string
  maxResults?: number
  orderBy?: string[]
  pageToken?: string
}

function isPrompt(tags: readonly Tag[]): boolean {
  return tags.some((tag) => tag.key === TAG_IS_PROMPT && tag.value.toLowerCase() === 'true')
}

function tagMap(tags: readonly Tag[], without: readonly string[] = []): Record<string, string> {
  const map: Record<string, string> = {}
  for (const tag of tags) if (!without.includes(tag.key)) map[tag.key] = tag.value
  return map
}

/** Registered models, versions, stages and aliases: MLflow's rules and messages, plus webhook events. */
export class RegistryService {
  constructor(
    private readonly store: RegistryStore,
    private readonly tracking: TrackingStore,
    private readonly sources: ModelSourceResolver,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  async createRegisteredModel(options: {
    name: string
    tags: Tag[]
    description?: string
  }): Promise<RegisteredModel> {
    validateModelName(options.name)
    for (const tag of options.tags) validateRegistryTag(tag)
    // MLflow stores the proto default: a model created without a description has description "".
    const model = await this.store.createRegisteredModel({
      ...options,
      description: options.description ?? '',
    })
    const prompt = isPrompt(options.tags)
    const event = { entity: prompt ? 'prompt' : 'registered_model', action: 'created' } as const
    await this.webhooks.emit([event], () => ({
      event,
      payload: {
        name: options.name,
        tags: tagMap(options.tags, prompt ? [TAG_IS_PROMPT, '_mlflow_prompt_type'] : []),
        description: options.description ?? '',
      },
    }))
    return model
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    validateModelName(name)
    return this.store.getRegisteredModel(name)
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const target = validateNewModelName(newName)
    validateModelName(name)
    return this.store.renameRegisteredModel(name, target)
  }

  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    validateModelName(name)
    return this.store.updateRegisteredModel(name, description ?? '')
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    validateModelName(name)
    await this.store.deleteRegisteredModel(name)
  }

  async searchRegisteredModels(options: SearchRegistryOptions) {
    const maxResults = options.maxResults ?? SEARCH_REGISTERED_MODELS_DEFAULT_MAX_RESULTS
    if (maxResults > SEARCH_REGISTERED_MODELS_MAX_RESULTS) {
      throw invalidParameter(
        `Invalid value for request parameter max_results. It must be at most ${SEARCH_REGISTERED_MODELS_MAX_RESULTS}, but got value ${maxResults}`,
      )
    }
    if (maxResults < 1) {
      throw invalidParameter(
        `Invalid value for max_results. It must be a positive integer, but got ${maxResults}`,
      )
    }
    const page = await this.store.searchRegisteredModels({
      filter: parseSearchFilter(options.filter, 'registered_models'),
      orderBy: parseOrderBy(options.orderBy, 'registered_models'),
      maxResults,
      offset: offsetFromPageToken(options.pageToken),
    })
    return { registeredModels: page.items, nextPageToken: pageTokenFromOffset(page.nextOffset) }
  }

  async getLatestVersions(name: string, stages: string[] | undefined): Promise<ModelVersion[]> {
    validateModelName(name)
    return this.store.getLatestVersions(name, (stages ?? []).map(stageOrThrow))
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    validateModelName(name)
    validateRegistryTag(tag)
    await this.store.setRegisteredModelTag(name, tag)
    await this.emitForPrompt(name, () => ({
      event: { entity: 'prompt_tag', action: 'set' },
      payload: { name, key: tag.key, value: tag.value },
    }))
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateModelName(name)
    validateRegistryTag({ key, value: '' })
    await this.store.deleteRegisteredModelTag(name, key)
    await this.emitForPrompt(name, () => ({
      event: { entity: 'prompt_tag', action: 'deleted' },
      payload: { name, key },
    }))
  }

  async createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    validateModelName(options.name)
    for (const tag of options.tags) validateRegistryTag(tag)
    const prompt = isPrompt(options.tags)
    const resolved = prompt
      ? { source: options.source, runId: options.runId, modelId: options.modelId }
      : await this.sources.resolve(options)
    const version = await this.store.createModelVersion({
      name: options.name,
      source: resolved.source,
      ...('storageLocation' in resolved &&
        resolved.storageLocation !== undefined && { storageLocation: resolved.storageLocation }),
      // As in MLflow, fields the request left out are stored as the proto default "".
      runId: resolved.runId ?? '',
      ...(resolved.modelId && { modelId: resolved.modelId }),
      runLink: options.runLink ?? '',
      description: options.description ?? '',
      tags: options.tags,
    })
    const versionEvent = { entity: prompt ? 'prompt_version' : 'model_version', action: 'created' } as const
    await this.webhooks.emit([versionEvent], () =>
      prompt
        ? {
            event: { entity: 'prompt_version', action: 'created' },
            payload: {
              name: options.name,
              version: version.version,
              template: options.tags.find((tag) => tag.key === 'mlflow.prompt.text')?.value ?? null,
              tags: tagMap(options.tags, [TAG_IS_PROMPT, '_mlflow_prompt_type', 'mlflow.prompt.text']),
              description: options.description || null,
            },
          }
        : {
            event: { entity: 'model_version', action: 'created' },
            payload: {
              name: options.name,
              version: version.version,
              source: version.source,
              run_id: version.runId || null,
              tags: tagMap(options.tags),
              description: options.description || null,
            },
          },
    )
    return version
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    validateModelName(name)
    return this.store.getModelVersion(name, parseVersion(version))
  }

  async updateModelVersion(
    name: string,
    version: string,
    description: string | undefined,
  ): Promise<ModelVersion> {
    validateModelName(name)
    return this.store.updateModelVersion(name, parseVersion(version), description ?? '')
  }

  async transitionModelVersionStage(options: {
    name: string
    version: string
    stage: string
    archiveExistingVersions: boolean
  }): Promise<ModelVersion> {
    validateModelName(options.name)
    const stage = stageOrThrow(options.stage)
    if (options.archiveExistingVersions && !ACTIVE_STAGES.includes(stage)) {
      // MLflow answers 500 (INTERNAL_ERROR), which its client retries for minutes; the request can never succeed.
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Model version transition cannot archive existing model versions because '${options.stage}' is not an Active stage. ` +
          `Valid stages are ['Staging', 'Production']`,
      )
    }
    return this.store.transitionModelVersionStage({
      name: options.name,
      version: parseVersion(options.version),
      stage,
      archiveExistingVersions: options.archiveExistingVersions,
    })
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    validateModelName(name)
    await this.store.deleteModelVersion(name, parseVersion(version))
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    validateModelName(name)
    return this.store.getModelVersionDownloadUri(name, parseVersion(version))
  }

  async searchModelVersions(options: SearchRegistryOptions) {
    const maxResults = options.maxResults ?? SEARCH_MODEL_VERSIONS_DEFAULT_MAX_RESULTS
    if (maxResults < 1) {
      throw invalidParameter(
        `Invalid value for max_results. It must be a positive integer, but got ${maxResults}`,
      )
    }
    const page = await this.store.searchModelVersions({
      filter: parseSearchFilter(options.filter, 'model_versions'),
      orderBy: parseOrderBy(options.orderBy, 'model_versions'),
      maxResults,
      offset: offsetFromPageToken(options.pageToken),
    })
    return { modelVersions: page.items, nextPageToken: pageTokenFromOffset(page.nextOffset) }
  }

  async setModelVersionTag(name: string, version: string, tag: Tag): Promise<void> {
    validateModelName(name)
    validateRegistryTag(tag)
    const number = parseVersion(version)
    await this.store.setModelVersionTag(name, number, tag)
    await this.emitVersionEvent(name, 'tag', 'set', {
      name,
      version: String(number),
      key: tag.key,
      value: tag.value,
    })
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    validateModelName(name)
    validateRegistryTag({ key, value: '' })
    const number = parseVersion(version)
    await this.store.deleteModelVersionTag(name, number, key)
    await this.emitVersionEvent(name, 'tag', 'deleted', { name, version: String(number), key })
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateModelName(name)
    validateAlias(alias)
    validateAliasNotReserved(alias)
    const number = parseVersion(version)
    await this.store.setRegisteredModelAlias(name, alias, number)
    await this.emitVersionEvent(name, 'alias', 'created', { name, alias, version: String(number) })
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name)
    validateAlias(alias)
    await this.store.deleteRegisteredModelAlias(name, alias)
    await this.emitVersionEvent(name, 'alias', 'deleted', { name, alias })
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name)
    validateAlias(alias)
    return this.store.getModelVersionByAlias(name, alias)
  }

  /** Cairn lineage: the version with its run, experiment, logged model and the run's datasets. */
  async getModelVersionLineage(name: string, version: string) {
    const modelVersion = await this.getModelVersion(name, version)
    const run = modelVersion.runId
      ? await this.tracking.getRun(modelVersion.runId).catch(() => undefined)
      : undefined
    const experiment = run
      ? await this.tracking.getExperiment(run.info.experimentId).catch(() => undefined)
      : undefined
    const loggedModel = modelVersion.modelId
      ? await this.store.getLoggedModel(modelVersion.modelId, { allowDeleted: true }).catch(() => undefined)
      : undefined
    return { modelVersion, run, experiment, loggedModel }
  }

  async listModelVersionsOfRun(runId: string): Promise<ModelVersion[]> {
    await this.tracking.getRunInfo(runId)
    return this.store.listModelVersionsOfRun(runId)
  }

  /**
   * Version tag and alias events are `prompt_*` ones when the model is a prompt; the model is read only when
   * a webhook is subscribed to one of the two.
   */
  private emitVersionEvent(
    name: string,
    kind: 'tag' | 'alias',
    action: 'set' | 'deleted' | 'created',
    payload: Record<string, unknown>,
  ): Promise<void> {
    const [modelEntity, promptEntity] =
      kind === 'tag'
        ? (['model_version_tag', 'prompt_version_tag'] as const)
        : (['model_version_alias', 'prompt_alias'] as const)
    const candidates = [
      { entity: modelEntity, action },
      { entity: promptEntity, action },
    ]
    return this.webhooks.emit(candidates, async () => {
      const model = await this.store.getRegisteredModel(name)
      return { event: { entity: isPrompt(model.tags) ? promptEntity : modelEntity, action }, payload }
    })
  }

  private emitForPrompt(
    name: string,
    message: () => {
      event: { entity: 'prompt_tag'; action: 'set' | 'deleted' }
      payload: Record<string, unknown>
    },
  ): Promise<void> {
    const candidate = message().event
    return this.webhooks.emit([candidate], async () => {
      const model = await this.store.getRegisteredModel(name)
      return isPrompt(model.tags) ? message() : undefined
    })
  }
}
