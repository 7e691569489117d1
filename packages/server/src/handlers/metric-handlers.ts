import type {
  GetMetricHistoryBulkIntervalRequest,
  GetMetricHistoryBulkIntervalResponse,
  GetMetricHistoryBulkRequest,
  GetMetricHistoryBulkResponse,
  GetMetricHistoryRequest,
  GetMetricHistoryResponse,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import { toMetricJson, toMetricWithRunIdJson } from './wire-json.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * get-history. A page (`max_results` given, as MLflow's client always sends) is rendered as wire JSON by the
 * store and written as is: no object per point, and its token lets the next page start where this one ended.
 * Without `max_results` the whole history is streamed; a token without `max_results` pages by objects.
 */
export async function getMetricHistory(
  request: GetMetricHistoryRequest,
  { services }: HandlerContext,
): Promise<GetMetricHistoryResponse | Response> {
  if (request.max_results !== undefined) {
    const page = await services.metrics.getMetricHistoryJson({
      runId: request.run_id,
      metricKey: request.metric_key,
      maxResults: request.max_results,
      pageToken: request.page_token,
    })
    const fields: string[] = []
    if (page.count > 0) fields.push(`"metrics":[${page.json}]`)
    if (page.nextPageToken) fields.push(`"next_page_token":${JSON.stringify(page.nextPageToken)}`)
    return new Response(`{${fields.join(',')}}`, { headers: JSON_HEADERS })
  }
  if (request.page_token === undefined) {
    return streamMetricHistory(services.metrics.streamMetricHistoryJson(request.run_id, request.metric_key))
  }
  const page = await services.metrics.getMetricHistory({
    runId: request.run_id,
    metricKey: request.metric_key,
    pageToken: request.page_token,
  })
  const response: GetMetricHistoryResponse = {}
  if (page.metrics.length > 0) response.metrics = page.metrics.map(toMetricJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

/**
 * Writes `{"metrics":[…]}` chunk by chunk (the store renders each chunk as wire JSON), so a
 * history of millions of points never sits in memory as one string. The first chunk is read
 * before answering, so a failure still becomes an ordinary error answer.
 */
async function streamMetricHistory(chunks: AsyncIterable<string>): Promise<Response> {
  const iterator = chunks[Symbol.asyncIterator]()
  const first = await iterator.next()
  if (first.done) return new Response('{}', { headers: JSON_HEADERS })

  const encoder = new TextEncoder()
  let pending: string | undefined = `{"metrics":[${first.value}`
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (pending !== undefined) {
          controller.enqueue(encoder.encode(pending))
          pending = undefined
          return
        }
        const next = await iterator.next()
        if (next.done) {
          controller.enqueue(encoder.encode(']}'))
          controller.close()
        } else {
          controller.enqueue(encoder.encode(`,${next.value}`))
        }
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
