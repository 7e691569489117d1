import { z } from 'zod'
import { DatasetSummaryJson, ExperimentJson } from './entity-json.js'
import { ExperimentId, Int64, KeyValueInput, RequiredString, ViewTypeInput } from './wire-types.js'

/** An experiment id the request must carry (string, or integer turned into a string). */
const RequiredExperimentId = z.union([RequiredString, z.int()]).transform((value) => String(value))

/** `POST experiments/create` */
export const CreateExperimentRequest = z
  .object({
    name: RequiredString,
    artifact_location: z.string().optional(),
    tags: z.array(KeyValueInput).optional(),
  })
  .meta({ id: 'CreateExperimentRequest' })
export type CreateExperimentRequest = z.output<typeof CreateExperimentRequest>
export const CreateExperimentResponse = z
  .object({ experiment_id: z.string() })
  .meta({ id: 'CreateExperimentResponse' })
export type CreateExperimentResponse = z.infer<typeof CreateExperimentResponse>

/** `GET|POST experiments/search` */
export const SearchExperimentsRequest = z
  .object({
    view_type: ViewTypeInput.optional(),
    max_results: Int64.optional(),
    order_by: z.array(z.string()).optional(),
    filter: z.string().optional(),
    page_token: z.string().optional(),
  })
  .meta({ id: 'SearchExperimentsRequest' })
export type SearchExperimentsRequest = z.output<typeof SearchExperimentsRequest>
export const SearchExperimentsResponse = z
  .object({
    experiments: z.array(ExperimentJson).optional(),
    next_page_token: z.string().optional(),
  })
  .meta({ id: 'SearchExperimentsResponse' })
export type SearchExperimentsResponse = z.infer<typeof SearchExperimentsResponse>

/** `GET experiments/get` */
export const GetExperimentRequest = z
  .object({ experiment_id: RequiredExperimentId })
  .meta({ id: 'GetExperimentRequest' })
export type GetExperimentRequest = z.output<typeof GetExperimentRequest>
export const GetExperimentResponse = z
  .object({ experiment: ExperimentJson })
  .meta({ id: 'GetExperimentResponse' })
export type GetExperimentResponse = z.infer<typeof GetExperimentResponse>

/** `GET experiments/get-by-name`: 404 RESOURCE_DOES_NOT_EXIST when no experiment has the name. */
export const GetExperimentByNameRequest = z
  .object({ experiment_name: RequiredString })
  .meta({ id: 'GetExperimentByNameRequest' })
export type GetExperimentByNameRequest = z.output<typeof GetExperimentByNameRequest>
export const GetExperimentByNameResponse = GetExperimentResponse
export type GetExperimentByNameResponse = GetExperimentResponse

/** `POST experiments/delete` */
export const DeleteExperimentRequest = z
  .object({ experiment_id: RequiredExperimentId })
  .meta({ id: 'DeleteExperimentRequest' })
export type DeleteExperimentRequest = z.output<typeof DeleteExperimentRequest>

/** `POST experiments/restore` */
export const RestoreExperimentRequest = z
  .object({ experiment_id: RequiredExperimentId })
  .meta({ id: 'RestoreExperimentRequest' })
export type RestoreExperimentRequest = z.output<typeof RestoreExperimentRequest>

/** `POST experiments/update`: renames an experiment. */
export const UpdateExperimentRequest = z
  .object({ experiment_id: RequiredExperimentId, new_name: RequiredString })
  .meta({ id: 'UpdateExperimentRequest' })
export type UpdateExperimentRequest = z.output<typeof UpdateExperimentRequest>

/** `POST experiments/set-experiment-tag` (upsert; a missing value means `""`). */
export const SetExperimentTagRequest = z
  .object({ experiment_id: RequiredExperimentId, key: RequiredString, value: z.string().optional() })
  .meta({ id: 'SetExperimentTagRequest' })
export type SetExperimentTagRequest = z.output<typeof SetExperimentTagRequest>

/** `POST experiments/delete-experiment-tag` */
export const DeleteExperimentTagRequest = z
  .object({ experiment_id: RequiredExperimentId, key: RequiredString })
  .meta({ id: 'DeleteExperimentTagRequest' })
export type DeleteExperimentTagRequest = z.output<typeof DeleteExperimentTagRequest>

/** `POST experiments/search-datasets` (UI only, under `/ajax-api`): 1 to 20 experiment ids. */
export const SearchDatasetsRequest = z
  .object({ experiment_ids: z.array(ExperimentId).optional() })
  .meta({ id: 'SearchDatasetsRequest' })
export type SearchDatasetsRequest = z.output<typeof SearchDatasetsRequest>
export const SearchDatasetsResponse = z
  .object({ dataset_summaries: z.array(DatasetSummaryJson).optional() })
  .meta({ id: 'SearchDatasetsResponse' })
export type SearchDatasetsResponse = z.infer<typeof SearchDatasetsResponse>
