import { DEFAULT_WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhook-dispatcher.js'

/** Webhook delivery and URL policy. */
export interface WebhookSettings extends WebhookDeliveryOptions {
  /** URL schemes a webhook may use (default `http`, `https`; MLflow: `MLFLOW_WEBHOOK_ALLOWED_SCHEMES`). */
  allowedSchemes: string[]
}

function positiveNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

/**
 * Reads MLflow's webhook variables: `MLFLOW_WEBHOOK_REQUEST_TIMEOUT` (s), `…_MAX_RETRIES`, `…_ALLOWED_SCHEMES`,
 * `MLFLOW_WEBHOOK_CACHE_TTL` (s; Cairn caches only which events have subscribers) and
 * `MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS` (deliveries in flight per process).
 */
export function readWebhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const timeout = positiveNumber(env.MLFLOW_WEBHOOK_REQUEST_TIMEOUT)
  const retries = positiveNumber(env.MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES)
  const cacheTtl = positiveNumber(env.MLFLOW_WEBHOOK_CACHE_TTL)
  const workers = positiveNumber(env.MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS)
  const schemes = env.MLFLOW_WEBHOOK_ALLOWED_SCHEMES?.split(',')
    .map((scheme) => scheme.trim().toLowerCase())
    .filter((scheme) => scheme !== '')
  return {
    ...DEFAULT_WEBHOOK_DELIVERY_OPTIONS,
    ...(timeout !== undefined && { timeoutMs: timeout * 1000 }),
    ...(retries !== undefined && { maxRetries: Math.floor(retries) }),
    ...(cacheTtl !== undefined && { subscriptionTtlMs: cacheTtl * 1000 }),
    ...(workers !== undefined && workers >= 1 && { concurrency: Math.floor(workers) }),
    allowedSchemes: schemes && schemes.length > 0 ? schemes : ['http', 'https'],
  }
}
