import { createHmac, randomUUID } from 'node:crypto'
import type { WebhookEvent } from '@cairn/core'
import type { DeliverableWebhook, RegistryStore } from '@cairn/store'

/** Delivery settings (MLflow: `MLFLOW_WEBHOOK_REQUEST_TIMEOUT`, `MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES`). */
export interface WebhookDeliveryOptions {
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs: number
  /** Retries after the first attempt on network errors and 429/5xx answers (default 3). */
  maxRetries: number
  /** First backoff in ms, doubled per retry, plus up to the same again as jitter (default 1 s). */
  backoffMs: number
  /** Longest backoff in ms (default 60 s). */
  maxBackoffMs: number
}

export const DEFAULT_WEBHOOK_DELIVERY_OPTIONS: WebhookDeliveryOptions = {
  timeoutMs: 30_000,
  maxRetries: 3,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
}

/** An event to deliver, with its `data` payload. */
export interface WebhookMessage {
  event: WebhookEvent
  payload: Record<string, unknown>
}

export interface WebhookAttemptResult {
  success: boolean
  responseStatus?: number
  responseBody?: string
  errorMessage?: string
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504])

/** Python's `datetime.now(timezone.utc).isoformat()`: microseconds and `+00:00`. */
function isoTimestamp(now: Date): string {
  return now.toISOString().replace('Z', '000+00:00')
}

/** MLflow's signature: `v1,<base64 HMAC-SHA256(secret, "<delivery id>.<unix seconds>.<body>")>`. */
export function signWebhookPayload(options: {
  secret: string
  deliveryId: string
  timestamp: string
  body: string
}): string {
  const digest = createHmac('sha256', options.secret)
    .update(`${options.deliveryId}.${options.timestamp}.${options.body}`)
    .digest('base64')
  return `v1,${digest}`
}

/**
 * Delivers registry events to webhooks in the background, as MLflow does (POST of
 * `{"entity","action","timestamp","data"}` with `X-MLflow-Delivery-Id`, `X-MLflow-Timestamp` and, with a
 * secret, `X-MLflow-Signature`), with a timeout per attempt and retries with exponential backoff.
 * `emit` never waits: a slow or dead receiver cannot slow the write that raised the event. Every
 * delivery is logged in the store (`webhook_deliveries`).
 */
export class WebhookDispatcher {
  readonly #inFlight = new Set<Promise<void>>()
  #closed = false

  constructor(
    private readonly store: RegistryStore,
    private readonly options: WebhookDeliveryOptions,
    private readonly logger: { error(message: string, error?: unknown): void } = console,
  ) {}

  /** Schedules `produce` (which may read the store to decide the event) and its deliveries. */
  emit(produce: () => Promise<WebhookMessage | undefined> | WebhookMessage | undefined): void {
    if (this.#closed) return
    const task = (async () => {
      const message = await produce()
      if (!message) return
      const webhooks = await this.store.listWebhooksForEvent(message.event)
      await Promise.all(
        webhooks.map((webhook) => this.deliver(webhook, message, { retries: this.options.maxRetries })),
      )
    })().catch((error: unknown) => this.logger.error('Webhook delivery failed', error))
    this.#inFlight.add(task)
    void task.finally(() => this.#inFlight.delete(task))
  }

  /** Resolves when every delivery scheduled so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  /** Stops accepting events; deliveries under way finish. */
  close(): void {
    this.#closed = true
  }

  /** Sends one message to one webhook (with retries), logging the delivery; never throws. */
  async deliver(
    webhook: DeliverableWebhook,
    message: WebhookMessage,
    options: { retries: number },
  ): Promise<WebhookAttemptResult> {
    const deliveryId = randomUUID()
    const createdAt = Date.now()
    await this.store
      .recordWebhookDelivery({
        deliveryId,
        webhookId: webhook.webhookId,
        entity: message.event.entity,
        action: message.event.action,
        state: 'pending',
        attempts: 0,
        createdAt,
      })
      .catch((error: unknown) => this.logger.error('Could not log a webhook delivery', error))
    const body = JSON.stringify({
      entity: message.event.entity,
      action: message.event.action,
      timestamp: isoTimestamp(new Date()),
      data: message.payload,
    })
    let result: WebhookAttemptResult = { success: false }
    let attempts = 0
    for (;;) {
      attempts++
      result = await this.attempt(webhook, deliveryId, body)
      const retryable =
        result.responseStatus === undefined
          ? result.errorMessage !== undefined
          : RETRY_STATUSES.has(result.responseStatus)
      if (result.success || !retryable || attempts > options.retries) break
      const base = Math.min(this.options.backoffMs * 2 ** (attempts - 1), this.options.maxBackoffMs)
      await new Promise((resolve) =>
        setTimeout(resolve, base + Math.random() * this.options.backoffMs).unref(),
      )
    }
    const update = {
      deliveryId,
      state: result.success ? ('succeeded' as const) : ('failed' as const),
      attempts,
      lastAttemptAt: Date.now(),
      ...(result.responseStatus !== undefined && { responseStatus: result.responseStatus }),
      ...(result.errorMessage !== undefined && { errorMessage: result.errorMessage }),
    }
    await this.store
      .updateWebhookDelivery(update)
      .catch((error: unknown) => this.logger.error('Could not log a webhook delivery', error))
    return result
  }

  private async attempt(
    webhook: DeliverableWebhook,
    deliveryId: string,
    body: string,
  ): Promise<WebhookAttemptResult> {
    const timestamp = String(Math.floor(Date.now() / 1000))
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-MLflow-Delivery-Id': deliveryId,
      'X-MLflow-Timestamp': timestamp,
    }
    if (webhook.secret) {
      headers['X-MLflow-Signature'] = signWebhookPayload({
        secret: webhook.secret,
        deliveryId,
        timestamp,
        body,
      })
    }
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      })
      const responseBody = await response.text()
      return { success: response.status < 400, responseStatus: response.status, responseBody }
    } catch (error) {
      const reason =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error)
      return { success: false, errorMessage: `Failed to send webhook to ${webhook.url}: ${reason}` }
    }
  }
}
