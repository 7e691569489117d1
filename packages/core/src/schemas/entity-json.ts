import { z } from 'zod'
import { RUN_STATUSES } from '../entities.js'
import { WireDouble, WireInt64 } from './wire-types.js'

/**
 * Entities as they appear in responses (proto JSON: snake_case, unset fields and empty lists
 * omitted, enums by name, int64 as numbers, non-finite doubles as strings).
 */

const LIFECYCLE_STAGES = ['active', 'deleted'] as const

/** An experiment tag. */
export const ExperimentTagJson = z
  .object({ key: z.string(), value: z.string() })
  .meta({ id: 'ExperimentTag' })
export type ExperimentTagJson = z.infer<typeof ExperimentTagJson>

/** A run tag. */
export const RunTagJson = z.object({ key: z.string(), value: z.string() }).meta({ id: 'RunTag' })
export type RunTagJson = z.infer<typeof RunTagJson>

/** A run parameter. */
export const ParamJson = z.object({ key: z.string(), value: z.string() }).meta({ id: 'Param' })
export type ParamJson = z.infer<typeof ParamJson>

/** An experiment. `tags` is omitted when there are none. */
export const ExperimentJson = z
  .object({
    experiment_id: z.string(),
    name: z.string(),
    artifact_location: z.string(),
    lifecycle_stage: z.enum(LIFECYCLE_STAGES),
    last_update_time: z.int(),
    creation_time: z.int(),
    tags: z.array(ExperimentTagJson).optional(),
  })
  .meta({ id: 'Experiment' })
export type ExperimentJson = z.infer<typeof ExperimentJson>

/**
 * One metric point. `value` is a number or `"NaN"` / `"Infinity"` / `"-Infinity"`; `timestamp` and
 * `step` are exact int64s (a `bigint` beyond ±2^53).
 */
export const MetricJson = z
  .object({
    key: z.string(),
    value: WireDouble,
    timestamp: WireInt64,
    step: WireInt64,
    dataset_name: z.string().optional(),
    dataset_digest: z.string().optional(),
    model_id: z.string().optional(),
    run_id: z.string().optional(),
  })
  .meta({ id: 'Metric' })
export type MetricJson = z.infer<typeof MetricJson>

/** A metric point with the run it belongs to (`get-history-bulk-interval`, `get-history-bulk`). */
export const MetricWithRunIdJson = z
  .object({
    key: z.string(),
    value: WireDouble,
    timestamp: WireInt64,
    step: WireInt64,
    run_id: z.string(),
  })
  .meta({ id: 'MetricWithRunId' })
export type MetricWithRunIdJson = z.infer<typeof MetricWithRunIdJson>

/** Run metadata. `run_uuid` repeats `run_id` for old clients; `end_time` is absent while running. */
export const RunInfoJson = z
  .object({
    run_id: z.string(),
    run_uuid: z.string(),
    run_name: z.string(),
    experiment_id: z.string(),
    user_id: z.string(),
    status: z.enum(RUN_STATUSES),
    start_time: z.int(),
    end_time: z.int().optional(),
    artifact_uri: z.string(),
    lifecycle_stage: z.enum(LIFECYCLE_STAGES),
  })
  .meta({ id: 'RunInfo' })
export type RunInfoJson = z.infer<typeof RunInfoJson>

/** Run data: the latest value of each metric, params and tags. Empty lists are omitted. */
export const RunDataJson = z
  .object({
    metrics: z.array(MetricJson).optional(),
    params: z.array(ParamJson).optional(),
    tags: z.array(RunTagJson).optional(),
  })
  .meta({ id: 'RunData' })
export type RunDataJson = z.infer<typeof RunDataJson>

/** A dataset. `schema` and `profile` are JSON strings. */
export const DatasetJson = z
  .object({
    name: z.string(),
    digest: z.string(),
    source_type: z.string(),
    source: z.string(),
    schema: z.string().optional(),
    profile: z.string().optional(),
  })
  .meta({ id: 'Dataset' })
export type DatasetJson = z.infer<typeof DatasetJson>

/** A tag on a dataset input, such as `mlflow.data.context`. */
export const InputTagJson = z.object({ key: z.string(), value: z.string() }).meta({ id: 'InputTag' })
export type InputTagJson = z.infer<typeof InputTagJson>

/** A dataset used by a run, with its input tags. */
export const DatasetInputJson = z
  .object({
    tags: z.array(InputTagJson).optional(),
    dataset: DatasetJson,
  })
  .meta({ id: 'DatasetInput' })
export type DatasetInputJson = z.infer<typeof DatasetInputJson>

/** A logged model used by a run. */
export const ModelInputJson = z.object({ model_id: z.string() }).meta({ id: 'ModelInput' })
export type ModelInputJson = z.infer<typeof ModelInputJson>

/** A logged model produced by a run at a step. */
export const ModelOutputJson = z.object({ model_id: z.string(), step: z.int() }).meta({ id: 'ModelOutput' })
export type ModelOutputJson = z.infer<typeof ModelOutputJson>

export const RunInputsJson = z
  .object({
    dataset_inputs: z.array(DatasetInputJson).optional(),
    model_inputs: z.array(ModelInputJson).optional(),
  })
  .meta({ id: 'RunInputs' })
export type RunInputsJson = z.infer<typeof RunInputsJson>

export const RunOutputsJson = z
  .object({ model_outputs: z.array(ModelOutputJson).optional() })
  .meta({ id: 'RunOutputs' })
export type RunOutputsJson = z.infer<typeof RunOutputsJson>

/** A run: info, data, inputs and outputs. */
export const RunJson = z
  .object({
    info: RunInfoJson,
    data: RunDataJson,
    inputs: RunInputsJson,
    outputs: RunOutputsJson,
  })
  .meta({ id: 'Run' })
export type RunJson = z.infer<typeof RunJson>

/** A dataset seen in an experiment (UI's `experiments/search-datasets`). */
export const DatasetSummaryJson = z
  .object({
    experiment_id: z.string(),
    name: z.string(),
    digest: z.string(),
    context: z.string().optional(),
  })
  .meta({ id: 'DatasetSummary' })
export type DatasetSummaryJson = z.infer<typeof DatasetSummaryJson>
