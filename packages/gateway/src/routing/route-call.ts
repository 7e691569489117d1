import { MlflowError } from '@cairn/core'
import type { EndpointConfig } from '../config/gateway-config.js'
import { UpstreamError } from '../http/upstream-error.js'
import { UnsupportedRequestError } from '../providers/provider.js'
import type { CircuitBreakers } from './circuit-breaker.js'

export interface RoutedResult<T> {
  result: T
  /** The endpoint that answered (a fallback's, when the first failed). */
  endpoint: EndpointConfig
  attempts: number
}

export interface RouteCallOptions<T> {
  /** Endpoints in the order to try them. */
  candidates: readonly EndpointConfig[]
  breakers: CircuitBreakers
  call: (endpoint: EndpointConfig) => Promise<T>
  signal?: AbortSignal
  /** Scrubs secrets from messages. */
  redact: (text: string) => string
  /** Called for each failed attempt (metrics). */
  onFailure?: (endpoint: EndpointConfig, error: UpstreamError) => void
}

/** The circuit of one endpoint's provider target. */
export function targetKey(endpoint: EndpointConfig): string {
  return `${endpoint.name}|${endpoint.model.provider}|${endpoint.model.name}`
}

/**
 * Calls the candidates in order: each gets up to `1 + retries.max_retries` attempts on retryable failures
 * (429, 5xx, timeouts, refused connections, dropped streams) with exponential backoff and full jitter, or the
 * provider's `Retry-After` when it asks for no more than `max_retry_after_seconds`; an open circuit skips the
 * candidate. Client errors (other 4xx, unsupported requests) end the call at once. When all fail, the error
 * names each failure.
 */
export async function routeCall<T>(options: RouteCallOptions<T>): Promise<RoutedResult<T>> {
  const failures: string[] = []
  let attempts = 0
  let lastError: UpstreamError | undefined
  let skippedOpen = 0
  for (const endpoint of options.candidates) {
    const target = targetKey(endpoint)
    if (!options.breakers.tryAcquire(target)) {
      skippedOpen++
      failures.push(`${endpoint.name} (${endpoint.model.provider}): circuit open after repeated failures`)
      continue
    }
    for (let attempt = 0; ; attempt++) {
      attempts++
      try {
        const result = await options.call(endpoint)
        options.breakers.recordSuccess(target)
        return { result, endpoint, attempts }
      } catch (error) {
        if (!(error instanceof UpstreamError) || options.signal?.aborted) options.breakers.release(target)
        if (error instanceof UnsupportedRequestError)
          throw new MlflowError('BAD_REQUEST', options.redact(error.message))
        if (error instanceof MlflowError) throw error
        if (options.signal?.aborted) throw new MlflowError('CANCELLED', 'the client went away')
        if (!(error instanceof UpstreamError)) throw error
        if (!error.isRetryable) {
          options.breakers.recordSuccess(target)
          throw clientError(error, options.redact)
        }
        lastError = error
        options.onFailure?.(endpoint, error)
        options.breakers.recordFailure(target, endpoint.circuitBreaker)
        const retryAfter = error.details.retryAfterMs
        const giveUp =
          attempt >= endpoint.retry.maxRetries ||
          (retryAfter !== undefined && retryAfter > endpoint.retry.maxRetryAfterMs) ||
          !options.breakers.tryAcquire(target)
        if (giveUp) {
          failures.push(`${endpoint.name} (${endpoint.model.provider}): ${error.message}`)
          break
        }
        await sleep(
          retryAfter ?? backoffMs(attempt, endpoint.retry.initialBackoffMs, endpoint.retry.maxBackoffMs),
          options.signal,
        )
      }
    }
  }
  const summary = options.redact(failures.join('; '))
  const first = options.candidates[0]?.name ?? ''
  if (!lastError && skippedOpen > 0)
    throw new MlflowError('TEMPORARILY_UNAVAILABLE', `Endpoint '${first}' is unavailable: ${summary}`)
  const status = lastError?.details.status
  if (status === 429)
    throw withRetryAfter(
      new MlflowError('REQUEST_LIMIT_EXCEEDED', `All providers for '${first}' failed: ${summary}`),
      lastError,
    )
  if (lastError?.failure === 'timeout')
    throw new MlflowError('DEADLINE_EXCEEDED', `All providers for '${first}' failed: ${summary}`)
  throw new MlflowError(
    'TEMPORARILY_UNAVAILABLE',
    `All providers for '${first}' failed after ${attempts} attempts: ${summary}`,
  )
}

/** `Retry-After` seconds to send with an error answer. */
export const RETRY_AFTER = Symbol('retryAfterSeconds')

function withRetryAfter(error: MlflowError, cause: UpstreamError | undefined): MlflowError {
  const ms = cause?.details.retryAfterMs
  ;(error as MlflowError & { [RETRY_AFTER]?: number })[RETRY_AFTER] = Math.max(
    1,
    Math.ceil((ms ?? 1000) / 1000),
  )
  return error
}

function clientError(error: UpstreamError, redact: (text: string) => string): MlflowError {
  const status = error.details.status ?? 400
  const message = redact(error.message)
  // The provider's answer could not be read: the caller's request was not at fault.
  if (error.failure === 'invalid-response')
    return new MlflowError('INTERNAL_ERROR', `The provider's answer could not be read: ${message}`)
  if (status === 401 || status === 403)
    return new MlflowError('INTERNAL_ERROR', `The gateway's provider credentials were refused: ${message}`)
  if (status === 404)
    return new MlflowError('BAD_REQUEST', `The provider does not know the model: ${message}`)
  return new MlflowError('BAD_REQUEST', message)
}

export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** attempt)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(new MlflowError('CANCELLED', 'the client went away'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Picks a destination by `traffic_percentage`. */
export function pickWeighted<T extends { trafficPercentage: number }>(
  destinations: readonly T[],
  random = Math.random(),
): T {
  let point = random * 100
  for (const destination of destinations) {
    if (point < destination.trafficPercentage) return destination
    point -= destination.trafficPercentage
  }
  return destinations.findLast((destination) => destination.trafficPercentage > 0) ?? destinations[0]!
}
