import {
  invalidParameter,
  LIST_WEBHOOKS_DEFAULT_MAX_RESULTS,
  type Webhook,
  type WebhookDelivery,
  type WebhookEvent,
  type WebhookStatus,
} from '@cairn/core'
import type { RegistryStore } from '@cairn/store'
import { offsetFromPageToken, pageTokenFromOffset } from './paging.js'
import { validateWebhookEvents, validateWebhookName, validateWebhookUrl } from './registry-validation.js'
import type { WebhookAttemptResult, WebhookDispatcher } from './webhook-dispatcher.js'

export interface CreateWebhookOptions {
  name: string
  url: string
  events: WebhookEvent[]
  description?: string
  secret?: string
  status?: WebhookStatus
}

export interface UpdateWebhookOptions extends Partial<CreateWebhookOptions> {
  webhookId: string
}

/** What the test endpoint sends for each event (MLflow's example payloads). */
const EXAMPLE_PAYLOADS: Record<string, Record<string, unknown>> = {
  'registered_model.created': {
    name: 'example_model',
    tags: { example_key: 'example_value' },
    description: 'An example registered model',
  },
  'model_version.created': {
    name: 'example_model',
    version: '1',
    source: 'models:/123',
    run_id: 'abcd1234abcd5678',
    tags: { example_key: 'example_value' },
    description: 'An example model version',
  },
  'model_version_tag.set': {
    name: 'example_model',
    version: '1',
    key: 'example_key',
    value: 'example_value',
  },
  'model_version_tag.deleted': { name: 'example_model', version: '1', key: 'example_key' },
  'model_version_alias.created': { name: 'example_model', alias: 'example_alias', version: '1' },
  'model_version_alias.deleted': { name: 'example_model', alias: 'example_alias' },
  'prompt.created': {
    name: 'example_prompt',
    tags: { example_key: 'example_value' },
    description: 'An example prompt',
  },
  'prompt_version.created': {
    name: 'example_prompt',
    version: '1',
    template: 'Hello {{name}}!',
    tags: { example_key: 'example_value' },
    description: 'An example prompt version',
  },
  'prompt_tag.set': { name: 'example_prompt', key: 'example_key', value: 'example_value' },
  'prompt_tag.deleted': { name: 'example_prompt', key: 'example_key' },
  'prompt_version_tag.set': {
    name: 'example_prompt',
    version: '1',
    key: 'example_key',
    value: 'example_value',
  },
  'prompt_version_tag.deleted': { name: 'example_prompt', version: '1', key: 'example_key' },
  'prompt_alias.created': { name: 'example_prompt', alias: 'example_alias', version: '1' },
  'prompt_alias.deleted': { name: 'example_prompt', alias: 'example_alias' },
}

/** Webhook CRUD with MLflow's validation, the test call and Cairn's delivery log. */
export class WebhookService {
  constructor(
    private readonly store: RegistryStore,
    private readonly dispatcher: WebhookDispatcher,
    private readonly allowedSchemes: readonly string[],
  ) {}

  async createWebhook(options: CreateWebhookOptions): Promise<Webhook> {
    validateWebhookName(options.name)
    validateWebhookUrl(options.url, this.allowedSchemes)
    validateWebhookEvents(options.events)
    const webhook = await this.store.createWebhook({
      ...options,
      ...(options.description === '' && { description: undefined }),
      ...(options.secret === '' && { secret: undefined }),
    })
    this.dispatcher.invalidateSubscriptions()
    return webhook
  }

  async getWebhook(webhookId: string): Promise<Webhook> {
    const { secret: _secret, ...webhook } = await this.store.getWebhook(webhookId)
    return webhook
  }

  async listWebhooks(maxResults: number | undefined, pageToken: string | undefined) {
    const limit = maxResults || LIST_WEBHOOKS_DEFAULT_MAX_RESULTS
    if (limit < 1 || limit > 1000) throw invalidParameter('max_results must be between 1 and 1000.')
    const page = await this.store.listWebhooks(limit, offsetFromPageToken(pageToken))
    return { webhooks: page.items, nextPageToken: pageTokenFromOffset(page.nextOffset) }
  }

  async updateWebhook(options: UpdateWebhookOptions): Promise<Webhook> {
    if (options.name) validateWebhookName(options.name)
    if (options.url) validateWebhookUrl(options.url, this.allowedSchemes)
    if (options.events && options.events.length > 0) validateWebhookEvents(options.events)
    const webhook = await this.store.updateWebhook({
      webhookId: options.webhookId,
      ...(options.name && { name: options.name }),
      ...(options.url && { url: options.url }),
      ...(options.events && options.events.length > 0 && { events: options.events }),
      ...(options.description !== undefined && { description: options.description }),
      ...(options.secret !== undefined && { secret: options.secret }),
      ...(options.status !== undefined && { status: options.status }),
    })
    this.dispatcher.invalidateSubscriptions()
    return webhook
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.store.deleteWebhook(webhookId)
    this.dispatcher.invalidateSubscriptions()
  }

  /** Sends an example payload of `event` (default: the webhook's first event) once and reports the answer. */
  async testWebhook(webhookId: string, event: WebhookEvent | undefined): Promise<WebhookAttemptResult> {
    const webhook = await this.store.getWebhook(webhookId)
    const testEvent = event ?? webhook.events[0]
    if (!testEvent) throw invalidParameter(`Webhook ${webhookId} has no events to test.`)
    const payload = EXAMPLE_PAYLOADS[`${testEvent.entity}.${testEvent.action}`] ?? {}
    const result = await this.dispatcher.deliver(webhook, { event: testEvent, payload }, { retries: 0 })
    if (result.errorMessage !== undefined)
      return { success: false, errorMessage: `Failed to test webhook: ${result.errorMessage}` }
    return result
  }

  async listWebhookDeliveries(webhookId: string, maxResults: number | undefined): Promise<WebhookDelivery[]> {
    await this.store.getWebhook(webhookId)
    const limit = maxResults ?? 100
    if (limit < 1 || limit > 1000) throw invalidParameter('max_results must be between 1 and 1000.')
    return this.store.listWebhookDeliveries(webhookId, limit)
  }
}
