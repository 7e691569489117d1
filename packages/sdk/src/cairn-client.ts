import type {
  CreateExperimentRequest as CreateExperimentBody,
  CreateRunRequest as CreateRunBody,
  DatasetInput,
  DatasetSummary,
  DatasetSummaryJson,
  Experiment,
  Int64Value,
  LogInputsRequest as LogInputsBody,
  LogModelRequest as LogModelBody,
  LogOutputsRequest as LogOutputsBody,
  Metric,
  ModelInput,
  ModelOutput,
  Param,
  Run,
  RunInfo,
  RunStatus,
  SearchExperimentsRequest as SearchExperimentsBody,
  SearchRunsRequest as SearchRunsBody,
  Tag,
  UpdateRunRequest as UpdateRunBody,
  ViewType,
} from '@cairn/core'
import { RunArtifacts } from './artifacts.js'
import { defaultTrackingUri, readFirstEnv } from './environment.js'
import { HttpClient, type HttpRequest, type RetryOptions } from './http-client.js'
import { PagedIterable } from './paged-iterable.js'
import { ModelRegistryClient } from './registry.js'
import {
  fromDatasetInput,
  fromMetric,
  fromModelInput,
  fromModelOutput,
  fromTag,
  toDatasetSummary,
  toExperiment,
  toMetric,
  toRun,
  toRunInfo,
  type WireExperiment,
  type WireMetric,
  type WireRun,
  type WireRunInfo,
} from './wire-convert.js'

/** Tags given either as a list or as a plain object of key → value. */
export type TagsInput = Tag[] | Record<string, string>

/** Options of a `CairnClient`. Every field has a default read from the environment (in Node). */
export interface CairnClientOptions {
  /** Base URL of the tracking server. Default `CAIRN_TRACKING_URI` ?? `MLFLOW_TRACKING_URI` ?? `http://127.0.0.1:5000`. */
  trackingUri?: string
  /** Bearer token. Default `CAIRN_TRACKING_TOKEN` ?? `MLFLOW_TRACKING_TOKEN`. */
  token?: string
  /** Basic-auth user. Default `MLFLOW_TRACKING_USERNAME`. */
  username?: string
  /** Basic-auth password. Default `MLFLOW_TRACKING_PASSWORD`. */
  password?: string
  /** Extra headers sent with every request. */
  headers?: Record<string, string>
  /** Time limit of one attempt in milliseconds (default 120 s). */
  timeoutMs?: number
  /** Retry policy for 429, 5xx (not 501) and network errors. */
  retries?: RetryOptions
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch
}

/** `experiments/create`. */
export interface CreateExperimentRequest {
  /** Experiment name, unique among experiments (deleted ones included). */
  name: string
  /** Where the experiment's run artifacts go; the server's default artifact root when absent. */
  artifactLocation?: string
  /** Tags to set, as a list or a key → value object. */
  tags?: TagsInput
}

/** `experiments/search`. */
export interface SearchExperimentsRequest {
  /** e.g. `name LIKE 'fraud-%' AND tags.team = 'risk'`. */
  filter?: string
  /** Page size (default 1000, at most 50000). */
  maxResults?: number
  /** e.g. `['name ASC', 'creation_time DESC']`. */
  orderBy?: string[]
  /** Default `ACTIVE_ONLY`. */
  viewType?: ViewType
  /** Token of the page to fetch, from a previous answer. */
  pageToken?: string
}

/** An answer of `experiments/search`. */
export interface SearchExperimentsResponse {
  /** The experiments of this page. */
  experiments: Experiment[]
  /** Token of the next page; absent on the last page. */
  nextPageToken?: string
}

/** `experiments/update` (a rename). */
export interface UpdateExperimentRequest {
  /** Id of the experiment. */
  experimentId: string
  /** The new name. */
  newName: string
}

/** `experiments/set-experiment-tag`. */
export interface SetExperimentTagRequest {
  /** Id of the experiment. */
  experimentId: string
  /** The key. */
  key: string
  /** The value. */
  value: string
}

/** `experiments/delete-experiment-tag`. */
export interface DeleteExperimentTagRequest {
  /** Id of the experiment. */
  experimentId: string
  /** The key. */
  key: string
}

/** `runs/create`. */
export interface CreateRunRequest {
  /** Default experiment `0` when absent. */
  experimentId?: string
  /** Default: the `mlflow.user` tag, as MLflow's client does. */
  userId?: string
  /** A generated name when absent. */
  runName?: string
  /** Milliseconds since the epoch; default now. */
  startTime?: number
  /** Tags to set, as a list or a key → value object. */
  tags?: TagsInput
}

/** `runs/update`: only the given fields change. */
export interface UpdateRunRequest {
  /** Id of the run. */
  runId: string
  /** New status, e.g. `FINISHED`. */
  status?: RunStatus
  /** End time in milliseconds since the epoch. */
  endTime?: number
  /** New run name (kept in sync with the `mlflow.runName` tag). */
  runName?: string
}

/** `runs/search`. */
export interface SearchRunsRequest {
  /** Experiments to search in. */
  experimentIds: string[]
  /** e.g. `metrics.rmse < 1 AND params.model = 'tree'`. */
  filter?: string
  /** Default `ACTIVE_ONLY`. */
  runViewType?: ViewType
  /** Page size (default 1000, at most 50000). */
  maxResults?: number
  /** e.g. `['metrics.rmse ASC', 'start_time DESC']`. */
  orderBy?: string[]
  /** Token of the page to fetch, from a previous answer. */
  pageToken?: string
}

/** An answer of `runs/search`. */
export interface SearchRunsResponse {
  /** The runs of this page. */
  runs: Run[]
  /** Token of the next page; absent on the last page. */
  nextPageToken?: string
}

/** A metric point to log; `timestamp` defaults to now and `step` to 0. */
export interface MetricInput {
  /** The key. */
  key: string
  /** Any number, NaN and ±Infinity included (the server clamps infinities). */
  value: number
  /** Milliseconds since the epoch; default now. An int64: a `bigint` beyond ±2^53 is sent exactly. */
  timestamp?: Int64Value
  /** Training step; default 0. An int64: a `bigint` beyond ±2^53 is sent exactly. */
  step?: Int64Value
  /** Dataset the metric was computed on. */
  datasetName?: string
  /** Digest of that dataset. */
  datasetDigest?: string
  /** Logged model the metric belongs to. */
  modelId?: string
}

/** `runs/log-metric`. */
export interface LogMetricRequest extends MetricInput {
  /** Id of the run. */
  runId: string
}

/** `runs/log-parameter` and `runs/set-tag`. */
export interface RunKeyValueRequest {
  /** Id of the run. */
  runId: string
  /** The key. */
  key: string
  /** The value. */
  value: string
}

/** `runs/delete-tag`. */
export interface DeleteTagRequest {
  /** Id of the run. */
  runId: string
  /** The key. */
  key: string
}

/** `runs/log-batch`: at most 1000 metrics, 100 params, 100 tags (1000 entities, 1 MB) per call. */
export interface LogBatchRequest {
  /** Id of the run. */
  runId: string
  /** Metric points (timestamp defaults to now, step to 0). */
  metrics?: MetricInput[]
  /** Params (write-once; another value for a logged key is refused). */
  params?: Param[]
  /** Tags to set (upserts). */
  tags?: Tag[]
}

/** `runs/log-inputs`. */
export interface LogInputsRequest {
  /** Id of the run. */
  runId: string
  /** Datasets used, with input tags such as `mlflow.data.context`. */
  datasets?: DatasetInput[]
  /** Logged models the run used. */
  models?: ModelInput[]
}

/** `runs/outputs`. */
export interface LogOutputsRequest {
  /** Id of the run. */
  runId: string
  /** Logged models the run produced, with the step they were produced at. */
  models: ModelOutput[]
}

/** `runs/log-model`. */
export interface LogModelRequest {
  /** Id of the run. */
  runId: string
  /** The MLmodel document, as a JSON string or an object to serialise. */
  modelJson: string | Record<string, unknown>
}

/** `metrics/get-history`. */
export interface GetMetricHistoryRequest {
  /** Id of the run. */
  runId: string
  /** Key of the metric. */
  metricKey: string
  /** Page size; every point when absent. */
  maxResults?: number
  /** Token of the page to fetch, from a previous answer. */
  pageToken?: string
}

/** An answer of `metrics/get-history`. */
export interface GetMetricHistoryResponse {
  /** Metric points (timestamp defaults to now, step to 0). */
  metrics: Metric[]
  /** Token of the next page; absent on the last page. */
  nextPageToken?: string
}

/** `metrics/get-history-bulk-interval`: sampled points of several runs. */
export interface GetMetricHistoryBulkIntervalRequest {
  /** 1 to 100 runs. */
  runIds: string[]
  /** Key of the metric. */
  metricKey: string
  /** Give both or neither. */
  startStep?: number
  endStep?: number
  /** 1..2500, default 2500. */
  maxResults?: number
}

/** `metrics/get-history-bulk` (UI route under `/ajax-api`). */
export interface GetMetricHistoryBulkRequest {
  /** 1 to 100 runs. */
  runIds: string[]
  /** Key of the metric. */
  metricKey: string
  /** At most 25000 (the default). */
  maxResults?: number
}

/** `cairn/metrics/get-history-buckets`: chart downsampling of a metric across runs. */
export interface GetMetricHistoryBucketsRequest {
  /** 1 to 100 runs. */
  runIds: string[]
  /** Key of the metric. */
  metricKey: string
  /** Visible step range; give both or neither (default: every logged step). */
  minStep?: number
  maxStep?: number
  /** Number of equal step slices, 1..5000 (default 1000). */
  buckets?: number
}

/** One slice of steps of one run: its point count, min, max, first and last point (NaN points left out). */
export interface MetricBucket {
  runId: string
  bucket: number
  count: number
  min: number
  max: number
  firstStep: Int64Value
  firstValue: number
  firstTimestamp: Int64Value
  lastStep: Int64Value
  lastValue: number
  lastTimestamp: Int64Value
}

/** `experiments/search-datasets` (UI route under `/ajax-api`). */
export interface SearchDatasetsRequest {
  /** 1 to 20 experiments. */
  experimentIds: string[]
}

const API = '/api/2.0/mlflow'
const AJAX_API = '/ajax-api/2.0/mlflow'
const HISTORY_PAGE_SIZE = 25_000

/** Turns tags given as a list or an object into a list. */
export function toTagList(tags: TagsInput | undefined): Tag[] {
  if (!tags) return []
  if (Array.isArray(tags)) return tags.map((tag) => ({ key: tag.key, value: tag.value }))
  return Object.entries(tags).map(([key, value]) => ({ key, value }))
}

/**
 * Typed client of the MLflow tracking REST API, as served by Cairn or MLflow. Every method is
 * one endpoint; objects are camelCase in and out, errors are `MlflowError`s with the server's
 * `error_code`, and 429/5xx/network failures are retried with backoff.
 *
 * @example
 * const client = new CairnClient({ trackingUri: 'http://127.0.0.1:5000' })
 * const experimentId = await client.createExperiment({ name: 'fraud' })
 * const run = await client.createRun({ experimentId, runName: 'baseline' })
 * await client.logBatch({ runId: run.info.runId, metrics: [{ key: 'auc', value: 0.91, step: 1 }] })
 * await client.updateRun({ runId: run.info.runId, status: 'FINISHED', endTime: Date.now() })
 */
export class CairnClient {
  /** The tracking server's base URL. */
  readonly trackingUri: string
  /** The connection (authentication, retries, timeouts) every call goes through; for calls no method covers. */
  readonly http: HttpClient

  constructor(options: CairnClientOptions = {}) {
    this.trackingUri = options.trackingUri ?? defaultTrackingUri()
    this.http = new HttpClient({
      trackingUri: this.trackingUri,
      token: options.token ?? readFirstEnv('CAIRN_TRACKING_TOKEN', 'MLFLOW_TRACKING_TOKEN'),
      username: options.username ?? readFirstEnv('MLFLOW_TRACKING_USERNAME'),
      password: options.password ?? readFirstEnv('MLFLOW_TRACKING_PASSWORD'),
      headers: options.headers,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      fetch: options.fetch,
    })
  }

  #artifacts: RunArtifacts | undefined

  /** Run artifacts through the server's artifact proxy: list, upload, download, `logText`/`logDict`/`logImage`. */
  get artifacts(): RunArtifacts {
    this.#artifacts ??= new RunArtifacts(
      this.http,
      async (runId) => (await this.getRun(runId)).info.artifactUri,
    )
    return this.#artifacts
  }

  #registry: ModelRegistryClient | undefined

  /** The model registry, logged models and webhooks: registered models, versions, aliases, stages, `models:/` URIs. */
  get registry(): ModelRegistryClient {
    this.#registry ??= new ModelRegistryClient(this.http)
    return this.#registry
  }

  private call<T>(request: HttpRequest): Promise<T> {
    return this.http.request<T>(request)
  }

  // Experiments

  /** Creates an experiment and answers its id. Duplicate names fail with `RESOURCE_ALREADY_EXISTS`. */
  async createExperiment(request: CreateExperimentRequest): Promise<string> {
    const body = await this.call<{ experiment_id: string }>({
      method: 'POST',
      path: `${API}/experiments/create`,
      body: {
        name: request.name,
        artifact_location: request.artifactLocation,
        tags: toTagList(request.tags).map(fromTag),
      } satisfies CreateExperimentBody,
    })
    return String(body.experiment_id)
  }

  /** The experiment with this id, deleted ones included; `RESOURCE_DOES_NOT_EXIST` otherwise. */
  async getExperiment(experimentId: string): Promise<Experiment> {
    const body = await this.call<{ experiment: WireExperiment }>({
      method: 'GET',
      path: `${API}/experiments/get`,
      query: { experiment_id: experimentId },
    })
    return toExperiment(body.experiment)
  }

  /** The experiment with this name; `RESOURCE_DOES_NOT_EXIST` when there is none. */
  async getExperimentByName(experimentName: string): Promise<Experiment> {
    const body = await this.call<{ experiment: WireExperiment }>({
      method: 'GET',
      path: `${API}/experiments/get-by-name`,
      query: { experiment_name: experimentName },
    })
    return toExperiment(body.experiment)
  }

  /** Like `getExperimentByName`, but answers `undefined` when there is no such experiment. */
  async findExperimentByName(experimentName: string): Promise<Experiment | undefined> {
    try {
      return await this.getExperimentByName(experimentName)
    } catch (error) {
      if ((error as { code?: unknown }).code === 'RESOURCE_DOES_NOT_EXIST') return undefined
      throw error
    }
  }

  /** One page of experiments. */
  async searchExperiments(request: SearchExperimentsRequest = {}): Promise<SearchExperimentsResponse> {
    const body = await this.call<{ experiments?: WireExperiment[]; next_page_token?: string }>({
      method: 'POST',
      path: `${API}/experiments/search`,
      body: {
        filter: request.filter,
        max_results: request.maxResults ?? 1000,
        order_by: request.orderBy,
        view_type: request.viewType,
        page_token: request.pageToken,
      } satisfies SearchExperimentsBody,
    })
    return withToken({ experiments: (body.experiments ?? []).map(toExperiment) }, body.next_page_token)
  }

  /** Every matching experiment, fetched page by page as the iteration goes. */
  searchExperimentsAll(request: Omit<SearchExperimentsRequest, 'pageToken'> = {}): PagedIterable<Experiment> {
    return new PagedIterable(async (pageToken) => {
      const page = await this.searchExperiments({ ...request, pageToken })
      return { items: page.experiments, nextPageToken: page.nextPageToken }
    })
  }

  /** Moves an experiment and its runs to the `deleted` stage. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/experiments/delete`,
      body: { experiment_id: experimentId },
    })
  }

  /** Brings a deleted experiment and its runs back. */
  async restoreExperiment(experimentId: string): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/experiments/restore`,
      body: { experiment_id: experimentId },
    })
  }

  /** Renames an experiment. */
  async updateExperiment(request: UpdateExperimentRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/experiments/update`,
      body: { experiment_id: request.experimentId, new_name: request.newName },
    })
  }

  /** Sets (upserts) a tag on an experiment. */
  async setExperimentTag(request: SetExperimentTagRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/experiments/set-experiment-tag`,
      body: { experiment_id: request.experimentId, key: request.key, value: request.value },
    })
  }

  /** Deletes a tag of an experiment; `RESOURCE_DOES_NOT_EXIST` if it is not set. */
  async deleteExperimentTag(request: DeleteExperimentTagRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/experiments/delete-experiment-tag`,
      body: { experiment_id: request.experimentId, key: request.key },
    })
  }

  // Runs

  /** Creates a run in the RUNNING state. */
  async createRun(request: CreateRunRequest = {}): Promise<Run> {
    const tags = toTagList(request.tags)
    const body = await this.call<{ run: WireRun }>({
      method: 'POST',
      path: `${API}/runs/create`,
      body: {
        experiment_id: request.experimentId,
        user_id: request.userId ?? tags.find((tag) => tag.key === 'mlflow.user')?.value,
        run_name: request.runName,
        start_time: request.startTime ?? Date.now(),
        tags: tags.map(fromTag),
      } satisfies CreateRunBody,
    })
    return toRun(body.run)
  }

  /** The run with this id (deleted runs included) with its latest metrics, params, tags and inputs. */
  async getRun(runId: string): Promise<Run> {
    const body = await this.call<{ run: WireRun }>({
      method: 'GET',
      path: `${API}/runs/get`,
      query: { run_id: runId },
    })
    return toRun(body.run)
  }

  /** Changes a run's status, end time or name, and answers the updated info. */
  async updateRun(request: UpdateRunRequest): Promise<RunInfo> {
    const body = await this.call<{ run_info: WireRunInfo }>({
      method: 'POST',
      path: `${API}/runs/update`,
      body: {
        run_id: request.runId,
        status: request.status,
        end_time: request.endTime,
        run_name: request.runName,
      } satisfies UpdateRunBody,
    })
    return toRunInfo(body.run_info)
  }

  /** Moves a run to the `deleted` stage. */
  async deleteRun(runId: string): Promise<void> {
    await this.call({ method: 'POST', path: `${API}/runs/delete`, body: { run_id: runId } })
  }

  /** Brings a deleted run back. */
  async restoreRun(runId: string): Promise<void> {
    await this.call({ method: 'POST', path: `${API}/runs/restore`, body: { run_id: runId } })
  }

  /** One page of runs. */
  async searchRuns(request: SearchRunsRequest): Promise<SearchRunsResponse> {
    const body = await this.call<{ runs?: WireRun[]; next_page_token?: string }>({
      method: 'POST',
      path: `${API}/runs/search`,
      body: {
        experiment_ids: request.experimentIds,
        filter: request.filter,
        run_view_type: request.runViewType,
        max_results: request.maxResults,
        order_by: request.orderBy,
        page_token: request.pageToken,
      } satisfies SearchRunsBody,
    })
    return withToken({ runs: (body.runs ?? []).map(toRun) }, body.next_page_token)
  }

  /** Every matching run, fetched page by page as the iteration goes. */
  searchRunsAll(request: Omit<SearchRunsRequest, 'pageToken'>): PagedIterable<Run> {
    return new PagedIterable(async (pageToken) => {
      const page = await this.searchRuns({ ...request, pageToken })
      return { items: page.runs, nextPageToken: page.nextPageToken }
    })
  }

  /** Logs one metric point. */
  async logMetric(request: LogMetricRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/runs/log-metric`,
      body: { run_id: request.runId, ...fromMetric(completeMetric(request)) },
    })
  }

  /** Logs a parameter. Params are write-once: another value fails with `INVALID_PARAMETER_VALUE`. */
  async logParam(request: RunKeyValueRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/runs/log-parameter`,
      body: { run_id: request.runId, key: request.key, value: request.value },
    })
  }

  /** Sets (upserts) a tag on a run. */
  async setTag(request: RunKeyValueRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/runs/set-tag`,
      body: { run_id: request.runId, key: request.key, value: request.value },
    })
  }

  /** Deletes a tag of a run; `RESOURCE_DOES_NOT_EXIST` if it is not set. */
  async deleteTag(request: DeleteTagRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/runs/delete-tag`,
      body: { run_id: request.runId, key: request.key },
    })
  }

  /**
   * Logs metrics, params and tags in one atomic call. The server's limits apply (1000 metrics,
   * 100 params, 100 tags, 1 MB); the fluent layer's queue splits larger amounts for you.
   */
  async logBatch(request: LogBatchRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/runs/log-batch`,
      body: {
        run_id: request.runId,
        metrics: (request.metrics ?? []).map((metric) => fromMetric(completeMetric(metric))),
        params: (request.params ?? []).map(fromTag),
        tags: (request.tags ?? []).map(fromTag),
      },
    })
  }

  /** Records datasets and models a run used as inputs. */
  async logInputs(request: LogInputsRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/runs/log-inputs`,
      body: {
        run_id: request.runId,
        datasets: (request.datasets ?? []).map(fromDatasetInput),
        models: (request.models ?? []).map(fromModelInput),
      } satisfies LogInputsBody,
    })
  }

  /** Records models a run produced. */
  async logOutputs(request: LogOutputsRequest): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${API}/runs/outputs`,
      body: { run_id: request.runId, models: request.models.map(fromModelOutput) } satisfies LogOutputsBody,
    })
  }

  /** Appends an MLmodel description to the run's `mlflow.log-model.history` tag. */
  async logModel(request: LogModelRequest): Promise<void> {
    const modelJson =
      typeof request.modelJson === 'string' ? request.modelJson : JSON.stringify(request.modelJson)
    await this.call({
      method: 'POST',
      path: `${API}/runs/log-model`,
      body: { run_id: request.runId, model_json: modelJson } satisfies LogModelBody,
    })
  }

  // Metrics

  /** One page of a metric's points, in (timestamp, step, value) order. Unknown keys answer no points. */
  async getMetricHistory(request: GetMetricHistoryRequest): Promise<GetMetricHistoryResponse> {
    const body = await this.call<{ metrics?: WireMetric[]; next_page_token?: string }>({
      method: 'GET',
      path: `${API}/metrics/get-history`,
      query: {
        run_id: request.runId,
        metric_key: request.metricKey,
        max_results: request.maxResults,
        page_token: request.pageToken,
      },
    })
    return withToken({ metrics: (body.metrics ?? []).map(toMetric) }, body.next_page_token)
  }

  /**
   * Every point of a metric, fetched in pages of `pageSize` (default 25000).
   *
   * @example
   * const points = await client.getMetricHistoryAll({ runId, metricKey: 'loss' }).toArray()
   */
  getMetricHistoryAll(request: {
    runId: string
    metricKey: string
    pageSize?: number
  }): PagedIterable<Metric> {
    return new PagedIterable(async (pageToken) => {
      const page = await this.getMetricHistory({
        runId: request.runId,
        metricKey: request.metricKey,
        maxResults: request.pageSize ?? HISTORY_PAGE_SIZE,
        pageToken,
      })
      return { items: page.metrics, nextPageToken: page.nextPageToken }
    })
  }

  /** Points of a metric across runs at evenly sampled steps; each point carries its `runId`. */
  async getMetricHistoryBulkInterval(request: GetMetricHistoryBulkIntervalRequest): Promise<Metric[]> {
    const body = await this.call<{ metrics?: WireMetric[] }>({
      method: 'GET',
      path: `${API}/metrics/get-history-bulk-interval`,
      query: {
        run_ids: request.runIds,
        metric_key: request.metricKey,
        start_step: request.startStep,
        end_step: request.endStep,
        max_results: request.maxResults,
      },
    })
    return (body.metrics ?? []).map(toMetric)
  }

  /** Every point of a metric across runs (UI route), sorted by run, then (timestamp, step, value). */
  async getMetricHistoryBulk(request: GetMetricHistoryBulkRequest): Promise<Metric[]> {
    const body = await this.call<{ metrics?: WireMetric[] }>({
      method: 'GET',
      path: `${AJAX_API}/metrics/get-history-bulk`,
      query: { run_id: request.runIds, metric_key: request.metricKey, max_results: request.maxResults },
    })
    return (body.metrics ?? []).map(toMetric)
  }

  /**
   * Min/max/first/last of a metric per equal step slice, for charts: every spike of a long series stays
   * visible. A Cairn endpoint (MLflow servers answer ENDPOINT_NOT_FOUND).
   */
  async getMetricHistoryBuckets(request: GetMetricHistoryBucketsRequest): Promise<MetricBucket[]> {
    const body = await this.call<{ buckets?: WireMetricBucket[] }>({
      method: 'GET',
      path: '/ajax-api/2.0/cairn/metrics/get-history-buckets',
      query: {
        run_id: request.runIds,
        metric_key: request.metricKey,
        min_step: request.minStep,
        max_step: request.maxStep,
        buckets: request.buckets,
      },
    })
    return (body.buckets ?? []).map((bucket) => ({
      runId: bucket.run_id,
      bucket: bucket.bucket,
      count: bucket.count,
      min: Number(bucket.min),
      max: Number(bucket.max),
      firstStep: bucket.first_step,
      firstValue: Number(bucket.first_value),
      firstTimestamp: bucket.first_timestamp,
      lastStep: bucket.last_step,
      lastValue: Number(bucket.last_value),
      lastTimestamp: bucket.last_timestamp,
    }))
  }

  /** The datasets logged to runs of these experiments (UI route). */
  async searchDatasets(request: SearchDatasetsRequest): Promise<DatasetSummary[]> {
    const body = await this.call<{ dataset_summaries?: DatasetSummaryJson[] }>({
      method: 'POST',
      path: `${AJAX_API}/experiments/search-datasets`,
      body: { experiment_ids: request.experimentIds },
    })
    return (body.dataset_summaries ?? []).map(toDatasetSummary)
  }
}

interface WireMetricBucket {
  run_id: string
  bucket: number
  count: number
  min: number | string
  max: number | string
  first_step: Int64Value
  first_value: number | string
  first_timestamp: Int64Value
  last_step: Int64Value
  last_value: number | string
  last_timestamp: Int64Value
}

/** The MLflow name of `CairnClient`, for code ported from MLflow's clients. */
export const MlflowClient = CairnClient
/** The MLflow name of `CairnClient`, for code ported from MLflow's clients. */
export type MlflowClient = CairnClient

/** Fills in a metric point's defaults (timestamp now, step 0). */
export function completeMetric(metric: MetricInput): Metric {
  const complete: Metric = {
    key: metric.key,
    value: metric.value,
    timestamp: metric.timestamp ?? Date.now(),
    step: metric.step ?? 0,
  }
  if (metric.datasetName !== undefined) complete.datasetName = metric.datasetName
  if (metric.datasetDigest !== undefined) complete.datasetDigest = metric.datasetDigest
  if (metric.modelId !== undefined) complete.modelId = metric.modelId
  return complete
}

function withToken<T extends object>(result: T, token: string | undefined): T & { nextPageToken?: string } {
  return token ? { ...result, nextPageToken: token } : result
}
