import { normalizeOptionalArtifactPath } from '@cairn/artifacts'
import type {
  CreateLoggedModelRequest,
  DeleteLoggedModelTagRequest,
  EmptyResponse,
  FinalizeLoggedModelRequest,
  GetLoggedModelArtifactRequest,
  ListArtifactsResponse,
  ListLoggedModelArtifactsRequest,
  LoggedModelEnvelope,
  LoggedModelIdRequest,
  LogLoggedModelParamsRequest,
  SearchLoggedModelsRequest,
  SearchLoggedModelsResponse,
  SetLoggedModelTagsRequest,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import { sendRepositoryFile } from './model-version-artifact-handler.js'
import { toLoggedModelJson } from './registry-json.js'

function pairs(entries: { key: string; value?: string | undefined }[] | undefined) {
  return (entries ?? []).map(({ key, value }) => ({ key, value: value ?? '' }))
}

export async function createLoggedModel(
  request: CreateLoggedModelRequest,
  { services }: HandlerContext,
): Promise<LoggedModelEnvelope> {
  const model = await services.loggedModels.createLoggedModel({
    experimentId: request.experiment_id,
    ...(request.name !== undefined && { name: request.name }),
    ...(request.model_type !== undefined && { modelType: request.model_type }),
    ...(request.source_run_id !== undefined && { sourceRunId: request.source_run_id }),
    params: pairs(request.params),
    tags: pairs(request.tags),
  })
  return { model: toLoggedModelJson(model) }
}

export async function getLoggedModel(
  request: LoggedModelIdRequest,
  { services }: HandlerContext,
): Promise<LoggedModelEnvelope> {
  const allowDeleted = request.allow_deleted === true || request.allow_deleted === 'true'
  return {
    model: toLoggedModelJson(await services.loggedModels.getLoggedModel(request.model_id, allowDeleted)),
  }
}

export async function finalizeLoggedModel(
  request: FinalizeLoggedModelRequest,
  { services }: HandlerContext,
): Promise<LoggedModelEnvelope> {
  return {
    model: toLoggedModelJson(
      await services.loggedModels.finalizeLoggedModel(request.model_id, request.status),
    ),
  }
}

export async function deleteLoggedModel(
  request: LoggedModelIdRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.loggedModels.deleteLoggedModel(request.model_id)
  return {}
}

export async function setLoggedModelTags(
  request: SetLoggedModelTagsRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.loggedModels.setLoggedModelTags(request.model_id, pairs(request.tags))
  return {}
}

export async function deleteLoggedModelTag(
  request: DeleteLoggedModelTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.loggedModels.deleteLoggedModelTag(request.model_id, request.tag_key)
  return {}
}

export async function logLoggedModelParams(
  request: LogLoggedModelParamsRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.loggedModels.logLoggedModelParams(request.model_id, pairs(request.params))
  return {}
}

export async function searchLoggedModels(
  request: SearchLoggedModelsRequest,
  { services }: HandlerContext,
): Promise<SearchLoggedModelsResponse> {
  const page = await services.loggedModels.searchLoggedModels({
    experimentIds: request.experiment_ids ?? [],
    ...(request.filter !== undefined && { filter: request.filter }),
    datasets: (request.datasets ?? []).map((dataset) => ({
      ...(dataset.dataset_name !== undefined && { datasetName: dataset.dataset_name }),
      ...(dataset.dataset_digest !== undefined && { datasetDigest: dataset.dataset_digest }),
    })),
    ...(request.max_results !== undefined && { maxResults: request.max_results }),
    orderBy: (request.order_by ?? []).map((item) => ({
      fieldName: item.field_name,
      ascending: item.ascending ?? true,
      ...(item.dataset_name && { datasetName: item.dataset_name }),
      ...(item.dataset_digest && { datasetDigest: item.dataset_digest }),
    })),
    ...(request.page_token !== undefined && { pageToken: request.page_token }),
  })
  const response: SearchLoggedModelsResponse = {}
  if (page.models.length > 0) response.models = page.models.map(toLoggedModelJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

/** `GET logged-models/{model_id}/artifacts/directories`: one level of the model's artifacts. */
export async function listLoggedModelArtifacts(
  request: ListLoggedModelArtifactsRequest,
  { services }: HandlerContext,
): Promise<ListArtifactsResponse> {
  const model = await services.loggedModels.getLoggedModel(request.model_id, false)
  const repository = await services.artifacts.openRepository(model.artifactUri)
  const page = await repository.list(normalizeOptionalArtifactPath(request.artifact_directory_path), {
    ...(request.page_token && { pageToken: request.page_token }),
  })
  const response: ListArtifactsResponse = { root_uri: model.artifactUri }
  if (page.files.length > 0) {
    response.files = page.files.map((file) => ({
      path: file.path,
      is_dir: file.isDir,
      ...(!file.isDir && file.fileSize !== undefined && { file_size: file.fileSize }),
    }))
  }
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

/** `GET /ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files?artifact_file_path=`: the UI's download. */
export async function getLoggedModelArtifact(
  request: GetLoggedModelArtifactRequest,
  { services }: HandlerContext,
): Promise<Response> {
  const model = await services.loggedModels.getLoggedModel(request.model_id, false)
  return sendRepositoryFile(
    await services.artifacts.openRepository(model.artifactUri),
    request.artifact_file_path,
  )
}
