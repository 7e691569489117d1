import type {
  CreateModelVersionRequest,
  CreateRegisteredModelRequest,
  DeleteModelVersionTagRequest,
  DeleteRegisteredModelTagRequest,
  EmptyResponse,
  GetLatestVersionsRequest,
  GetModelVersionDownloadUriResponse,
  ModelVersionEnvelope,
  ModelVersionKeyRequest,
  ModelVersionLineageResponse,
  ModelVersionsResponse,
  RegisteredModelAliasRequest,
  RegisteredModelEnvelope,
  RegisteredModelNameRequest,
  RenameRegisteredModelRequest,
  RunModelVersionsRequest,
  SearchModelVersionsRequest,
  SearchModelVersionsResponse,
  SearchRegisteredModelsRequest,
  SearchRegisteredModelsResponse,
  SetModelVersionTagRequest,
  SetRegisteredModelAliasRequest,
  SetRegisteredModelTagRequest,
  Tag,
  TransitionModelVersionStageRequest,
  UpdateModelVersionRequest,
  UpdateRegisteredModelRequest,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import { toModelVersionJson, toRegisteredModelJson } from './registry-json.js'

function tagsOf(tags: { key: string; value?: string | undefined }[] | undefined): Tag[] {
  return (tags ?? []).map(({ key, value }) => ({ key, value: value ?? '' }))
}

export async function createRegisteredModel(
  request: CreateRegisteredModelRequest,
  { services }: HandlerContext,
): Promise<RegisteredModelEnvelope> {
  const model = await services.registry.createRegisteredModel({
    name: request.name,
    tags: tagsOf(request.tags),
    ...(request.description !== undefined && { description: request.description }),
  })
  return { registered_model: toRegisteredModelJson(model) }
}

export async function getRegisteredModel(
  request: RegisteredModelNameRequest,
  { services }: HandlerContext,
): Promise<RegisteredModelEnvelope> {
  return { registered_model: toRegisteredModelJson(await services.registry.getRegisteredModel(request.name)) }
}

export async function renameRegisteredModel(
  request: RenameRegisteredModelRequest,
  { services }: HandlerContext,
): Promise<RegisteredModelEnvelope> {
  const model = await services.registry.renameRegisteredModel(request.name, request.new_name)
  return { registered_model: toRegisteredModelJson(model) }
}

export async function updateRegisteredModel(
  request: UpdateRegisteredModelRequest,
  { services }: HandlerContext,
): Promise<RegisteredModelEnvelope> {
  const model = await services.registry.updateRegisteredModel(request.name, request.description)
  return { registered_model: toRegisteredModelJson(model) }
}

export async function deleteRegisteredModel(
  request: RegisteredModelNameRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.deleteRegisteredModel(request.name)
  return {}
}

export async function searchRegisteredModels(
  request: SearchRegisteredModelsRequest,
  { services }: HandlerContext,
): Promise<SearchRegisteredModelsResponse> {
  const page = await services.registry.searchRegisteredModels({
    filter: request.filter,
    maxResults: request.max_results,
    orderBy: request.order_by,
    pageToken: request.page_token,
  })
  const response: SearchRegisteredModelsResponse = {}
  if (page.registeredModels.length > 0)
    response.registered_models = page.registeredModels.map(toRegisteredModelJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

export async function getLatestVersions(
  request: GetLatestVersionsRequest,
  { services }: HandlerContext,
): Promise<ModelVersionsResponse> {
  const versions = await services.registry.getLatestVersions(request.name, request.stages)
  return versions.length > 0 ? { model_versions: versions.map(toModelVersionJson) } : {}
}

export async function setRegisteredModelTag(
  request: SetRegisteredModelTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.setRegisteredModelTag(request.name, {
    key: request.key,
    value: request.value ?? '',
  })
  return {}
}

export async function deleteRegisteredModelTag(
  request: DeleteRegisteredModelTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.deleteRegisteredModelTag(request.name, request.key)
  return {}
}

export async function setRegisteredModelAlias(
  request: SetRegisteredModelAliasRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.setRegisteredModelAlias(request.name, request.alias, request.version)
  return {}
}

export async function deleteRegisteredModelAlias(
  request: RegisteredModelAliasRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.deleteRegisteredModelAlias(request.name, request.alias)
  return {}
}

export async function getModelVersionByAlias(
  request: RegisteredModelAliasRequest,
  { services }: HandlerContext,
): Promise<ModelVersionEnvelope> {
  return {
    model_version: toModelVersionJson(
      await services.registry.getModelVersionByAlias(request.name, request.alias),
    ),
  }
}

export async function createModelVersion(
  request: CreateModelVersionRequest,
  { services }: HandlerContext,
): Promise<ModelVersionEnvelope> {
  const version = await services.registry.createModelVersion({
    name: request.name,
    source: request.source,
    tags: tagsOf(request.tags),
    ...(request.run_id !== undefined && { runId: request.run_id }),
    ...(request.run_link !== undefined && { runLink: request.run_link }),
    ...(request.description !== undefined && { description: request.description }),
    ...(request.model_id !== undefined && { modelId: request.model_id }),
  })
  return { model_version: toModelVersionJson(version) }
}

export async function getModelVersion(
  request: ModelVersionKeyRequest,
  { services }: HandlerContext,
): Promise<ModelVersionEnvelope> {
  return {
    model_version: toModelVersionJson(await services.registry.getModelVersion(request.name, request.version)),
  }
}

export async function updateModelVersion(
  request: UpdateModelVersionRequest,
  { services }: HandlerContext,
): Promise<ModelVersionEnvelope> {
  const version = await services.registry.updateModelVersion(
    request.name,
    request.version,
    request.description,
  )
  return { model_version: toModelVersionJson(version) }
}

export async function transitionModelVersionStage(
  request: TransitionModelVersionStageRequest,
  { services }: HandlerContext,
): Promise<ModelVersionEnvelope> {
  const version = await services.registry.transitionModelVersionStage({
    name: request.name,
    version: request.version,
    stage: request.stage,
    archiveExistingVersions:
      request.archive_existing_versions === true || request.archive_existing_versions === 'true',
  })
  return { model_version: toModelVersionJson(version) }
}

export async function deleteModelVersion(
  request: ModelVersionKeyRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.deleteModelVersion(request.name, request.version)
  return {}
}

export async function getModelVersionDownloadUri(
  request: ModelVersionKeyRequest,
  { services }: HandlerContext,
): Promise<GetModelVersionDownloadUriResponse> {
  return { artifact_uri: await services.registry.getModelVersionDownloadUri(request.name, request.version) }
}

export async function searchModelVersions(
  request: SearchModelVersionsRequest,
  { services }: HandlerContext,
): Promise<SearchModelVersionsResponse> {
  const page = await services.registry.searchModelVersions({
    filter: request.filter,
    maxResults: request.max_results,
    orderBy: request.order_by,
    pageToken: request.page_token,
  })
  const response: SearchModelVersionsResponse = {}
  if (page.modelVersions.length > 0) response.model_versions = page.modelVersions.map(toModelVersionJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

export async function setModelVersionTag(
  request: SetModelVersionTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.setModelVersionTag(request.name, request.version, {
    key: request.key,
    value: request.value ?? '',
  })
  return {}
}

export async function deleteModelVersionTag(
  request: DeleteModelVersionTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.registry.deleteModelVersionTag(request.name, request.version, request.key)
  return {}
}

export async function getModelVersionLineage(
  request: ModelVersionKeyRequest,
  { services }: HandlerContext,
): Promise<ModelVersionLineageResponse> {
  const lineage = await services.registry.getModelVersionLineage(request.name, request.version)
  const response: ModelVersionLineageResponse = { model_version: toModelVersionJson(lineage.modelVersion) }
  if (lineage.run) {
    const { info } = lineage.run
    response.run = {
      run_id: info.runId,
      ...(info.runName && { run_name: info.runName }),
      experiment_id: info.experimentId,
      status: info.status,
      lifecycle_stage: info.lifecycleStage,
    }
    const datasets = lineage.run.inputs.datasetInputs.map((input) => {
      const context = input.tags.find((tag) => tag.key === 'mlflow.data.context')?.value
      return {
        name: input.dataset.name,
        digest: input.dataset.digest,
        ...(context !== undefined && { context }),
      }
    })
    if (datasets.length > 0) response.datasets = datasets
  }
  if (lineage.experiment) {
    response.experiment = { experiment_id: lineage.experiment.experimentId, name: lineage.experiment.name }
  }
  if (lineage.loggedModel) {
    response.logged_model = {
      model_id: lineage.loggedModel.modelId,
      name: lineage.loggedModel.name,
      artifact_uri: lineage.loggedModel.artifactUri,
      status: lineage.loggedModel.status,
    }
  }
  return response
}

export async function listRunModelVersions(
  request: RunModelVersionsRequest,
  { services }: HandlerContext,
): Promise<ModelVersionsResponse> {
  const versions = await services.registry.listModelVersionsOfRun(request.run_id)
  return versions.length > 0 ? { model_versions: versions.map(toModelVersionJson) } : {}
}
