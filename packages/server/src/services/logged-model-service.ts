import {
  invalidParameter,
  type LoggedModel,
  type LoggedModelStatus,
  type Param,
  SEARCH_LOGGED_MODELS_DEFAULT_MAX_RESULTS,
  type Tag,
} from '@cairn/core'
import { type LoggedModelOrderBy, parseLoggedModelFilter, type RegistryStore } from '@cairn/store'
import { generateRunName } from './generate-run-name.js'
import { validateLoggedModelName } from './registry-validation.js'

export interface CreateLoggedModelOptions {
  experimentId: string
  name?: string
  modelType?: string
  sourceRunId?: string
  params: Param[]
  tags: Tag[]
}

export interface SearchLoggedModelsOptions {
  experimentIds: string[]
  filter?: string
  datasets: { datasetName?: string; datasetDigest?: string }[]
  maxResults?: number
  orderBy: LoggedModelOrderBy[]
  pageToken?: string
}

interface LoggedModelsToken {
  offset: number
  experiment_ids: string[]
  filter_string: string | null
  order_by: unknown
}

function encodeToken(token: LoggedModelsToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64')
}

/** MLflow's `SearchLoggedModelsPaginationToken`: base64 JSON that must match the request it continues. */
function decodeToken(pageToken: string, request: Omit<LoggedModelsToken, 'offset'>): number {
  let token: Partial<LoggedModelsToken>
  try {
    token = JSON.parse(Buffer.from(pageToken, 'base64').toString('utf8')) as Partial<LoggedModelsToken>
  } catch {
    throw invalidParameter(`Invalid page token: ${pageToken}`)
  }
  if (typeof token.offset !== 'number' || !Number.isSafeInteger(token.offset) || token.offset < 0) {
    throw invalidParameter(`Invalid page token: ${pageToken}`)
  }
  if (JSON.stringify(token.experiment_ids) !== JSON.stringify(request.experiment_ids)) {
    throw invalidParameter(
      `Experiment IDs in the page token do not match the requested experiment IDs. Expected: ${JSON.stringify(token.experiment_ids)}. Found: ${JSON.stringify(request.experiment_ids)}`,
    )
  }
  if ((token.filter_string ?? null) !== request.filter_string) {
    throw invalidParameter(
      `Filter string in the page token does not match the requested filter string. Expected: ${token.filter_string}. Found: ${request.filter_string}`,
    )
  }
  if (JSON.stringify(token.order_by ?? null) !== JSON.stringify(request.order_by)) {
    throw invalidParameter('Order by in the page token does not match the requested order by.')
  }
  return token.offset
}

/** MLflow 3 logged models: creation under an experiment, finalize, tags, params, search. */
export class LoggedModelService {
  constructor(private readonly store: RegistryStore) {}

  async createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel> {
    validateLoggedModelName(options.name)
    return this.store.createLoggedModel({
      experimentId: options.experimentId,
      name: options.name || generateRunName(),
      ...(options.modelType && { modelType: options.modelType }),
      ...(options.sourceRunId && { sourceRunId: options.sourceRunId }),
      params: options.params,
      tags: options.tags,
    })
  }

  getLoggedModel(modelId: string, allowDeleted: boolean): Promise<LoggedModel> {
    return this.store.getLoggedModel(modelId, { allowDeleted })
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.store.finalizeLoggedModel(modelId, status)
  }

  deleteLoggedModel(modelId: string): Promise<void> {
    return this.store.deleteLoggedModel(modelId)
  }

  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    return this.store.setLoggedModelTags(modelId, tags)
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return this.store.deleteLoggedModelTag(modelId, key)
  }

  logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    return this.store.logLoggedModelParams(modelId, params)
  }

  async searchLoggedModels(options: SearchLoggedModelsOptions) {
    if (options.datasets.some((dataset) => !dataset.datasetName)) {
      throw invalidParameter('`dataset_name` in the `datasets` clause must be specified.')
    }
    const orderByWire =
      options.orderBy.length > 0
        ? options.orderBy.map((item) => ({
            field_name: item.fieldName,
            ascending: item.ascending,
            dataset_name: item.datasetName ?? null,
            dataset_digest: item.datasetDigest ?? null,
          }))
        : null
    const request = {
      experiment_ids: options.experimentIds,
      filter_string: options.filter || null,
      order_by: orderByWire,
    }
    const offset = options.pageToken ? decodeToken(options.pageToken, request) : 0
    const maxResults = options.maxResults || SEARCH_LOGGED_MODELS_DEFAULT_MAX_RESULTS
    if (maxResults < 1 || maxResults > 50_000) {
      throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied.`)
    }
    const page = await this.store.searchLoggedModels({
      experimentIds: options.experimentIds,
      comparisons: parseLoggedModelFilter(options.filter),
      datasets: options.datasets.map((dataset) => ({
        datasetName: dataset.datasetName ?? '',
        ...(dataset.datasetDigest && { datasetDigest: dataset.datasetDigest }),
      })),
      orderBy: options.orderBy,
      maxResults,
      offset,
    })
    return {
      models: page.items,
      nextPageToken:
        page.nextOffset === undefined ? undefined : encodeToken({ offset: page.nextOffset, ...request }),
    }
  }
}
