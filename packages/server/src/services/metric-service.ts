import type { DatasetSummary, Metric } from '@cairn/core'
import {
  GET_HISTORY_BULK_INTERVAL_MAX_RESULTS,
  GET_HISTORY_BULK_MAX_RESULTS,
  invalidParameter,
  MAX_RUN_IDS_PER_HISTORY_REQUEST,
  MlflowError,
} from '@cairn/core'
import type { MetricBucket, TrackingStore } from '@cairn/store'
import { historyPositionFromPageToken, pageTokenFromHistoryPosition } from './paging.js'
import { parseExperimentId } from './validation.js'

export interface MetricHistoryPage {
  metrics: Metric[]
  nextPageToken?: string
}

/** A page of a metric history as wire JSON. */
export interface MetricHistoryJsonPage {
  /** Comma-separated metric objects ('' for none). */
  json: string
  count: number
  nextPageToken?: string
}

const MAX_EXPERIMENT_IDS_PER_DATASET_SEARCH = 20
/** Buckets of a chart request that names none: about one per pixel of a wide chart. */
const DEFAULT_METRIC_BUCKETS = 1000

function isNotFound(error: unknown): boolean {
  return error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST'
}

function validateHistoryMaxResults(maxResults: number | undefined): void {
  if (maxResults !== undefined && maxResults <= 0) {
    throw invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer.`,
    )
  }
}

/** MLflow's SQL store does not look runs up when reading histories: an unknown run has none. */
async function* emptyWhenRunUnknown<T>(chunks: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = chunks[Symbol.asyncIterator]()
  let first: IteratorResult<T>
  try {
    first = await iterator.next()
  } catch (error) {
    if (isNotFound(error)) return
    throw error
  }
  if (first.done) return
  yield first.value
  for (;;) {
    const next = await iterator.next()
    if (next.done) return
    yield next.value
  }
}

/** Metric histories (paged, streamed, bulk and sampled) and the UI's dataset summaries. */
export class MetricService {
  constructor(private readonly store: TrackingStore) {}

  async getMetricHistory(input: {
    runId: string
    metricKey: string
    maxResults?: number
    pageToken?: string
  }): Promise<MetricHistoryPage> {
    validateHistoryMaxResults(input.maxResults)
    const { offset, after } = historyPositionFromPageToken(input.pageToken)
    try {
      const page = await this.store.getMetricHistory({
        runId: input.runId,
        metricKey: input.metricKey,
        maxResults: input.maxResults,
        offset,
        after,
      })
      return {
        metrics: page.items,
        nextPageToken: pageTokenFromHistoryPosition(page.nextOffset, page.nextCursor),
      }
    } catch (error) {
      if (isNotFound(error)) return { metrics: [] }
      throw error
    }
  }

  /**
   * The page `getMetricHistory` answers, as wire JSON rendered by the store (no object per point):
   * page tokens carry the position of the page's last point, so every page costs what the first does.
   */
  async getMetricHistoryJson(input: {
    runId: string
    metricKey: string
    maxResults: number
    pageToken?: string
  }): Promise<MetricHistoryJsonPage> {
    validateHistoryMaxResults(input.maxResults)
    const { offset, after } = historyPositionFromPageToken(input.pageToken)
    try {
      const page = await this.store.getMetricHistoryJson({
        runId: input.runId,
        metricKey: input.metricKey,
        maxResults: input.maxResults,
        offset,
        after,
      })
      return {
        json: page.json,
        count: page.count,
        nextPageToken: pageTokenFromHistoryPosition(page.nextOffset, page.nextCursor),
      }
    } catch (error) {
      if (isNotFound(error)) return { json: '', count: 0 }
      throw error
    }
  }

  /**
   * Every point of a metric as chunks of wire JSON (comma-separated metric objects), for answers
   * too large to build in memory. Nothing for an unknown run.
   */
  streamMetricHistoryJson(runId: string, metricKey: string): AsyncIterable<string> {
    return emptyWhenRunUnknown(this.store.streamMetricHistoryJson(runId, metricKey))
  }

  async getMetricHistoryBulkInterval(input: {
    runIds: string[]
    metricKey: string
    startStep?: number
    endStep?: number
    maxResults?: number
  }): Promise<Metric[]> {
    const { startStep, endStep } = input
    if (startStep !== undefined && endStep !== undefined) {
      if (startStep > endStep) {
        throw invalidParameter(
          `end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
        )
      }
    } else if (startStep !== undefined || endStep !== undefined) {
      throw invalidParameter('If either start step or end step are specified, both must be specified.')
    }
    const query = {
      metricKey: input.metricKey,
      startStep,
      endStep,
      maxResults: input.maxResults ?? GET_HISTORY_BULK_INTERVAL_MAX_RESULTS,
    }
    if (input.runIds.length === 0) return []
    try {
      return await this.store.getMetricHistoryBulkInterval({ runIds: input.runIds, ...query })
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
    // Some run is unknown: MLflow answers with the histories of the others.
    const known = await this.knownRunIds(input.runIds)
    return known.length === 0 ? [] : this.store.getMetricHistoryBulkInterval({ runIds: known, ...query })
  }

  /** Chart buckets (min/max/first/last per step slice) of a metric of 1 to 100 runs; default 1000 buckets. */
  getMetricHistoryBuckets(input: {
    runIds: string[]
    metricKey: string
    minStep?: number
    maxStep?: number
    buckets?: number
  }): Promise<MetricBucket[]> {
    return this.store.getMetricHistoryBuckets({
      runIds: input.runIds,
      metricKey: input.metricKey,
      startStep: input.minStep,
      endStep: input.maxStep,
      buckets: input.buckets ?? DEFAULT_METRIC_BUCKETS,
    })
  }

  private async knownRunIds(runIds: string[]): Promise<string[]> {
    const found = await Promise.all(
      [...new Set(runIds)].map((runId) =>
        this.store.getRunInfo(runId).then(
          () => runId,
          (error: unknown) => {
            if (isNotFound(error)) return undefined
            throw error
          },
        ),
      ),
    )
    return found.filter((runId): runId is string => runId !== undefined)
  }

  async getMetricHistoryBulk(input: {
    runIds: string[]
    metricKey?: string
    maxResults?: number
  }): Promise<Metric[]> {
    const { runIds } = input
    if (runIds.length === 0) {
      throw invalidParameter('GetMetricHistoryBulk request must specify at least one run_id.')
    }
    if (runIds.length > MAX_RUN_IDS_PER_HISTORY_REQUEST) {
      throw invalidParameter(
        `GetMetricHistoryBulk request cannot specify more than ${MAX_RUN_IDS_PER_HISTORY_REQUEST} run_ids. Received ${runIds.length} run_ids.`,
      )
    }
    if (input.metricKey === undefined) {
      throw invalidParameter('GetMetricHistoryBulk request must specify a metric_key.')
    }
    const maxResults = Math.min(
      input.maxResults ?? GET_HISTORY_BULK_MAX_RESULTS,
      GET_HISTORY_BULK_MAX_RESULTS,
    )
    if (maxResults < 1) return []
    return this.store.getMetricHistoryBulk({ runIds, metricKey: input.metricKey, maxResults })
  }

  async searchDatasets(experimentIds: string[]): Promise<DatasetSummary[]> {
    if (experimentIds.length === 0) {
      throw invalidParameter('SearchDatasets request must specify at least one experiment_id.')
    }
    if (experimentIds.length > MAX_EXPERIMENT_IDS_PER_DATASET_SEARCH) {
      throw invalidParameter(
        `SearchDatasets request cannot specify more than ${MAX_EXPERIMENT_IDS_PER_DATASET_SEARCH} experiment_ids. Received ${experimentIds.length} experiment_ids.`,
      )
    }
    const ids: string[] = []
    for (const experimentId of experimentIds) {
      const id = parseExperimentId(experimentId)
      if (id !== undefined) ids.push(id)
    }
    return ids.length === 0 ? [] : this.store.searchDatasets(ids)
  }
}
