import type {
  DatasetInput,
  DatasetSummary,
  Experiment,
  FilterExpression,
  Int64Value,
  Metric,
  ModelInput,
  ModelOutput,
  OrderBy,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '@cairn/core'

export interface CreateExperimentInput {
  name: string
  /** Final artifact location. When absent the store sets `<defaultArtifactRoot>/<experiment_id>`. */
  artifactLocation?: string
  tags?: Tag[]
}

export interface SearchExperimentsInput {
  viewType: ViewType
  maxResults: number
  filter?: FilterExpression
  orderBy: OrderBy[]
  /** Offset decoded from the page token. */
  offset: number
}

export interface Page<T> {
  items: T[]
  /** Offset of the next page, when one may exist. */
  nextOffset?: number
}

export interface CreateRunInput {
  experimentId: string
  userId: string
  runName: string
  startTime: number
  tags: Tag[]
}

export interface UpdateRunInput {
  runId: string
  status?: RunStatus
  endTime?: number
  runName?: string
}

export interface LogBatchInput {
  runId: string
  metrics: Metric[]
  params: Param[]
  tags: Tag[]
}

export interface SearchRunsInput {
  experimentIds: string[]
  filter?: FilterExpression
  viewType: ViewType
  maxResults: number
  orderBy: OrderBy[]
  offset: number
}

/**
 * A position in a metric history (after the point it names), for keyset paging: put it into the page
 * token next to the offset and pass it back as `after`. Opaque to callers; serialisable with
 * `stringifyExactJson` (and read back with `parseExactJson`).
 */
export type MetricHistoryCursor = readonly [
  timestamp: Int64Value,
  step: Int64Value,
  storedValue: number,
  isNan: 0 | 1,
]

export interface MetricHistoryInput {
  runId: string
  metricKey: string
  maxResults?: number
  offset: number
  /**
   * Continue after this point instead of skipping `offset` points: same page, but the cost no longer
   * grows with the depth of the page (MLflow's client pages 1M-point histories 25,000 at a time).
   */
  after?: MetricHistoryCursor
}

export interface MetricHistoryPage extends Page<Metric> {
  /** Where the next page starts (with `nextOffset`), when one exists. */
  nextCursor?: MetricHistoryCursor
}

/** A page of a metric history as wire JSON (`getMetricHistoryJson`). */
export interface MetricHistoryJsonPage {
  /** The page's points as comma-separated metric objects, as in `streamMetricHistoryJson`; '' for none. */
  json: string
  count: number
  /** Where the next page starts, when one exists (both or neither). */
  nextOffset?: number
  nextCursor?: MetricHistoryCursor
}

export interface MetricHistoryBulkIntervalInput {
  runIds: string[]
  metricKey: string
  startStep?: number
  endStep?: number
  maxResults: number
}

export interface MetricHistoryBulkInput {
  runIds: string[]
  metricKey: string
  maxResults: number
}

/** Downsampled series for charts: per bucket of steps, the first, min, max and last point. */
export interface MetricBucketsInput {
  runIds: string[]
  metricKey: string
  startStep?: number
  endStep?: number
  buckets: number
}

/** One bucket of `getMetricHistoryBuckets`: the non-NaN points of one run whose steps fall in one slice. */
export interface MetricBucket {
  runId: string
  /** Index of the slice, 0 ≤ bucket < buckets. */
  bucket: number
  /** Points in the slice. */
  count: number
  min: number
  max: number
  /** Smallest step of the slice and the value of its earliest point there. */
  firstStep: Int64Value
  firstValue: number
  firstTimestamp: Int64Value
  /** Greatest step of the slice and the value of its latest point there. */
  lastStep: Int64Value
  lastValue: number
  lastTimestamp: Int64Value
}

/**
 * The tracking store: SQL only. Business rules (validation, defaults, truncation, "must be active"
 * checks) live in the server's services; the store guarantees atomicity and turns driver errors into
 * `MlflowError`. `getX` throws RESOURCE_DOES_NOT_EXIST, `findX` returns undefined. Unknown runs fail
 * with MLflow's `Run with id=<id> not found`, unknown experiments with `No Experiment with id=<id> exists`
 * (ids that are not integers simply do not exist). Nothing is cached in-process: several processes may
 * share one PostgreSQL database.
 */
export interface TrackingStore {
  readonly dialect: 'sqlite' | 'postgres'
  /** Artifact root used for experiments created without a location. */
  readonly defaultArtifactRoot: string

  /** Returns the new auto-increment id; a taken name is RESOURCE_ALREADY_EXISTS. */
  createExperiment(input: CreateExperimentInput): Promise<string>
  getExperiment(experimentId: string): Promise<Experiment>
  findExperimentByName(name: string): Promise<Experiment | undefined>
  searchExperiments(input: SearchExperimentsInput): Promise<Page<Experiment>>
  /** Marks the experiment and all its runs deleted; an experiment that is not active does not exist here. */
  deleteExperiment(experimentId: string): Promise<void>
  /** Marks the experiment and all its runs active again; only deleted experiments can be restored. */
  restoreExperiment(experimentId: string): Promise<void>
  /** INVALID_STATE for a deleted experiment, RESOURCE_ALREADY_EXISTS for a taken name. */
  renameExperiment(experimentId: string, newName: string): Promise<void>
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>
  /** RESOURCE_DOES_NOT_EXIST when the tag is not set. */
  deleteExperimentTag(experimentId: string, key: string): Promise<void>

  /** A RUNNING run with a uuid4-hex id, `<experiment location>/<run id>/artifacts`, and the `mlflow.runName` tag set to `runName`. */
  createRun(input: CreateRunInput): Promise<Run>
  getRun(runId: string): Promise<Run>
  getRunInfo(runId: string): Promise<RunInfo>
  /** Changes only the given fields; a new run name also sets the `mlflow.runName` tag. */
  updateRun(input: UpdateRunInput): Promise<RunInfo>
  deleteRun(runId: string): Promise<void>
  restoreRun(runId: string): Promise<void>
  /**
   * Writes metrics, params and tags in one transaction, all or nothing. Params are write-once: the same
   * value again is a no-op, another value fails the batch with INVALID_PARAMETER_VALUE (MLflow's
   * "Changing param values is not allowed. Params were already logged='[…]' for run ID='…'." message).
   * Tags are upserts (last duplicate wins; `mlflow.runName` also renames the run). Metric points are
   * keyed by (key, timestamp, step, value): identical points are ignored; NaN is kept, ±inf clamped to
   * ±Number.MAX_VALUE; the latest value per key (greatest (step, timestamp, value)) is updated in the
   * same transaction.
   */
  logBatch(input: LogBatchInput): Promise<void>
  /** RESOURCE_DOES_NOT_EXIST when the tag is not set. */
  deleteTag(runId: string, key: string): Promise<void>
  /**
   * Links datasets (shared per experiment by name and digest; the first input with a given name and
   * digest wins) and logged models used by the run. A dataset already linked keeps its input tags.
   */
  logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[]): Promise<void>
  /** Records logged models produced by the run; a model already recorded keeps its first step. */
  logOutputs(runId: string, models: ModelOutput[]): Promise<void>
  /**
   * One page of runs of the given experiments (ids that are not integers are ignored), with their
   * params, latest metrics, tags, inputs and outputs. `nextOffset` is set whenever the page is full.
   * Runs lacking a compared metric/param/tag never match (not even `!=`); NaN metrics only match `!=`.
   * Order: the `orderBy` items with missing values last (metrics: NaN after numbers, then missing),
   * then `start_time DESC` (unless ordered by it), then run id.
   */
  searchRuns(input: SearchRunsInput): Promise<Page<Run>>

  /** Points in (timestamp, step, value) order; `nextOffset` only when more points exist. */
  getMetricHistory(input: MetricHistoryInput): Promise<MetricHistoryPage>
  /**
   * The same page as `getMetricHistory` (a page size is required), rendered as wire JSON by the database:
   * no point becomes an object, so a 25,000-point page costs about as much as a chunk of
   * `streamMetricHistoryJson`. Throws RESOURCE_DOES_NOT_EXIST for an unknown run.
   */
  getMetricHistoryJson(input: MetricHistoryInput & { maxResults: number }): Promise<MetricHistoryJsonPage>
  /** Every point of a metric, in (timestamp, step, value) order, without materialising them all. */
  streamMetricHistory(runId: string, metricKey: string): AsyncIterable<Metric[]>
  /**
   * The same points already encoded as MLflow's wire JSON by the database (the fast path for large
   * histories): each chunk is comma-separated `{"key","value","timestamp","step"}` objects with NaN as
   * `"NaN"`, so `'{"metrics":[' + chunks.join(',') + ']}'` is a complete get-history answer.
   * Throws RESOURCE_DOES_NOT_EXIST for an unknown run before yielding anything.
   */
  streamMetricHistoryJson(runId: string, metricKey: string): AsyncIterable<string>
  /** Points of several runs (unknown runs are skipped), by run id then (timestamp, step, value), at most `maxResults`. */
  getMetricHistoryBulk(input: MetricHistoryBulkInput): Promise<Metric[]>
  /**
   * MLflow's step sampling across runs: up to `maxResults` steps evenly spread over the union of the
   * runs' steps in [startStep, endStep] (default 0 to the last step) plus each run's first and last step,
   * then every point at those steps, run by run in the given order, by (step, timestamp, value), at most
   * 25,000 per run. An unknown run is RESOURCE_DOES_NOT_EXIST.
   */
  getMetricHistoryBulkInterval(input: MetricHistoryBulkIntervalInput): Promise<Metric[]>
  /** Min/max/first/last per equal slice of the step range; RESOURCE_DOES_NOT_EXIST for an unknown run. */
  getMetricHistoryBuckets(input: MetricBucketsInput): Promise<MetricBucket[]>
  /** Distinct (experiment, dataset name, digest, `mlflow.data.context`) of the experiments, at most 1000. */
  searchDatasets(experimentIds: string[]): Promise<DatasetSummary[]>

  /**
   * Runs and experiments in the deleted stage, for `cairn gc`: `olderThan` (ms) keeps runs deleted at
   * least that long ago, `experimentIds` restricts to those experiments.
   */
  listDeletedRunIds(options?: { olderThan?: number; experimentIds?: string[] }): Promise<string[]>
  listDeletedExperimentIds(): Promise<string[]>
  /** Removes a run and everything attached to it (the caller checks that it is deleted). */
  purgeRun(runId: string): Promise<void>
  /**
   * Removes a deleted experiment with its tags, datasets and any runs left (purge them first to delete
   * their artifacts); an experiment that is not deleted is RESOURCE_DOES_NOT_EXIST, as in MLflow.
   */
  purgeExperiment(experimentId: string): Promise<void>

  close(): Promise<void>
}
