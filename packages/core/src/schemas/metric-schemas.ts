import { z } from 'zod'
import { MetricJson, MetricWithRunIdJson } from './entity-json.js'
import { Int32, MLFLOW_MESSAGE, RequiredString } from './wire-types.js'

/**
 * `GET metrics/get-history`: every point of a metric, ordered by (timestamp, step, value).
 * Without `max_results` all points are returned (the server streams them).
 */
export const GetMetricHistoryRequest = z
  .object({
    run_id: RequiredString,
    run_uuid: z.string().optional(),
    metric_key: RequiredString,
    page_token: z.string().optional(),
    max_results: Int32.optional(),
  })
  .meta({ id: 'GetMetricHistoryRequest' })
export type GetMetricHistoryRequest = z.output<typeof GetMetricHistoryRequest>
export const GetMetricHistoryResponse = z
  .object({ metrics: z.array(MetricJson).optional(), next_page_token: z.string().optional() })
  .meta({ id: 'GetMetricHistoryResponse' })
export type GetMetricHistoryResponse = z.infer<typeof GetMetricHistoryResponse>

/**
 * `GET metrics/get-history-bulk-interval`: sampled points of one metric across up to 100 runs.
 * `start_step` and `end_step` come together; `max_results` is 1..2500 (default 2500).
 */
export const GetMetricHistoryBulkIntervalRequest = z
  .object({
    run_ids: z.array(z.string()).refine((ids) => ids.length <= 100, {
      error: (issue) =>
        `GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received ${(issue.input as unknown[]).length} run_ids.`,
      params: MLFLOW_MESSAGE,
    }),
    metric_key: RequiredString,
    start_step: Int32.optional(),
    end_step: Int32.optional(),
    max_results: Int32.refine((value) => value >= 1 && value <= 2500, {
      error: 'max_results must be between 1 and 2500.',
      params: MLFLOW_MESSAGE,
    }).optional(),
  })
  .meta({ id: 'GetMetricHistoryBulkIntervalRequest' })
export type GetMetricHistoryBulkIntervalRequest = z.output<typeof GetMetricHistoryBulkIntervalRequest>
export const GetMetricHistoryBulkIntervalResponse = z
  .object({ metrics: z.array(MetricWithRunIdJson).optional() })
  .meta({ id: 'GetMetricHistoryBulkIntervalResponse' })
export type GetMetricHistoryBulkIntervalResponse = z.infer<typeof GetMetricHistoryBulkIntervalResponse>

/**
 * `GET metrics/get-history-bulk` (UI only, under `/ajax-api`): one metric across 1 to 100 runs
 * (`run_id` repeated), sorted by run id, then (timestamp, step, value); at most 25000 points.
 */
export const GetMetricHistoryBulkRequest = z
  .object({
    run_id: z.array(z.string()).optional(),
    metric_key: z.string().optional(),
    max_results: Int32.optional(),
  })
  .meta({ id: 'GetMetricHistoryBulkRequest' })
export type GetMetricHistoryBulkRequest = z.output<typeof GetMetricHistoryBulkRequest>
export const GetMetricHistoryBulkResponse = z
  .object({ metrics: z.array(MetricWithRunIdJson) })
  .meta({ id: 'GetMetricHistoryBulkResponse' })
export type GetMetricHistoryBulkResponse = z.infer<typeof GetMetricHistoryBulkResponse>
