import { GetMetricHistoryBucketsRequest, GetMetricHistoryBucketsResponse } from '@cairn/core'
import * as buckets from '../handlers/metric-bucket-handlers.js'
import type { RouteDefinition } from './route-definition.js'
import { defineRoute } from './route-definition.js'

/** Cairn's own endpoints (not in MLflow), served under `/api/2.0/cairn` and `/ajax-api/2.0/cairn`. */
export const CAIRN_ROUTES: readonly RouteDefinition[] = [
  defineRoute({
    operationId: 'getMetricHistoryBuckets',
    summary: 'Get min/max/first/last of a metric per step bucket across runs (chart downsampling)',
    methods: ['GET'],
    path: '/cairn/metrics/get-history-buckets',
    request: GetMetricHistoryBucketsRequest,
    response: GetMetricHistoryBucketsResponse,
    handle: buckets.getMetricHistoryBuckets,
  }),
]
