import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import { parseRetryAfter, UpstreamError } from './upstream-error.js'

/**
 * Provider calls over node:http with keep-alive agents: measured cheaper per call than the global fetch
 * (undici's WHATWG streams cost tens of microseconds per request and per chunk; see bench/gateway.mjs).
 */
const HTTP_AGENT = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 10_000, noDelay: true })
const HTTPS_AGENT = new https.Agent({
  keepAlive: true,
  maxSockets: 512,
  keepAliveMsecs: 10_000,
  noDelay: true,
})

/**
 * The largest non-streamed provider answer read (a large embeddings batch stays well below it). Beyond it the
 * call fails instead of buffering without bound: past V8's longest string, decoding would throw from an
 * event listener and take the process down.
 */
export const MAX_UPSTREAM_BODY_BYTES = 128 * 1024 * 1024
/** Only the start of an error body is used for the message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024

export interface UpstreamRequest {
  url: string
  method?: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  /** Longest silence of the provider: before the response headers, and then between two chunks of the body. */
  timeoutMs: number
  signal?: AbortSignal
  /** Names the provider in error messages. */
  provider: string
  /** The largest answer read; `MAX_UPSTREAM_BODY_BYTES` when absent. */
  maxBodyBytes?: number
}

export interface UpstreamResponse {
  status: number
  headers: IncomingHttpHeaders
  body: IncomingMessage
}

/** Sends the request; resolves once the response headers are in, whatever the status. */
export function sendUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  const url = new URL(request.url)
  const secure = url.protocol === 'https:'
  const transport = secure ? https : http
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers }
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body)
    const outgoing = transport.request(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: request.method ?? 'POST',
        headers,
        agent: secure ? HTTPS_AGENT : HTTP_AGENT,
        signal: request.signal,
      },
      (response) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response }),
    )
    // Socket inactivity: before the headers, and between two chunks of the body (streams included). The
    // request owns the listener, so sockets reused by the keep-alive agent do not collect them.
    outgoing.setTimeout(request.timeoutMs, () =>
      outgoing.destroy(
        new UpstreamError('timeout', `${request.provider} did not answer within ${request.timeoutMs} ms`, {
          provider: request.provider,
        }),
      ),
    )
    outgoing.on('error', (error) => reject(toUpstreamError(error, request.provider)))
    outgoing.end(request.body)
  })
}

function toUpstreamError(error: unknown, provider: string): UpstreamError {
  if (error instanceof UpstreamError) return error
  const code = (error as { code?: string }).code
  if ((error as Error).name === 'AbortError')
    return new UpstreamError('connection', 'the request was cancelled')
  return new UpstreamError(
    'connection',
    `could not reach ${provider} (${code ?? (error as Error).message})`,
    {
      provider,
    },
  )
}

/**
 * The whole body as text; a body cut short is a `stream-dropped` failure, one longer than `maxBytes` an
 * `invalid-response` (or, with `truncate`, its first `maxBytes`).
 */
export function readBody(
  response: UpstreamResponse,
  provider: string,
  { maxBytes = MAX_UPSTREAM_BODY_BYTES, truncate = false }: { maxBytes?: number; truncate?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const body = response.body
    const dropped = () =>
      new UpstreamError('stream-dropped', `${provider} closed the connection mid-response`, { provider })
    body.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) {
        chunks.push(chunk)
        return
      }
      body.removeAllListeners('data')
      if (truncate) {
        chunks.push(chunk.subarray(0, chunk.length - (size - maxBytes)))
        resolve(Buffer.concat(chunks).toString('utf8'))
      } else
        reject(
          new UpstreamError('invalid-response', `${provider} answered with more than ${maxBytes} bytes`, {
            provider,
          }),
        )
      body.destroy()
    })
    body.once('error', (error) => reject(error instanceof UpstreamError ? error : dropped()))
    body.once('end', () => {
      if (!body.complete) reject(dropped())
      else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'))
    })
    body.once('aborted', () => reject(dropped()))
  })
}

/** Extracts a provider's error message from its error body. */
export type ErrorMessageReader = (body: unknown) => string | undefined

/** Turns a non-2xx answer into an UpstreamError carrying status, Retry-After and the provider's message. */
export async function upstreamHttpError(
  response: UpstreamResponse,
  provider: string,
  readMessage: ErrorMessageReader,
): Promise<UpstreamError> {
  let text = ''
  try {
    text = await readBody(response, provider, { maxBytes: MAX_ERROR_BODY_BYTES, truncate: true })
  } catch {}
  let message: string | undefined
  try {
    message = readMessage(JSON.parse(text))
  } catch {}
  message ??= text.slice(0, 500) || `HTTP ${response.status}`
  return new UpstreamError('http', `${provider} answered ${response.status}: ${message}`, {
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers['retry-after'], response.headers['retry-after-ms']),
    provider,
  })
}

/** POSTs JSON and parses the JSON answer; non-2xx answers reject with an UpstreamError. */
export async function requestJson(
  request: UpstreamRequest,
  readMessage: ErrorMessageReader,
): Promise<unknown> {
  const response = await sendUpstream({
    ...request,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...request.headers },
  })
  if (response.status < 200 || response.status > 299)
    throw await upstreamHttpError(response, request.provider, readMessage)
  const text = await readBody(response, request.provider, { maxBytes: request.maxBodyBytes })
  try {
    return JSON.parse(text)
  } catch {
    throw new UpstreamError('invalid-response', `${request.provider} answered with a body that is not JSON`, {
      provider: request.provider,
    })
  }
}

/** Starts a streamed call; non-2xx answers reject with an UpstreamError before any chunk is read. */
export async function openStream(
  request: UpstreamRequest,
  readMessage: ErrorMessageReader,
  accept = 'text/event-stream',
): Promise<UpstreamResponse> {
  const response = await sendUpstream({
    ...request,
    headers: { 'content-type': 'application/json', accept, ...request.headers },
  })
  if (response.status < 200 || response.status > 299)
    throw await upstreamHttpError(response, request.provider, readMessage)
  return response
}

/** `error.message` of an OpenAI-style body (`{"error": {"message": …}}`), or a top-level `message`/`error` string. */
export function readCommonErrorMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined
  const record = body as Record<string, unknown>
  const error = record.error
  if (typeof error === 'string') return error
  if (error && typeof error === 'object') {
    const message = (error as Record<string, unknown>).message
    if (typeof message === 'string') return message
  }
  if (typeof record.message === 'string') return record.message
  if (typeof record.detail === 'string') return record.detail
  return undefined
}
