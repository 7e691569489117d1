import { z } from 'zod'
import { Int64, KeyValueInput, RequiredString } from './wire-types.js'

/**
 * Wire schemas of the model registry (MLflow facts §1.4): registered models, model versions, aliases.
 * Versions travel as strings (`"3"`); an integer is accepted and turned into its text.
 */

const VersionInput = z.union([z.string().min(1), z.int()]).transform((value) => String(value))

const RegistryTagJson = z.object({ key: z.string(), value: z.string() })

export const ModelVersionTagJson = RegistryTagJson.meta({ id: 'ModelVersionTag' })
export const RegisteredModelTagJson = RegistryTagJson.meta({ id: 'RegisteredModelTag' })

/** A model version as MLflow sends it; unset fields are left out. */
export const ModelVersionJson = z
  .object({
    name: z.string(),
    version: z.string(),
    creation_timestamp: z.number(),
    last_updated_timestamp: z.number().optional(),
    user_id: z.string().optional(),
    current_stage: z.string().optional(),
    description: z.string().optional(),
    source: z.string().optional(),
    run_id: z.string().optional(),
    status: z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']).optional(),
    status_message: z.string().optional(),
    tags: z.array(ModelVersionTagJson).optional(),
    run_link: z.string().optional(),
    aliases: z.array(z.string()).optional(),
    model_id: z.string().optional(),
  })
  .meta({ id: 'ModelVersion' })
export type ModelVersionJson = z.infer<typeof ModelVersionJson>

export const RegisteredModelAliasJson = z
  .object({ alias: z.string(), version: z.string() })
  .meta({ id: 'RegisteredModelAlias' })

export const RegisteredModelJson = z
  .object({
    name: z.string(),
    creation_timestamp: z.number(),
    last_updated_timestamp: z.number().optional(),
    user_id: z.string().optional(),
    description: z.string().optional(),
    latest_versions: z.array(ModelVersionJson).optional(),
    tags: z.array(RegisteredModelTagJson).optional(),
    aliases: z.array(RegisteredModelAliasJson).optional(),
  })
  .meta({ id: 'RegisteredModel' })
export type RegisteredModelJson = z.infer<typeof RegisteredModelJson>

const RegisteredModelResponse = z.object({ registered_model: RegisteredModelJson })
const ModelVersionResponse = z.object({ model_version: ModelVersionJson })

/** `POST registered-models/create` */
export const CreateRegisteredModelRequest = z
  .object({
    name: RequiredString,
    tags: z.array(KeyValueInput).optional(),
    description: z.string().optional(),
  })
  .meta({ id: 'CreateRegisteredModelRequest' })
export type CreateRegisteredModelRequest = z.output<typeof CreateRegisteredModelRequest>
export const RegisteredModelEnvelope = RegisteredModelResponse.meta({ id: 'RegisteredModelResponse' })
export type RegisteredModelEnvelope = z.infer<typeof RegisteredModelEnvelope>

/** `POST registered-models/rename` */
export const RenameRegisteredModelRequest = z
  .object({ name: RequiredString, new_name: RequiredString })
  .meta({ id: 'RenameRegisteredModelRequest' })
export type RenameRegisteredModelRequest = z.output<typeof RenameRegisteredModelRequest>

/** `PATCH registered-models/update` */
export const UpdateRegisteredModelRequest = z
  .object({ name: RequiredString, description: z.string().optional() })
  .meta({ id: 'UpdateRegisteredModelRequest' })
export type UpdateRegisteredModelRequest = z.output<typeof UpdateRegisteredModelRequest>

/** `DELETE registered-models/delete`, `GET registered-models/get` */
export const RegisteredModelNameRequest = z
  .object({ name: RequiredString })
  .meta({ id: 'RegisteredModelNameRequest' })
export type RegisteredModelNameRequest = z.output<typeof RegisteredModelNameRequest>

/** `GET registered-models/search`: at most 1000 per page (default 100). */
export const SearchRegisteredModelsRequest = z
  .object({
    filter: z.string().optional(),
    max_results: Int64.refine((value) => value <= 1000).optional(),
    order_by: z.array(z.string()).optional(),
    page_token: z.string().optional(),
  })
  .meta({ id: 'SearchRegisteredModelsRequest' })
export type SearchRegisteredModelsRequest = z.output<typeof SearchRegisteredModelsRequest>
export const SearchRegisteredModelsResponse = z
  .object({
    registered_models: z.array(RegisteredModelJson).optional(),
    next_page_token: z.string().optional(),
  })
  .meta({ id: 'SearchRegisteredModelsResponse' })
export type SearchRegisteredModelsResponse = z.infer<typeof SearchRegisteredModelsResponse>

/** `GET|POST registered-models/get-latest-versions` */
export const GetLatestVersionsRequest = z
  .object({ name: RequiredString, stages: z.array(z.string()).optional() })
  .meta({ id: 'GetLatestVersionsRequest' })
export type GetLatestVersionsRequest = z.output<typeof GetLatestVersionsRequest>
export const ModelVersionsResponse = z
  .object({ model_versions: z.array(ModelVersionJson).optional() })
  .meta({ id: 'ModelVersionsResponse' })
export type ModelVersionsResponse = z.infer<typeof ModelVersionsResponse>

/** `POST registered-models/set-tag` */
export const SetRegisteredModelTagRequest = z
  .object({ name: RequiredString, key: RequiredString, value: z.string().optional() })
  .meta({ id: 'SetRegisteredModelTagRequest' })
export type SetRegisteredModelTagRequest = z.output<typeof SetRegisteredModelTagRequest>

/** `DELETE registered-models/delete-tag` */
export const DeleteRegisteredModelTagRequest = z
  .object({ name: RequiredString, key: RequiredString })
  .meta({ id: 'DeleteRegisteredModelTagRequest' })
export type DeleteRegisteredModelTagRequest = z.output<typeof DeleteRegisteredModelTagRequest>

/** `POST registered-models/alias` */
export const SetRegisteredModelAliasRequest = z
  .object({ name: RequiredString, alias: RequiredString, version: VersionInput })
  .meta({ id: 'SetRegisteredModelAliasRequest' })
export type SetRegisteredModelAliasRequest = z.output<typeof SetRegisteredModelAliasRequest>

/** `DELETE registered-models/alias`, `GET registered-models/alias` */
export const RegisteredModelAliasRequest = z
  .object({ name: RequiredString, alias: RequiredString })
  .meta({ id: 'RegisteredModelAliasRequest' })
export type RegisteredModelAliasRequest = z.output<typeof RegisteredModelAliasRequest>

/** `POST model-versions/create` */
export const CreateModelVersionRequest = z
  .object({
    name: RequiredString,
    source: RequiredString,
    run_id: z.string().optional(),
    tags: z.array(KeyValueInput).optional(),
    run_link: z.string().optional(),
    description: z.string().optional(),
    model_id: z.string().optional(),
  })
  .meta({ id: 'CreateModelVersionRequest' })
export type CreateModelVersionRequest = z.output<typeof CreateModelVersionRequest>
export const ModelVersionEnvelope = ModelVersionResponse.meta({ id: 'ModelVersionResponse' })
export type ModelVersionEnvelope = z.infer<typeof ModelVersionEnvelope>

/** `GET model-versions/get`, `DELETE model-versions/delete`, `GET model-versions/get-download-uri` */
export const ModelVersionKeyRequest = z
  .object({ name: RequiredString, version: VersionInput })
  .meta({ id: 'ModelVersionKeyRequest' })
export type ModelVersionKeyRequest = z.output<typeof ModelVersionKeyRequest>

/** `PATCH model-versions/update` */
export const UpdateModelVersionRequest = z
  .object({ name: RequiredString, version: VersionInput, description: z.string().optional() })
  .meta({ id: 'UpdateModelVersionRequest' })
export type UpdateModelVersionRequest = z.output<typeof UpdateModelVersionRequest>

/** `POST model-versions/transition-stage` */
export const TransitionModelVersionStageRequest = z
  .object({
    name: RequiredString,
    version: VersionInput,
    stage: RequiredString,
    archive_existing_versions: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  })
  .meta({ id: 'TransitionModelVersionStageRequest' })
export type TransitionModelVersionStageRequest = z.output<typeof TransitionModelVersionStageRequest>

/** `GET model-versions/search`: at most 200,000 per page. */
export const SearchModelVersionsRequest = z
  .object({
    filter: z.string().optional(),
    max_results: Int64.refine((value) => value <= 200_000).optional(),
    order_by: z.array(z.string()).optional(),
    page_token: z.string().optional(),
  })
  .meta({ id: 'SearchModelVersionsRequest' })
export type SearchModelVersionsRequest = z.output<typeof SearchModelVersionsRequest>
export const SearchModelVersionsResponse = z
  .object({ model_versions: z.array(ModelVersionJson).optional(), next_page_token: z.string().optional() })
  .meta({ id: 'SearchModelVersionsResponse' })
export type SearchModelVersionsResponse = z.infer<typeof SearchModelVersionsResponse>

export const GetModelVersionDownloadUriResponse = z
  .object({ artifact_uri: z.string() })
  .meta({ id: 'GetModelVersionDownloadUriResponse' })
export type GetModelVersionDownloadUriResponse = z.infer<typeof GetModelVersionDownloadUriResponse>

/** `POST model-versions/set-tag` */
export const SetModelVersionTagRequest = z
  .object({ name: RequiredString, version: VersionInput, key: RequiredString, value: z.string().optional() })
  .meta({ id: 'SetModelVersionTagRequest' })
export type SetModelVersionTagRequest = z.output<typeof SetModelVersionTagRequest>

/** `DELETE model-versions/delete-tag` */
export const DeleteModelVersionTagRequest = z
  .object({ name: RequiredString, version: VersionInput, key: RequiredString })
  .meta({ id: 'DeleteModelVersionTagRequest' })
export type DeleteModelVersionTagRequest = z.output<typeof DeleteModelVersionTagRequest>

/** Cairn lineage of one version: `GET /api/2.0/cairn/model-versions/lineage?name=&version=`. */
export const ModelVersionLineageResponse = z
  .object({
    model_version: ModelVersionJson,
    run: z
      .object({
        run_id: z.string(),
        run_name: z.string().optional(),
        experiment_id: z.string(),
        status: z.string(),
        lifecycle_stage: z.string(),
      })
      .optional(),
    experiment: z.object({ experiment_id: z.string(), name: z.string() }).optional(),
    logged_model: z
      .object({ model_id: z.string(), name: z.string(), artifact_uri: z.string(), status: z.string() })
      .optional(),
    datasets: z
      .array(z.object({ name: z.string(), digest: z.string(), context: z.string().optional() }))
      .optional(),
  })
  .meta({ id: 'ModelVersionLineageResponse' })
export type ModelVersionLineageResponse = z.infer<typeof ModelVersionLineageResponse>

/** Cairn: versions made from a run (`GET /api/2.0/cairn/runs/model-versions?run_id=`). */
export const RunModelVersionsRequest = z
  .object({ run_id: RequiredString })
  .meta({ id: 'RunModelVersionsRequest' })
export type RunModelVersionsRequest = z.output<typeof RunModelVersionsRequest>
