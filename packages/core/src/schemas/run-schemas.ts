import { z } from 'zod'
import { RunInfoJson, RunJson } from './entity-json.js'
import {
  DoubleInput,
  ExactInt64,
  ExperimentId,
  Int32,
  Int64,
  KeyValueInput,
  RequiredString,
  RunStatusInput,
  ViewTypeInput,
} from './wire-types.js'

/**
 * Every request that names a run takes `run_id`; the legacy `run_uuid` is accepted in its place
 * (the server copies it into `run_id` before validating).
 */
const runId = { run_id: RequiredString, run_uuid: z.string().optional() }

/** `POST runs/create`. `run_name` and the `mlflow.runName` tag must agree when both are given. */
export const CreateRunRequest = z
  .object({
    experiment_id: ExperimentId.optional(),
    start_time: Int64.optional(),
    run_name: z.string().optional(),
    user_id: z.string().optional(),
    tags: z.array(KeyValueInput).optional(),
  })
  .meta({ id: 'CreateRunRequest' })
export type CreateRunRequest = z.output<typeof CreateRunRequest>
export const CreateRunResponse = z.object({ run: RunJson }).meta({ id: 'CreateRunResponse' })
export type CreateRunResponse = z.infer<typeof CreateRunResponse>

/** `POST runs/update`: only the given fields change. */
export const UpdateRunRequest = z
  .object({
    ...runId,
    end_time: Int64.optional(),
    status: RunStatusInput.optional(),
    run_name: z.string().optional(),
  })
  .meta({ id: 'UpdateRunRequest' })
export type UpdateRunRequest = z.output<typeof UpdateRunRequest>
export const UpdateRunResponse = z.object({ run_info: RunInfoJson }).meta({ id: 'UpdateRunResponse' })
export type UpdateRunResponse = z.infer<typeof UpdateRunResponse>

/** `POST runs/delete` (soft delete). */
export const DeleteRunRequest = z.object(runId).meta({ id: 'DeleteRunRequest' })
export type DeleteRunRequest = z.output<typeof DeleteRunRequest>

/** `POST runs/restore` */
export const RestoreRunRequest = z.object(runId).meta({ id: 'RestoreRunRequest' })
export type RestoreRunRequest = z.output<typeof RestoreRunRequest>

/** `GET runs/get` */
export const GetRunRequest = z.object(runId).meta({ id: 'GetRunRequest' })
export type GetRunRequest = z.output<typeof GetRunRequest>
export const GetRunResponse = z.object({ run: RunJson }).meta({ id: 'GetRunResponse' })
export type GetRunResponse = z.infer<typeof GetRunResponse>

/** `POST runs/search`. `max_results` defaults to 1000 and may not exceed 50000. */
export const SearchRunsRequest = z
  .object({
    experiment_ids: z.array(ExperimentId).optional(),
    filter: z.string().optional(),
    max_results: Int32.refine((value) => value <= 50000).optional(),
    order_by: z.array(z.string()).optional(),
    run_view_type: ViewTypeInput.optional(),
    page_token: z.string().optional(),
  })
  .meta({ id: 'SearchRunsRequest' })
export type SearchRunsRequest = z.output<typeof SearchRunsRequest>
export const SearchRunsResponse = z
  .object({ runs: z.array(RunJson).optional(), next_page_token: z.string().optional() })
  .meta({ id: 'SearchRunsResponse' })
export type SearchRunsResponse = z.infer<typeof SearchRunsResponse>

/**
 * `POST runs/log-metric`. `value` may be `"NaN"`, `"Infinity"` or `"-Infinity"`; `timestamp` and
 * `step` are exact int64s.
 */
export const LogMetricRequest = z
  .object({
    ...runId,
    key: RequiredString,
    value: DoubleInput,
    timestamp: ExactInt64,
    step: ExactInt64.optional(),
    model_id: z.string().optional(),
    dataset_name: z.string().optional(),
    dataset_digest: z.string().optional(),
  })
  .meta({ id: 'LogMetricRequest' })
export type LogMetricRequest = z.output<typeof LogMetricRequest>

/** `POST runs/log-parameter`. Params are write-once; a missing value means `""`. */
export const LogParamRequest = z
  .object({ ...runId, key: RequiredString, value: z.string().optional() })
  .meta({ id: 'LogParamRequest' })
export type LogParamRequest = z.output<typeof LogParamRequest>

/** `POST runs/set-tag` (upsert). */
export const SetTagRequest = z
  .object({ ...runId, key: RequiredString, value: z.string().optional() })
  .meta({ id: 'SetTagRequest' })
export type SetTagRequest = z.output<typeof SetTagRequest>

/** `POST runs/delete-tag` */
export const DeleteTagRequest = z.object({ ...runId, key: RequiredString }).meta({ id: 'DeleteTagRequest' })
export type DeleteTagRequest = z.output<typeof DeleteTagRequest>

/** One metric point in a `runs/log-batch` request; `timestamp` and `step` are exact int64s. */
export const MetricInput = z.object({
  key: RequiredString,
  value: DoubleInput,
  timestamp: ExactInt64,
  step: ExactInt64.optional(),
  model_id: z.string().optional(),
  dataset_name: z.string().optional(),
  dataset_digest: z.string().optional(),
})
export type MetricInput = z.output<typeof MetricInput>

/** A param or tag in a `runs/log-batch` request; a missing value means `""`. */
export const KeyValueBatchInput = z.object({ key: RequiredString, value: z.string().optional() })

/**
 * `POST runs/log-batch`: at most 1000 metrics, 100 params, 100 tags and 1000 entities in all;
 * the body may not exceed 1 MiB.
 */
export const LogBatchRequest = z
  .object({
    ...runId,
    metrics: z.array(MetricInput).optional(),
    params: z.array(KeyValueBatchInput).optional(),
    tags: z.array(KeyValueBatchInput).optional(),
  })
  .meta({ id: 'LogBatchRequest' })
export type LogBatchRequest = z.output<typeof LogBatchRequest>

/** `POST runs/log-model`: appends the MLmodel JSON to the run's `mlflow.log-model.history` tag. */
export const LogModelRequest = z
  .object({ ...runId, model_json: RequiredString })
  .meta({ id: 'LogModelRequest' })
export type LogModelRequest = z.output<typeof LogModelRequest>

export const DatasetInputRequest = z.object({
  tags: z.array(z.object({ key: RequiredString, value: RequiredString })).optional(),
  dataset: z.object({
    name: RequiredString,
    digest: RequiredString,
    source_type: RequiredString,
    source: RequiredString,
    schema: z.string().optional(),
    profile: z.string().optional(),
  }),
})
export type DatasetInputRequest = z.output<typeof DatasetInputRequest>

/** `POST runs/log-inputs`: datasets (with input tags) and logged models a run used. */
export const LogInputsRequest = z
  .object({
    ...runId,
    datasets: z.array(DatasetInputRequest).optional(),
    models: z.array(z.object({ model_id: RequiredString })).optional(),
  })
  .meta({ id: 'LogInputsRequest' })
export type LogInputsRequest = z.output<typeof LogInputsRequest>

/** `POST runs/outputs`: logged models a run produced. */
export const LogOutputsRequest = z
  .object({
    ...runId,
    models: z.array(z.object({ model_id: RequiredString, step: Int64 })),
  })
  .meta({ id: 'LogOutputsRequest' })
export type LogOutputsRequest = z.output<typeof LogOutputsRequest>
