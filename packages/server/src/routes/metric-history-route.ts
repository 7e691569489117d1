import type { GetMetricHistoryRequest, GetMetricHistoryResponse } from '@cairn/core'
import { getMetricHistory } from '../handlers/metric-handlers.js'
import type { HandlerContext } from './route-definition.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

/**
 * get-history. A page (`max_results` given, as MLflow's client always sends) is rendered as wire JSON by
 * the store and written as is: no object per point, and its token lets the next page start where this
 * one ended. The full history (streamed) and a token without `max_results` go to the handler.
 */
export async function getMetricHistoryPage(
  request: GetMetricHistoryRequest,
  context: HandlerContext,
): Promise<GetMetricHistoryResponse | Response> {
  if (request.max_results === undefined) return getMetricHistory(request, context)
  const page = await context.services.metrics.getMetricHistoryJson({
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
