import { z } from 'zod'
import { WEBHOOK_ACTIONS, WEBHOOK_ENTITIES, WEBHOOK_STATUSES } from '../registry.js'
import { Int32, RequiredString } from './wire-types.js'

/**
 * Wire schemas of webhooks (MLflow facts §1.5). Proto JSON writes enums by name (`MODEL_VERSION`,
 * `CREATED`, `ACTIVE`); requests may use either case.
 */

const upperEnum = <T extends readonly string[]>(values: T) =>
  z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(values.map((value) => value.toLowerCase()) as [string, ...string[]]))

export const WebhookEventInput = z.object({
  entity: upperEnum(WEBHOOK_ENTITIES),
  action: upperEnum(WEBHOOK_ACTIONS),
})

const WebhookStatusInput = z
  .string()
  .transform((value) => value.toUpperCase())
  .pipe(z.enum(WEBHOOK_STATUSES))

export const WebhookJson = z
  .object({
    webhook_id: z.string(),
    name: z.string(),
    url: z.string(),
    events: z
      .array(z.object({ entity: z.string(), action: z.string() }).meta({ id: 'WebhookEvent' }))
      .optional(),
    description: z.string().optional(),
    status: z.string(),
    creation_timestamp: z.number(),
    last_updated_timestamp: z.number(),
  })
  .meta({ id: 'Webhook' })
export type WebhookJson = z.infer<typeof WebhookJson>

/** `POST webhooks` */
export const CreateWebhookRequest = z
  .object({
    name: RequiredString,
    url: RequiredString,
    events: z.array(WebhookEventInput).min(1),
    description: z.string().optional(),
    secret: z.string().optional(),
    status: WebhookStatusInput.optional(),
  })
  .meta({ id: 'CreateWebhookRequest' })
export type CreateWebhookRequest = z.output<typeof CreateWebhookRequest>
export const WebhookEnvelope = z.object({ webhook: WebhookJson }).meta({ id: 'WebhookResponse' })
export type WebhookEnvelope = z.infer<typeof WebhookEnvelope>

/** `GET webhooks`: 1..1000 per page (default 100). */
export const ListWebhooksRequest = z
  .object({ max_results: Int32.optional(), page_token: z.string().optional() })
  .meta({ id: 'ListWebhooksRequest' })
export type ListWebhooksRequest = z.output<typeof ListWebhooksRequest>
export const ListWebhooksResponse = z
  .object({ webhooks: z.array(WebhookJson).optional(), next_page_token: z.string().optional() })
  .meta({ id: 'ListWebhooksResponse' })
export type ListWebhooksResponse = z.infer<typeof ListWebhooksResponse>

/** `GET|DELETE webhooks/{webhook_id}` */
export const WebhookIdRequest = z.object({ webhook_id: RequiredString }).meta({ id: 'WebhookIdRequest' })
export type WebhookIdRequest = z.output<typeof WebhookIdRequest>

/** `PATCH webhooks/{webhook_id}`: only the given fields change. */
export const UpdateWebhookRequest = z
  .object({
    webhook_id: RequiredString,
    name: z.string().optional(),
    url: z.string().optional(),
    events: z.array(WebhookEventInput).optional(),
    description: z.string().optional(),
    secret: z.string().optional(),
    status: WebhookStatusInput.optional(),
  })
  .meta({ id: 'UpdateWebhookRequest' })
export type UpdateWebhookRequest = z.output<typeof UpdateWebhookRequest>

/** `POST webhooks/{webhook_id}/test` */
export const TestWebhookRequest = z
  .object({ webhook_id: RequiredString, event: WebhookEventInput.optional() })
  .meta({ id: 'TestWebhookRequest' })
export type TestWebhookRequest = z.output<typeof TestWebhookRequest>
export const TestWebhookResponse = z
  .object({
    result: z.object({
      success: z.boolean(),
      response_status: z.number().optional(),
      response_body: z.string().optional(),
      error_message: z.string().optional(),
    }),
  })
  .meta({ id: 'TestWebhookResponse' })
export type TestWebhookResponse = z.infer<typeof TestWebhookResponse>

/** Cairn's delivery log: `GET /api/2.0/cairn/webhooks/{webhook_id}/deliveries`. */
export const ListWebhookDeliveriesRequest = z
  .object({ webhook_id: RequiredString, max_results: Int32.optional() })
  .meta({ id: 'ListWebhookDeliveriesRequest' })
export type ListWebhookDeliveriesRequest = z.output<typeof ListWebhookDeliveriesRequest>
export const ListWebhookDeliveriesResponse = z
  .object({
    deliveries: z
      .array(
        z.object({
          delivery_id: z.string(),
          webhook_id: z.string(),
          entity: z.string(),
          action: z.string(),
          state: z.string(),
          attempts: z.number(),
          response_status: z.number().optional(),
          error_message: z.string().optional(),
          created_at: z.number(),
          last_attempt_at: z.number().optional(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'ListWebhookDeliveriesResponse' })
export type ListWebhookDeliveriesResponse = z.infer<typeof ListWebhookDeliveriesResponse>
