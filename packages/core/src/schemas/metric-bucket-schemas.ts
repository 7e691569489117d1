import { z } from 'zod'
import { Int32, Int64, RequiredString, WireDouble, WireInt64 } from './wire-types.js'

/**
 * `GET cairn/metrics/get-history-buckets` (Cairn's chart endpoint): one metric of 1 to 100 runs
 * (`run_id` repeated) cut into `buckets` equal step slices over [`min_step`, `max_step`] (default:
 * every logged step), answering per non-empty slice its count, min, max, first and last point.
 */
export const GetMetricHistoryBucketsRequest = z
  .object({
    run_id: z
      .array(z.string().min(1))
      .min(1, { error: 'GetMetricHistoryBuckets needs at least one run_id.' })
      .max(100, { error: 'GetMetricHistoryBuckets accepts at most 100 run_ids.' }),
    metric_key: RequiredString,
    min_step: Int64.optional(),
    max_step: Int64.optional(),
    buckets: Int32.optional(),
  })
  .meta({ id: 'GetMetricHistoryBucketsRequest' })
export type GetMetricHistoryBucketsRequest = z.output<typeof GetMetricHistoryBucketsRequest>

export const MetricBucketJson = z
  .object({
    run_id: z.string(),
    bucket: z.int(),
    count: z.int(),
    min: WireDouble,
    max: WireDouble,
    first_step: WireInt64,
    first_value: WireDouble,
    first_timestamp: WireInt64,
    last_step: WireInt64,
    last_value: WireDouble,
    last_timestamp: WireInt64,
  })
  .meta({ id: 'MetricBucket' })
export type MetricBucketJson = z.infer<typeof MetricBucketJson>

export const GetMetricHistoryBucketsResponse = z
  .object({ buckets: z.array(MetricBucketJson) })
  .meta({ id: 'GetMetricHistoryBucketsResponse' })
export type GetMetricHistoryBucketsResponse = z.infer<typeof GetMetricHistoryBucketsResponse>
