import type { DatasetSummary, Metric } from '@cairn/core'
import {
  GET_HISTORY_BULK_INTERVAL_MAX_RESULTS,
  GET_HISTORY_BULK_MAX_RESULTS,
  invalidParameter,
  MAX_RUN_IDS_PER_HISTORY_REQUEST,
} from '@cairn/core'
import type { TrackingStore } from '@cairn/store'
import { offsetFromPageToken, pageTokenFromOffset } from './paging.js'
import { parseExperimentId } from './validation.js'

export interface MetricHistoryPage {
  metrics: Metric[]
  nextPageToken?: string
}

const MAX_EXPERIMENT_IDS_PER_DATASET_SEARCH = 20

/** Metric histories (paged, streamed, bulk and sampled) and the UI's dataset summaries. */
export class MetricService {
  constructor(private readonly store: TrackingStore) {}

  async getMetricHistory(input: {
    runId: string
    metricKey: string
    maxResults?: number
    pageToken?: string
  }): Promise<MetricHistoryPage> {
    const page = await this.store.getMetricHistory({
      runId: input.runId,
      metricKey: input.metricKey,
      maxResults: input.maxResults,
      offset: offsetFromPageToken(input.pageToken),
    })
    return { metrics: page.items, nextPageToken: pageTokenFromOffset(page.nextOffset) }
  }

  /** Every point of a metric in chunks, for answers too large to build in memory. */
  streamMetricHistory(runId: string, metricKey: string): AsyncIterable<Metric[]> {
    return this.store.streamMetricHistory(runId, metricKey)
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
    if (input.runIds.length === 0) return []
    return this.store.getMetricHistoryBulkInterval({
      runIds: input.runIds,
      metricKey: input.metricKey,
      startStep,
      endStep,
      maxResults: input.maxResults ?? GET_HISTORY_BULK_INTERVAL_MAX_RESULTS,
    })
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
