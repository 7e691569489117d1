import { z } from 'zod'
import { MetricJson } from './entity-json.js'
import { ExperimentId, Int32, KeyValueInput, RequiredString } from './wire-types.js'

/** Wire schemas of MLflow 3 logged models (MLflow facts §1.3). */

const LOGGED_MODEL_STATUS_NAMES = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const

/** A `LoggedModelStatus` by name or proto number. */
export const LoggedModelStatusInput = z
  .union([z.enum(LOGGED_MODEL_STATUS_NAMES), z.int().min(0).max(3), z.enum(['0', '1', '2', '3'])])
  .transform((value): (typeof LOGGED_MODEL_STATUS_NAMES)[number] =>
    typeof value === 'number' || /^\d$/.test(value)
      ? LOGGED_MODEL_STATUS_NAMES[Number(value)]!
      : (value as (typeof LOGGED_MODEL_STATUS_NAMES)[number]),
  )

const KeyValueJson = z.object({ key: z.string(), value: z.string() })

export const LoggedModelJson = z
  .object({
    info: z.object({
      model_id: z.string(),
      experiment_id: z.string(),
      name: z.string(),
      creation_timestamp_ms: z.number(),
      last_updated_timestamp_ms: z.number(),
      artifact_uri: z.string(),
      status: z.enum(LOGGED_MODEL_STATUS_NAMES),
      creator_id: z.string().optional(),
      model_type: z.string().optional(),
      source_run_id: z.string().optional(),
      status_message: z.string().optional(),
      tags: z.array(KeyValueJson.meta({ id: 'LoggedModelTag' })).optional(),
    }),
    data: z.object({
      params: z.array(KeyValueJson.meta({ id: 'LoggedModelParameter' })).optional(),
      metrics: z.array(MetricJson).optional(),
    }),
  })
  .meta({ id: 'LoggedModel' })
export type LoggedModelJson = z.infer<typeof LoggedModelJson>

/** `POST logged-models` */
export const CreateLoggedModelRequest = z
  .object({
    experiment_id: ExperimentId.pipe(z.string().min(1)),
    name: z.string().optional(),
    model_type: z.string().optional(),
    source_run_id: z.string().optional(),
    params: z.array(KeyValueInput).optional(),
    tags: z.array(KeyValueInput).optional(),
  })
  .meta({ id: 'CreateLoggedModelRequest' })
export type CreateLoggedModelRequest = z.output<typeof CreateLoggedModelRequest>
export const LoggedModelEnvelope = z.object({ model: LoggedModelJson }).meta({ id: 'LoggedModelResponse' })
export type LoggedModelEnvelope = z.infer<typeof LoggedModelEnvelope>

/** `GET|DELETE logged-models/{model_id}` */
export const LoggedModelIdRequest = z
  .object({
    model_id: RequiredString,
    allow_deleted: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  })
  .meta({ id: 'LoggedModelIdRequest' })
export type LoggedModelIdRequest = z.output<typeof LoggedModelIdRequest>

/** `PATCH logged-models/{model_id}` (finalize) */
export const FinalizeLoggedModelRequest = z
  .object({ model_id: RequiredString, status: LoggedModelStatusInput })
  .meta({ id: 'FinalizeLoggedModelRequest' })
export type FinalizeLoggedModelRequest = z.output<typeof FinalizeLoggedModelRequest>

/** `PATCH logged-models/{model_id}/tags` */
export const SetLoggedModelTagsRequest = z
  .object({ model_id: RequiredString, tags: z.array(KeyValueInput).optional() })
  .meta({ id: 'SetLoggedModelTagsRequest' })
export type SetLoggedModelTagsRequest = z.output<typeof SetLoggedModelTagsRequest>

/** `DELETE logged-models/{model_id}/tags/{tag_key}` */
export const DeleteLoggedModelTagRequest = z
  .object({ model_id: RequiredString, tag_key: RequiredString })
  .meta({ id: 'DeleteLoggedModelTagRequest' })
export type DeleteLoggedModelTagRequest = z.output<typeof DeleteLoggedModelTagRequest>

/** `POST logged-models/{model_id}/params` */
export const LogLoggedModelParamsRequest = z
  .object({ model_id: RequiredString, params: z.array(KeyValueInput).optional() })
  .meta({ id: 'LogLoggedModelParamsRequest' })
export type LogLoggedModelParamsRequest = z.output<typeof LogLoggedModelParamsRequest>

/** `POST logged-models/search` */
export const SearchLoggedModelsRequest = z
  .object({
    experiment_ids: z.array(ExperimentId).optional(),
    filter: z.string().optional(),
    datasets: z
      .array(z.object({ dataset_name: z.string().optional(), dataset_digest: z.string().optional() }))
      .optional(),
    max_results: Int32.optional(),
    order_by: z
      .array(
        z.object({
          field_name: RequiredString,
          ascending: z.boolean().optional(),
          dataset_name: z.string().optional(),
          dataset_digest: z.string().optional(),
        }),
      )
      .optional(),
    page_token: z.string().optional(),
  })
  .meta({ id: 'SearchLoggedModelsRequest' })
export type SearchLoggedModelsRequest = z.output<typeof SearchLoggedModelsRequest>
export const SearchLoggedModelsResponse = z
  .object({ models: z.array(LoggedModelJson).optional(), next_page_token: z.string().optional() })
  .meta({ id: 'SearchLoggedModelsResponse' })
export type SearchLoggedModelsResponse = z.infer<typeof SearchLoggedModelsResponse>

/** `GET logged-models/{model_id}/artifacts/directories` */
export const ListLoggedModelArtifactsRequest = z
  .object({
    model_id: RequiredString,
    artifact_directory_path: z.string().optional(),
    page_token: z.string().optional(),
  })
  .meta({ id: 'ListLoggedModelArtifactsRequest' })
export type ListLoggedModelArtifactsRequest = z.output<typeof ListLoggedModelArtifactsRequest>

/** `GET /ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files` (UI download) */
export const GetLoggedModelArtifactRequest = z
  .object({ model_id: RequiredString, artifact_file_path: RequiredString })
  .meta({ id: 'GetLoggedModelArtifactRequest' })
export type GetLoggedModelArtifactRequest = z.output<typeof GetLoggedModelArtifactRequest>
