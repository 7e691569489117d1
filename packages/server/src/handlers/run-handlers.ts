import type {
  CreateRunRequest,
  CreateRunResponse,
  DeleteRunRequest,
  DeleteTagRequest,
  EmptyResponse,
  GetRunRequest,
  GetRunResponse,
  LogBatchRequest,
  LogInputsRequest,
  LogMetricRequest,
  LogModelRequest,
  LogOutputsRequest,
  LogParamRequest,
  Metric,
  MetricInput,
  RestoreRunRequest,
  SearchRunsRequest,
  SearchRunsResponse,
  SetTagRequest,
  UpdateRunRequest,
  UpdateRunResponse,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import { toRunInfoJson, toRunJson } from './wire-json.js'

function toMetric(metric: MetricInput): Metric {
  const result: Metric = {
    key: metric.key,
    value: metric.value,
    timestamp: metric.timestamp,
    step: metric.step ?? 0,
  }
  if (metric.model_id) result.modelId = metric.model_id
  if (metric.dataset_name) result.datasetName = metric.dataset_name
  if (metric.dataset_digest) result.datasetDigest = metric.dataset_digest
  return result
}

export async function createRun(
  request: CreateRunRequest,
  { services }: HandlerContext,
): Promise<CreateRunResponse> {
  const run = await services.runs.createRun({
    experimentId: request.experiment_id,
    userId: request.user_id,
    runName: request.run_name,
    startTime: request.start_time,
    tags: (request.tags ?? []).map(({ key, value }) => ({ key, value: value ?? '' })),
  })
  return { run: toRunJson(run) }
}

export async function updateRun(
  request: UpdateRunRequest,
  { services }: HandlerContext,
): Promise<UpdateRunResponse> {
  const info = await services.runs.updateRun({
    runId: request.run_id,
    status: request.status,
    endTime: request.end_time,
    runName: request.run_name,
  })
  return { run_info: toRunInfoJson(info) }
}

export async function deleteRun(
  request: DeleteRunRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.runs.deleteRun(request.run_id)
  return {}
}

export async function restoreRun(
  request: RestoreRunRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.runs.restoreRun(request.run_id)
  return {}
}

export async function getRun(request: GetRunRequest, { services }: HandlerContext): Promise<GetRunResponse> {
  return { run: toRunJson(await services.runs.getRun(request.run_id)) }
}

export async function searchRuns(
  request: SearchRunsRequest,
  { services }: HandlerContext,
): Promise<SearchRunsResponse> {
  const page = await services.runs.searchRuns({
    experimentIds: request.experiment_ids ?? [],
    filter: request.filter,
    viewType: request.run_view_type,
    maxResults: request.max_results,
    orderBy: request.order_by,
    pageToken: request.page_token,
  })
  const response: SearchRunsResponse = {}
  if (page.runs.length > 0) response.runs = page.runs.map(toRunJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

export async function logMetric(
  request: LogMetricRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.runs.logMetric(request.run_id, toMetric(request))
  return {}
}

export async function logParam(
  request: LogParamRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.runs.logParam(request.run_id, { key: request.key, value: request.value ?? '' })
  return {}
}

export async function setTag(request: SetTagRequest, { services }: HandlerContext): Promise<EmptyResponse> {
  await services.runs.setTag(request.run_id, { key: request.key, value: request.value ?? '' })
  return {}
}

export async function deleteTag(
  request: DeleteTagRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.runs.deleteTag(request.run_id, request.key)
  return {}
}

export async function logBatch(
  request: LogBatchRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  const metrics = request.metrics ?? []
  const converted: Metric[] = new Array(metrics.length)
  for (let index = 0; index < metrics.length; index++) converted[index] = toMetric(metrics[index]!)
  await services.runs.logBatch({
    runId: request.run_id,
    metrics: converted,
    params: (request.params ?? []).map(({ key, value }) => ({ key, value: value ?? '' })),
    tags: (request.tags ?? []).map(({ key, value }) => ({ key, value: value ?? '' })),
  })
  return {}
}

export async function logModel(
  request: LogModelRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.runs.logModel(request.run_id, request.model_json)
  return {}
}

export async function logInputs(
  request: LogInputsRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  const datasets = (request.datasets ?? []).map(({ dataset, tags }) => ({
    dataset: {
      name: dataset.name,
      digest: dataset.digest,
      sourceType: dataset.source_type,
      source: dataset.source,
      ...(dataset.schema !== undefined ? { schema: dataset.schema } : {}),
      ...(dataset.profile !== undefined ? { profile: dataset.profile } : {}),
    },
    tags: (tags ?? []).map(({ key, value }) => ({ key, value })),
  }))
  const models = (request.models ?? []).map(({ model_id }) => ({ modelId: model_id }))
  await services.runs.logInputs(request.run_id, datasets, models)
  return {}
}

export async function logOutputs(
  request: LogOutputsRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.runs.logOutputs(
    request.run_id,
    request.models.map(({ model_id, step }) => ({ modelId: model_id, step })),
  )
  return {}
}
