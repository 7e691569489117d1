import {
  encodeDouble,
  type GetMetricHistoryBucketsRequest,
  type GetMetricHistoryBucketsResponse,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'

/** cairn/metrics/get-history-buckets: the chart downsampling of a metric across runs. */
export async function getMetricHistoryBuckets(
  request: GetMetricHistoryBucketsRequest,
  { services }: HandlerContext,
): Promise<GetMetricHistoryBucketsResponse> {
  const buckets = await services.metrics.getMetricHistoryBuckets({
    runIds: request.run_id,
    metricKey: request.metric_key,
    minStep: request.min_step,
    maxStep: request.max_step,
    buckets: request.buckets,
  })
  return {
    buckets: buckets.map((bucket) => ({
      run_id: bucket.runId,
      bucket: bucket.bucket,
      count: bucket.count,
      min: encodeDouble(bucket.min),
      max: encodeDouble(bucket.max),
      first_step: bucket.firstStep,
      first_value: encodeDouble(bucket.firstValue),
      first_timestamp: bucket.firstTimestamp,
      last_step: bucket.lastStep,
      last_value: encodeDouble(bucket.lastValue),
      last_timestamp: bucket.lastTimestamp,
    })),
  }
}
