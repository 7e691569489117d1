import type { Int64Value } from './int64.js'

/** Lifecycle of experiments and runs. */
export type LifecycleStage = 'active' | 'deleted'

/** Run status, as MLflow's `RunStatus` enum. */
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]
/** Proto numbers of `RunStatus`, accepted in requests. */
export const RUN_STATUS_NUMBERS: Record<number, RunStatus> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
}

/** Which lifecycle stages a search returns. */
export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const
export type ViewType = (typeof VIEW_TYPES)[number]
export const VIEW_TYPE_NUMBERS: Record<number, ViewType> = { 1: 'ACTIVE_ONLY', 2: 'DELETED_ONLY', 3: 'ALL' }

/** A key/value tag on an experiment or run. */
export interface Tag {
  key: string
  value: string
}

/** A run parameter. Parameters are write-once. */
export interface Param {
  key: string
  value: string
}

/** An experiment: a named group of runs. */
export interface Experiment {
  experimentId: string
  name: string
  artifactLocation: string
  lifecycleStage: LifecycleStage
  creationTime: number
  lastUpdateTime: number
  tags: Tag[]
}

/**
 * One metric point. `value` may be NaN; infinities are clamped to ±Number.MAX_VALUE when stored.
 * `timestamp` (ms) and `step` are int64s: a `bigint` beyond ±2^53, a `number` otherwise.
 */
export interface Metric {
  key: string
  value: number
  timestamp: Int64Value
  step: Int64Value
  datasetName?: string
  datasetDigest?: string
  modelId?: string
  runId?: string
}

export interface RunInfo {
  runId: string
  runName: string
  experimentId: string
  userId: string
  status: RunStatus
  startTime: number
  endTime?: number
  artifactUri: string
  lifecycleStage: LifecycleStage
}

export interface RunData {
  /** The latest point of each metric key (greatest (step, timestamp, value)). */
  metrics: Metric[]
  params: Param[]
  tags: Tag[]
}

/** A dataset, as logged with `runs/log-inputs`. `schema` and `profile` are JSON strings. */
export interface Dataset {
  name: string
  digest: string
  sourceType: string
  source: string
  schema?: string
  profile?: string
}

export interface DatasetInput {
  dataset: Dataset
  tags: Tag[]
}

export interface ModelInput {
  modelId: string
}

export interface ModelOutput {
  modelId: string
  step: number
}

export interface RunInputs {
  datasetInputs: DatasetInput[]
  modelInputs: ModelInput[]
}

export interface RunOutputs {
  modelOutputs: ModelOutput[]
}

export interface Run {
  info: RunInfo
  data: RunData
  inputs: RunInputs
  outputs: RunOutputs
}

/** A dataset seen in an experiment, as the UI's `experiments/search-datasets` returns it. */
export interface DatasetSummary {
  experimentId: string
  name: string
  digest: string
  context?: string
}
