import type {
  CreateWebhookRequest,
  EmptyResponse,
  ListWebhookDeliveriesRequest,
  ListWebhookDeliveriesResponse,
  ListWebhooksRequest,
  ListWebhooksResponse,
  TestWebhookRequest,
  TestWebhookResponse,
  UpdateWebhookRequest,
  WebhookAction,
  WebhookEntity,
  WebhookEnvelope,
  WebhookIdRequest,
} from '@cairn/core'
import type { HandlerContext } from '../routes/route-definition.js'
import { toWebhookDeliveryJson, toWebhookJson } from './registry-json.js'

function events(list: { entity: string; action: string }[] | undefined) {
  return (list ?? []).map((event) => ({
    entity: event.entity as WebhookEntity,
    action: event.action as WebhookAction,
  }))
}

export async function createWebhook(
  request: CreateWebhookRequest,
  { services }: HandlerContext,
): Promise<WebhookEnvelope> {
  const webhook = await services.webhooks.createWebhook({
    name: request.name,
    url: request.url,
    events: events(request.events),
    ...(request.description !== undefined && { description: request.description }),
    ...(request.secret !== undefined && { secret: request.secret }),
    ...(request.status !== undefined && { status: request.status }),
  })
  return { webhook: toWebhookJson(webhook) }
}

export async function listWebhooks(
  request: ListWebhooksRequest,
  { services }: HandlerContext,
): Promise<ListWebhooksResponse> {
  const page = await services.webhooks.listWebhooks(request.max_results, request.page_token)
  const response: ListWebhooksResponse = {}
  if (page.webhooks.length > 0) response.webhooks = page.webhooks.map(toWebhookJson)
  if (page.nextPageToken) response.next_page_token = page.nextPageToken
  return response
}

export async function getWebhook(
  request: WebhookIdRequest,
  { services }: HandlerContext,
): Promise<WebhookEnvelope> {
  return { webhook: toWebhookJson(await services.webhooks.getWebhook(request.webhook_id)) }
}

export async function updateWebhook(
  request: UpdateWebhookRequest,
  { services }: HandlerContext,
): Promise<WebhookEnvelope> {
  const webhook = await services.webhooks.updateWebhook({
    webhookId: request.webhook_id,
    ...(request.name !== undefined && { name: request.name }),
    ...(request.url !== undefined && { url: request.url }),
    ...(request.events !== undefined && { events: events(request.events) }),
    ...(request.description !== undefined && { description: request.description }),
    ...(request.secret !== undefined && { secret: request.secret }),
    ...(request.status !== undefined && { status: request.status }),
  })
  return { webhook: toWebhookJson(webhook) }
}

export async function deleteWebhook(
  request: WebhookIdRequest,
  { services }: HandlerContext,
): Promise<EmptyResponse> {
  await services.webhooks.deleteWebhook(request.webhook_id)
  return {}
}

export async function testWebhook(
  request: TestWebhookRequest,
  { services }: HandlerContext,
): Promise<TestWebhookResponse> {
  const [event] = request.event ? events([request.event]) : []
  const result = await services.webhooks.testWebhook(request.webhook_id, event)
  return {
    result: {
      success: result.success,
      ...(result.responseStatus !== undefined && { response_status: result.responseStatus }),
      ...(result.responseBody !== undefined && { response_body: result.responseBody }),
      ...(result.errorMessage !== undefined && { error_message: result.errorMessage }),
    },
  }
}

export async function listWebhookDeliveries(
  request: ListWebhookDeliveriesRequest,
  { services }: HandlerContext,
): Promise<ListWebhookDeliveriesResponse> {
  const deliveries = await services.webhooks.listWebhookDeliveries(request.webhook_id, request.max_results)
  return deliveries.length > 0 ? { deliveries: deliveries.map(toWebhookDeliveryJson) } : {}
}
