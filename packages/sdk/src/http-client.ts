import { MlflowError, parseExactJson, stringifyExactJson } from '@cairn/core'
import { readEnv } from './environment.js'

/** How failed calls are retried. */
export interface RetryOptions {
  /** Retries after the first attempt. Default `MLFLOW_HTTP_REQUEST_MAX_RETRIES` or 5; 0 turns retries off. */
  maxRetries?: number
  /** Delay before the first retry, doubled for each further one. Default 500 ms. */
  initialDelayMs?: number
  /** Upper bound of one backoff delay. Default 10 s. */
  maxDelayMs?: number
  /** Upper bound of a delay asked for by a `Retry-After` header. Default 60 s. */
  maxRetryAfterMs?: number
}

/** Connection settings shared by every call of a client. */
export interface HttpClientOptions {
  /** Base URL of the tracking server, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  trackingUri: string
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** With `password`, sent as HTTP Basic authentication (ignored when `token` is set). */
  username?: string
  /** With `username`, sent as HTTP Basic authentication. */
  password?: string
  /** Extra headers sent with every request. */
  headers?: Record<string, string>
  /** Time limit of one attempt in milliseconds. Default `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds) or 120 s. */
  timeoutMs?: number
  /** Retry policy for 429, 5xx (other than 501) and network errors. */
  retries?: RetryOptions
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch
}

/** One call to the REST API. */
export interface HttpRequest {
  /** HTTP method; GET sends `query`, the others send `body` as JSON. */
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Path below the tracking URI, e.g. `/api/2.0/mlflow/runs/create`. */
  path: string
  /** Query fields of a GET; arrays become repeated keys, `undefined` is left out. */
  query?: Record<string, string | number | boolean | readonly string[] | undefined>
  /** JSON body of other methods. */
  body?: unknown
}

/** A call with a raw body (artifact uploads and downloads). */
export interface RawHttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  /** Path below the tracking URI, already percent-encoded. */
  path: string
  query?: HttpRequest['query']
  body?: BodyInit
  headers?: Record<string, string>
  signal?: AbortSignal
}

const DEFAULT_MAX_RETRIES = 5
const DEFAULT_TIMEOUT_MS = 120_000

/**
 * Sends JSON requests to a tracking server: authentication, per-attempt timeouts, retries with
 * exponential backoff and jitter (honouring `Retry-After`), and error bodies turned into `MlflowError`.
 */
export class HttpClient {
  /** The tracking URI without trailing slashes. */
  readonly baseUrl: string
  private readonly headers: Record<string, string>
  private readonly timeoutMs: number
  private readonly maxRetries: number
  private readonly initialDelayMs: number
  private readonly maxDelayMs: number
  private readonly maxRetryAfterMs: number
  private readonly fetchImpl: typeof fetch

  constructor(options: HttpClientOptions) {
    if (!/^https?:\/\//i.test(options.trackingUri)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Tracking URI '${options.trackingUri}' is not an http(s) URL; the SDK talks to a tracking server over REST`,
      )
    }
    this.baseUrl = options.trackingUri.replace(/\/+$/, '')
    this.headers = { ...options.headers }
    if (options.token) {
      this.headers.Authorization = `Bearer ${options.token}`
    } else if (options.username !== undefined && options.password !== undefined) {
      this.headers.Authorization = `Basic ${base64(`${options.username}:${options.password}`)}`
    }
    const envTimeout = Number(readEnv('MLFLOW_HTTP_REQUEST_TIMEOUT'))
    this.timeoutMs = options.timeoutMs ?? (envTimeout > 0 ? envTimeout * 1000 : DEFAULT_TIMEOUT_MS)
    const envRetries = readEnv('MLFLOW_HTTP_REQUEST_MAX_RETRIES')
    this.maxRetries =
      options.retries?.maxRetries ?? (envRetries !== undefined ? Number(envRetries) : DEFAULT_MAX_RETRIES)
    this.initialDelayMs = options.retries?.initialDelayMs ?? 500
    this.maxDelayMs = options.retries?.maxDelayMs ?? 10_000
    this.maxRetryAfterMs = options.retries?.maxRetryAfterMs ?? 60_000
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  }

  /** Sends a request and answers the parsed JSON body of a 200 answer. */
  async request<T>(request: HttpRequest): Promise<T> {
    const url = this.baseUrl + request.path + encodeQuery(request.query)
    const init: RequestInit = { method: request.method, headers: { ...this.headers } }
    if (request.method !== 'GET' && request.body !== undefined) {
      // int64 fields (metric steps and timestamps) may be bigints: written as bare JSON integers.
      init.body = stringifyExactJson(request.body)
      ;(init.headers as Record<string, string>)['Content-Type'] = 'application/json'
    }
    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < this.maxRetries
      let response: Response
      let text: string
      try {
        response = await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) })
        text = await response.text()
      } catch (error) {
        if (retriesLeft) {
          await sleep(this.backoff(attempt))
          continue
        }
        throw networkError({ error, method: request.method, url, attempts: attempt + 1 })
      }
      if (response.status === 200) return parseJson(text, url) as T
      const body = parseErrorBody(text)
      if (retriesLeft && isRetryable(response.status, body)) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
        await sleep(
          retryAfter !== undefined ? Math.min(retryAfter, this.maxRetryAfterMs) : this.backoff(attempt),
        )
        continue
      }
      throw MlflowError.fromBody(response.status, body)
    }
  }

  /**
   * Sends a request with a raw (possibly streamed) body and answers the `Response` of a 2xx, its
   * body unread. No time limit and no retries: a streamed body cannot be sent twice, and a large
   * transfer may rightly take long. Error answers become `MlflowError`.
   */
  async send(request: RawHttpRequest): Promise<Response> {
    const url = this.baseUrl + request.path + encodeQuery(request.query)
    const init: RequestInit & { duplex?: 'half' } = {
      method: request.method,
      headers: { ...this.headers, ...request.headers },
      body: request.body,
      signal: request.signal,
    }
    // fetch needs this to stream a request body.
    if (typeof ReadableStream !== 'undefined' && request.body instanceof ReadableStream) init.duplex = 'half'
    let response: Response
    try {
      response = await this.fetchImpl(url, init)
    } catch (error) {
      throw networkError({ error, method: request.method, url, attempts: 1 })
    }
    if (response.status >= 200 && response.status < 300) return response
    throw MlflowError.fromBody(response.status, parseErrorBody(await response.text()))
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** attempt)
    return ceiling / 2 + (Math.random() * ceiling) / 2
  }
}

function isRetryable(status: number, body: unknown): boolean {
  if (status === 429) return true
  if (status < 500 || status === 501) return false
  // INVALID_STATE is a 500 that no retry can fix (e.g. renaming a deleted experiment).
  const code = body && typeof body === 'object' ? (body as { error_code?: unknown }).error_code : undefined
  return code !== 'INVALID_STATE' && code !== 'NOT_IMPLEMENTED'
}

function networkError(options: {
  error: unknown
  method: string
  url: string
  attempts: number
}): MlflowError {
  const { error, method, url, attempts } = options
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
  const reason =
    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`
  return new MlflowError(
    timedOut ? 'DEADLINE_EXCEEDED' : 'TEMPORARILY_UNAVAILABLE',
    `${method} ${url} failed after ${tries}: ${timedOut ? 'timed out' : reason}`,
    { cause: error },
  )
}

function parseJson(text: string, url: string): unknown {
  if (text.trim() === '') return {}
  try {
    // Integers beyond ±2^53 (int64 steps and timestamps) come back as exact bigints.
    return parseExactJson(text)
  } catch (error) {
    throw new MlflowError('INTERNAL_ERROR', `Answer of ${url} is not JSON: ${text.slice(0, 200)}`, {
      cause: error,
    })
  }
}

function parseErrorBody(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function encodeQuery(query: HttpRequest['query']): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const item of value) params.append(key, item)
    } else {
      params.append(key, String(value))
    }
  }
  const encoded = params.toString()
  return encoded === '' ? '' : `?${encoded}`
}

function base64(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
