import type {
  DatasetInput,
  DatasetSummary,
  Experiment,
  FilterExpression,
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

export interface MetricHistoryInput {
  runId: string
  metricKey: string
  maxResults?: number
  offset: number
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

/**
 * The tracking store: SQL only. Business rules (validation, defaults, truncation) live in the
 * server's services; the store guarantees atomicity and turns driver errors into `MlflowError`.
 * `getX` throws RESOURCE_DOES_NOT_EXIST, `findX` returns undefined.
 */
export interface TrackingStore {
  readonly dialect: 'sqlite' | 'postgres'
  /** Artifact root used for experiments created without a location. */
  readonly defaultArtifactRoot: string

  createExperiment(input: CreateExperimentInput): Promise<string>
  getExperiment(experimentId: string): Promise<Experiment>
  findExperimentByName(name: string): Promise<Experiment | undefined>
  searchExperiments(input: SearchExperimentsInput): Promise<Page<Experiment>>
  deleteExperiment(experimentId: string): Promise<void>
  restoreExperiment(experimentId: string): Promise<void>
  renameExperiment(experimentId: string, newName: string): Promise<void>
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>
  deleteExperimentTag(experimentId: string, key: string): Promise<void>

  createRun(input: CreateRunInput): Promise<Run>
  getRun(runId: string): Promise<Run>
  getRunInfo(runId: string): Promise<RunInfo>
  updateRun(input: UpdateRunInput): Promise<RunInfo>
  deleteRun(runId: string): Promise<void>
  restoreRun(runId: string): Promise<void>
  /** Writes metrics, params and tags in one transaction. Params already set to another value → INVALID_PARAMETER_VALUE, nothing written. */
  logBatch(input: LogBatchInput): Promise<void>
  deleteTag(runId: string, key: string): Promise<void>
  logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[]): Promise<void>
  logOutputs(runId: string, models: ModelOutput[]): Promise<void>
  searchRuns(input: SearchRunsInput): Promise<Page<Run>>

  getMetricHistory(input: MetricHistoryInput): Promise<Page<Metric>>
  /** Every point of a metric, in (timestamp, step, value) order, without materialising them all. */
  streamMetricHistory(runId: string, metricKey: string): AsyncIterable<Metric[]>
  /**
   * The same points already encoded as MLflow's wire JSON by the database (the fast path for large
   * histories): each chunk is comma-separated `{"key","value","timestamp","step"}` objects with NaN as
   * `"NaN"`, so `'{"metrics":[' + chunks.join(',') + ']}'` is a complete get-history answer.
   * Throws RESOURCE_DOES_NOT_EXIST for an unknown run before yielding anything.
   */
  streamMetricHistoryJson(runId: string, metricKey: string): AsyncIterable<string>
  getMetricHistoryBulk(input: MetricHistoryBulkInput): Promise<Metric[]>
  getMetricHistoryBulkInterval(input: MetricHistoryBulkIntervalInput): Promise<Metric[]>
  searchDatasets(experimentIds: string[]): Promise<DatasetSummary[]>

  /** Runs and experiments in the deleted stage, for `cairn gc`. */
  listDeletedRunIds(options?: { olderThan?: number; experimentIds?: string[] }): Promise<string[]>
  listDeletedExperimentIds(): Promise<string[]>
  /** Removes a deleted run and everything attached to it. */
  purgeRun(runId: string): Promise<void>
  /** Removes a deleted experiment (its runs must be purged first). */
  purgeExperiment(experimentId: string): Promise<void>

  close(): Promise<void>
}
