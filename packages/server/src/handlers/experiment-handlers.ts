import type {
  CreateExperimentRequest,
  CreateExperimentResponse,
  DeleteExperimentRequest,
  DeleteExperimentTagRequest,
  EmptyResponse,
  GetExperimentByNameRequest,
  GetExperimentRequest,
  GetExperimentResponse,
  RestoreExperimentRequest,
  SearchDatasetsRequest,
  SearchDatasetsResponse,
  SearchExperimentsRequest,
  SearchExperimentsResponse,
  SetExperimentTagRequest,
  UpdateExperimentRequest,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import { toDatasetSummaryJson, toExperimentJson } from './wire-json.js'

export async function createExperiment(
  request: CreateExperimentRequest,
  { services }: HandlerContext,
): Promise<CreateExperimentResponse> {
  const experimentId = await services.experiments.createExperiment({
    name: request.name,
    artifactLocation: request.artifact_location,
    tags: (request.tags ?? []).map(({ key, value }) => ({ key, value: value ?? '' })),
  })
  return { experiment_id: experimentId }
}

export async function searchExperiments(
  request: SearchExperimentsRequest,
  { services }: HandlerContext,
): Promise<SearchExperimentsResponse> {
  const page = await services.experiments.searchExperiments({
    viewType: request.view_type,
    maxResults: request.max_results,
    filter: request.filter,
    orderBy: request.order_by,
    pageToken: request.page_token,
  })
  const response: SearchExperimentsResponse = {}
  if (page.experiments.length > 0) response.experiments = page.experiments.map(toExperimentJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

export async function getExperiment(
  request: GetExperimentRequest,
  { services }: HandlerContext,
): Promise<GetExperimentResponse> {
  return { experiment: toExperimentJson(await services.experiments.getExperiment(request.experiment_id)) }
}

export async function getExperimentByName(
  request: GetExperimentByNameRequest,
  { services }: HandlerContext,
): Promise<GetExperimentResponse> {
  return {
    experiment: toExperimentJson(await services.experiments.getExperimentByName(request.experiment_name)),
  }
}

export async function deleteExperiment(
  request: DeleteExperimentRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.experiments.deleteExperiment(request.experiment_id)
  return {}
}

export async function restoreExperiment(
  request: RestoreExperimentRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.experiments.restoreExperiment(request.experiment_id)
  return {}
}

export async function updateExperiment(
  request: UpdateExperimentRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.experiments.renameExperiment(request.experiment_id, request.new_name)
  return {}
}

export async function setExperimentTag(
  request: SetExperimentTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.experiments.setExperimentTag(request.experiment_id, {
    key: request.key,
    value: request.value ?? '',
  })
  return {}
}

export async function deleteExperimentTag(
  request: DeleteExperimentTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.experiments.deleteExperimentTag(request.experiment_id, request.key)
  return {}
}

export async function searchDatasets(
  request: SearchDatasetsRequest,
  { services }: HandlerContext,
): Promise<SearchDatasetsResponse> {
  const summaries = await services.metrics.searchDatasets(request.experiment_ids ?? [])
  return summaries.length > 0 ? { dataset_summaries: summaries.map(toDatasetSummaryJson) } : {}
}
