import type { Generated } from 'kysely'

/** `experiments`: `experiment_id` is an auto-increment integer; `0` is the default experiment. */
export interface ExperimentsTable {
  experiment_id: Generated<number>
  name: string
  artifact_location: string
  lifecycle_stage: string
  creation_time: number
  last_update_time: number
}

export interface ExperimentTagsTable {
  experiment_id: number
  key: string
  value: string
}

/**
 * `runs`: `run_pk` is an internal integer key that every per-run table references (smaller and faster
 * indexes than the 32-character `run_uuid`, which is what the API exposes).
 */
export interface RunsTable {
  run_pk: Generated<number>
  run_uuid: string
  experiment_id: number
  name: string
  user_id: string
  status: string
  start_time: number
  end_time: number | null
  deleted_time: number | null
  lifecycle_stage: string
  artifact_uri: string
}

export interface ParamsTable {
  run_pk: number
  key: string
  value: string
}

export interface TagsTable {
  run_pk: number
  key: string
  value: string
}

/** One row per metric point. NaN is stored as value 0 with `is_nan = 1`; ±inf is clamped. */
export interface MetricsTable {
  run_pk: number
  key: string
  timestamp: number
  step: number
  value: number
  is_nan: number
}

/**
 * The latest point of each (run, key): greatest (step, timestamp, value). `step` is therefore the
 * greatest step of the history; `min_step` and `step_count` (distinct steps) complete the statistics.
 */
export interface LatestMetricsTable {
  run_pk: number
  key: string
  timestamp: number
  step: number
  value: number
  is_nan: number
  min_step: number
  step_count: number
}

export interface DatasetsTable {
  dataset_uuid: string
  experiment_id: number
  name: string
  digest: string
  dataset_source_type: string
  dataset_source: string
  dataset_schema: string | null
  dataset_profile: string | null
}

/** A dataset used by a run. */
export interface InputsTable {
  input_uuid: string
  dataset_uuid: string
  run_pk: number
}

export interface InputTagsTable {
  input_uuid: string
  name: string
  value: string
}

/** Logged models a run used (`input`, step 0) or produced (`output`, with its step). */
export interface RunModelsTable {
  run_pk: number
  direction: 'input' | 'output'
  model_id: string
  step: number
}

export interface Tables {
  experiments: ExperimentsTable
  experiment_tags: ExperimentTagsTable
  runs: RunsTable
  params: ParamsTable
  tags: TagsTable
  metrics: MetricsTable
  latest_metrics: LatestMetricsTable
  datasets: DatasetsTable
  inputs: InputsTable
  input_tags: InputTagsTable
  run_models: RunModelsTable
}
