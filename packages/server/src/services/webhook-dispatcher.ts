import { createHmac, randomUUID } from 'node:crypto'
import type { WebhookEvent } from '@cairn/core'
import type { ClaimedWebhookDelivery, DeliverableWebhook, RegistryStore } from '@cairn/store'
import { WebhookSubscriptions } from './webhook-subscriptions.js'

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
  /** Deliveries one process sends at once (default 10; MLflow: `MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS`). */
  concurrency?: number
  /**
   * How long a process holds a delivery it claimed (default `timeoutMs` + 10 s); if the process dies, another
   * one takes the delivery over once this lapses.
   */
  leaseMs?: number
  /** How long the set of subscribed events is cached per process (default 2 s; `MLFLOW_WEBHOOK_CACHE_TTL`). */
  subscriptionTtlMs?: number
}

export const DEFAULT_WEBHOOK_DELIVERY_OPTIONS: WebhookDeliveryOptions = {
  timeoutMs: 30_000,
  maxRetries: 3,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
  concurrency: 10,
  subscriptionTtlMs: 2000,
}

const LEASE_MARGIN_MS = 10_000
/** Wait after a failed queue query (the database is down or closing) before trying again. */
const QUEUE_ERROR_DELAY_MS = 5000
/** Shortest sleep between two looks at the queue, so rows others hold never cause a busy loop. */
const MIN_WAKE_DELAY_MS = 50

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
/** A receiver's answer is kept only this far (the test endpoint shows it); the rest is not read. */
const MAX_RESPONSE_BODY_BYTES = 64 * 1024

async function readResponseText(response: Response, limit: number): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    const kept = value.subarray(0, limit - size)
    chunks.push(kept)
    size += kept.byteLength
    if (size >= limit) {
      await reader.cancel().catch(() => undefined)
      break
    }
  }
  return Buffer.concat(chunks).toString('utf8')
}

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

/** Makes the message of an event (it may read the store), or undefined when there is none to send. */
export type WebhookMessageProducer = () => Promise<WebhookMessage | undefined> | WebhookMessage | undefined

function retryable(result: WebhookAttemptResult): boolean {
  return result.responseStatus === undefined
    ? result.errorMessage !== undefined
    : RETRY_STATUSES.has(result.responseStatus)
}

function errorReason(error: unknown): string {
  return error instanceof Error
    ? error.cause instanceof Error
      ? error.cause.message
      : error.message
    : String(error)
}

/**
 * Delivers registry events to webhooks as MLflow does (POST of `{"entity","action","timestamp","data"}` with
 * `X-MLflow-Delivery-Id`, `X-MLflow-Timestamp` and, with a secret, `X-MLflow-Signature`), with a timeout per
 * attempt and retries with exponential backoff.
 *
 * Deliveries are durable: `emit` writes one `pending` row per subscribed webhook to `webhook_deliveries` (never
 * contacting a receiver), and every process's dispatcher claims due rows under a lease, sends one attempt,
 * and records the result or the time of the next attempt. Rows of a process that stopped are taken over once
 * their lease lapses, by any process on the database (the one restarted included). With no queued row the
 * dispatcher makes no query at all.
 */
export class WebhookDispatcher {
  readonly #owner = randomUUID()
  readonly #inFlight = new Set<Promise<unknown>>()
  readonly #subscriptions: WebhookSubscriptions
  readonly #concurrency: number
  readonly #leaseMs: number
  #active = 0
  #pumping = false
  #pumpAgain = false
  #timer: NodeJS.Timeout | undefined
  #timerAt = Number.POSITIVE_INFINITY
  #failing = false
  #closed = false

  constructor(
    private readonly store: RegistryStore,
    private readonly options: WebhookDeliveryOptions,
    private readonly logger: { error(message: string, error?: unknown): void } = console,
  ) {
    this.#subscriptions = new WebhookSubscriptions(
      store,
      options.subscriptionTtlMs ?? DEFAULT_WEBHOOK_DELIVERY_OPTIONS.subscriptionTtlMs ?? 0,
    )
    this.#concurrency = Math.max(1, options.concurrency ?? DEFAULT_WEBHOOK_DELIVERY_OPTIONS.concurrency ?? 1)
    this.#leaseMs = options.leaseMs ?? options.timeoutMs + LEASE_MARGIN_MS
  }

  /** Looks once (now, with a read) for deliveries left queued by a process that stopped, and delivers them. */
  start(): void {
    this.track(this.sleepUntilDue())
  }

  /**
   * Queues the event `produce` makes (it may read the store) for its webhooks. `candidates` are the events it
   * can make: when none has a subscriber, `produce` is not called. Resolves once the deliveries are stored;
   * never rejects (a failure is logged; the registry write that raised the event stands).
   */
  async emit(candidates: readonly WebhookEvent[], produce: WebhookMessageProducer): Promise<void> {
    if (this.#closed) return
    const task = (async () => {
      if (!(await this.#subscriptions.hasAny(candidates))) return
      const message = await produce()
      if (!message || !(await this.#subscriptions.hasAny([message.event]))) return
      const createdAt = Date.now()
      const queued = await this.store.enqueueWebhookDeliveries({
        event: message.event,
        body: JSON.stringify({
          entity: message.event.entity,
          action: message.event.action,
          timestamp: isoTimestamp(new Date(createdAt)),
          data: message.payload,
        }),
        createdAt,
      })
      if (queued > 0) this.wake()
    })().catch((error: unknown) => this.logger.error('Could not queue a webhook delivery', error))
    this.track(task)
    await task
  }

  /** Webhooks changed through this process: the next event reads the subscriptions again. */
  invalidateSubscriptions(): void {
    this.#subscriptions.invalidate()
  }

  /** Resolves when every delivery this process queued or holds has been tried (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  /** Stops claiming deliveries and waits for the attempts under way; queued ones stay for other processes. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.idle()
  }

  /** Sends one message to one webhook at once (the test endpoint), with retries, logging it; never throws. */
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
      timestamp: isoTimestamp(new Date(createdAt)),
      data: message.payload,
    })
    let result: WebhookAttemptResult = { success: false }
    let attempts = 0
    for (;;) {
      attempts++
      result = await this.attempt(webhook, deliveryId, body)
      if (result.success || !retryable(result) || attempts > options.retries) break
      await new Promise((resolve) => setTimeout(resolve, this.backoffMs(attempts)).unref())
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

  private track(task: Promise<unknown>): void {
    this.#inFlight.add(task)
    void task.finally(() => this.#inFlight.delete(task))
  }

  private backoffMs(attempts: number): number {
    const base = Math.min(this.options.backoffMs * 2 ** (attempts - 1), this.options.maxBackoffMs)
    return Math.round(base + Math.random() * this.options.backoffMs)
  }

  private wake(): void {
    this.schedule(Date.now())
  }

  private schedule(at: number): void {
    if (this.#closed || (this.#timer && this.#timerAt <= at)) return
    clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        this.#timerAt = Number.POSITIVE_INFINITY
        this.track(this.pump())
      },
      Math.max(0, at - Date.now()),
    ).unref()
  }

  /** Claims due deliveries while slots are free, then sleeps until queued work may next be due. */
  private async pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true
      return
    }
    this.#pumping = true
    try {
      do {
        this.#pumpAgain = false
        while (!this.#closed && this.#active < this.#concurrency) {
          const claimed = await this.store.claimWebhookDeliveries({
            owner: this.#owner,
            now: Date.now(),
            leaseMs: this.#leaseMs,
            limit: this.#concurrency - this.#active,
          })
          for (const delivery of claimed) this.send(delivery)
          if (claimed.length === 0) break
        }
      } while (this.#pumpAgain && !this.#closed)
    } catch (error) {
      this.queueFailed(error)
      return
    } finally {
      this.#pumping = false
    }
    await this.sleepUntilDue()
  }

  /** Sets the timer for the next queued delivery that may be due; with none queued, sets none. */
  private async sleepUntilDue(): Promise<void> {
    if (this.#closed) return
    try {
      const next = await this.store.findNextWebhookDeliveryTime()
      if (next !== undefined) this.schedule(Math.max(next, Date.now() + MIN_WAKE_DELAY_MS))
      this.#failing = false
    } catch (error) {
      this.queueFailed(error)
    }
  }

  private queueFailed(error: unknown): void {
    if (!this.#failing) this.logger.error('Could not read the webhook delivery queue', error)
    this.#failing = true
    this.schedule(Date.now() + QUEUE_ERROR_DELAY_MS)
  }

  private send(delivery: ClaimedWebhookDelivery): void {
    this.#active++
    const task = (async () => {
      const result = await this.attempt(delivery.webhook, delivery.deliveryId, delivery.body)
      const retry = !result.success && retryable(result) && delivery.attempts <= this.options.maxRetries
      const now = Date.now()
      await this.store.finishWebhookDeliveryAttempt({
        deliveryId: delivery.deliveryId,
        owner: this.#owner,
        state: result.success ? 'succeeded' : retry ? 'pending' : 'failed',
        lastAttemptAt: now,
        ...(retry && { nextAttemptAt: now + this.backoffMs(delivery.attempts) }),
        ...(result.responseStatus !== undefined && { responseStatus: result.responseStatus }),
        ...(result.errorMessage !== undefined && { errorMessage: result.errorMessage }),
      })
    })()
      .catch((error: unknown) => this.logger.error('Could not record a webhook delivery', error))
      .finally(() => {
        this.#active--
        if (!this.#closed) this.track(this.pump())
      })
    this.track(task)
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
      const responseBody = await readResponseText(response, MAX_RESPONSE_BODY_BYTES)
      return { success: response.status < 400, responseStatus: response.status, responseBody }
    } catch (error) {
      return {
        success: false,
        errorMessage: `Failed to send webhook to ${webhook.url}: ${errorReason(error)}`,
      }
    }
  }
}
