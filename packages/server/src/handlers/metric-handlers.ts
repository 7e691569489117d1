import type {
  GetMetricHistoryBulkIntervalRequest,
  GetMetricHistoryBulkIntervalResponse,
  GetMetricHistoryBulkRequest,
  GetMetricHistoryBulkResponse,
  GetMetricHistoryRequest,
  GetMetricHistoryResponse,
  Metric,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import { toMetricJson, toMetricWithRunIdJson } from './wire-json.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

export async function getMetricHistory(
  request: GetMetricHistoryRequest,
  { services }: HandlerContext,
): Promise<GetMetricHistoryResponse | Response> {
  if (request.max_results === undefined && request.page_token === undefined) {
    return streamMetricHistory(services.metrics.streamMetricHistory(request.run_id, request.metric_key))
  }
  const page = await services.metrics.getMetricHistory({
    runId: request.run_id,
    metricKey: request.metric_key,
    maxResults: request.max_results,
    pageToken: request.page_token,
  })
  const response: GetMetricHistoryResponse = {}
  if (page.metrics.length > 0) response.metrics = page.metrics.map(toMetricJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

/**
 * Writes `{"metrics":[…]}` chunk by chunk, so a history of millions of points never sits in
 * memory as one string. The first chunk is read before answering, so a failure (such as an
 * unknown run) still becomes an ordinary error answer.
 */
async function streamMetricHistory(chunks: AsyncIterable<Metric[]>): Promise<Response> {
  const iterator = chunks[Symbol.asyncIterator]()
  let first = await iterator.next()
  while (!first.done && first.value.length === 0) first = await iterator.next()
  if (first.done) return new Response('{}', { headers: JSON_HEADERS })

  const encoder = new TextEncoder()
  let pending: Metric[] | undefined = first.value
  let opened = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        let batch = pending
        pending = undefined
        while (!batch) {
          const next = await iterator.next()
          if (next.done) {
            controller.enqueue(encoder.encode(']}'))
            controller.close()
            return
          }
          if (next.value.length > 0) batch = next.value
        }
        const items = JSON.stringify(batch.map(toMetricJson))
        const prefix = opened ? ',' : '{"metrics":['
        opened = true
        controller.enqueue(encoder.encode(prefix + items.slice(1, -1)))
      } catch (error) {
        controller.error(error)
      }
    },
    async cancel() {
      await iterator.return?.()
    },
  })
  return new Response(body, { headers: JSON_HEADERS })
}

export async function getMetricHistoryBulkInterval(
  request: GetMetricHistoryBulkIntervalRequest,
  { services }: HandlerContext,
): Promise<GetMetricHistoryBulkIntervalResponse> {
  const metrics = await services.metrics.getMetricHistoryBulkInterval({
    runIds: request.run_ids,
    metricKey: request.metric_key,
    startStep: request.start_step,
    endStep: request.end_step,
    maxResults: request.max_results,
  })
  return metrics.length > 0 ? { metrics: metrics.map(toMetricWithRunIdJson) } : {}
}

export async function getMetricHistoryBulk(
  request: GetMetricHistoryBulkRequest,
  { services }: HandlerContext,
): Promise<GetMetricHistoryBulkResponse> {
  const metrics = await services.metrics.getMetricHistoryBulk({
    runIds: request.run_id ?? [],
    metricKey: request.metric_key,
    maxResults: request.max_results,
  })
  return { metrics: metrics.map(toMetricWithRunIdJson) }
}
