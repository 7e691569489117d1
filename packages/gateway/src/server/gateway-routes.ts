import { MlflowError } from '@cairn/core'
import type { Gateway, InvocationKind, InvocationStream } from '../gateway.js'
import { RETRY_AFTER } from '../routing/route-call.js'
import type { EndpointType } from '../types.js'
import { parseChatRequest, parseCompletionsRequest, parseEmbeddingsRequest } from './validate-payload.js'

/** A request as the routes see it, whatever the HTTP server. */
export interface GatewayHttpRequest {
  method: string
  /** Path without the query string. */
  path: string
  query: URLSearchParams
  header(name: string): string | undefined
  /** The body, parsed from JSON (undefined when empty); a parse failure is reported as `bodyError`. */
  body: unknown
  bodyError?: string
  remoteAddress: string
  signal?: AbortSignal
}

export type GatewayHttpResponse =
  | { status: number; headers: Record<string, string>; body: string }
  | { status: 200; headers: Record<string, string>; stream: AsyncIterable<string> }

const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
}
const LIST_PAGE_SIZE = 3000
const KIND_OF_TYPE: Record<EndpointType, InvocationKind> = {
  'llm/v1/chat': 'chat',
  'llm/v1/completions': 'completions',
  'llm/v1/embeddings': 'embeddings',
}

function json(value: unknown, status = 200): GatewayHttpResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(value) }
}

/** Answers one request; every failure becomes MLflow's `{"error_code", "message"}` (plus OpenAI's `error` under `/v1`). */
export async function handleGatewayRequest(
  gateway: Gateway,
  request: GatewayHttpRequest,
): Promise<GatewayHttpResponse> {
  try {
    return await route(gateway, request)
  } catch (error) {
    return errorResponse(error, request.path.startsWith('/v1/'), gateway)
  }
}

export function errorResponse(error: unknown, openAiShape: boolean, gateway?: Gateway): GatewayHttpResponse {
  const mlflowError =
    error instanceof MlflowError
      ? error
      : new MlflowError(
          'INTERNAL_ERROR',
          gateway ? gateway.redact(String((error as Error)?.message ?? error)) : 'Internal error',
        )
  if (!(error instanceof MlflowError))
    console.error(
      'cairn gateway: unexpected error:',
      gateway ? gateway.redact(String((error as Error)?.stack ?? error)) : error,
    )
  const body: Record<string, unknown> = { ...mlflowError.toJSON() }
  if (openAiShape)
    body.error = {
      message: mlflowError.message,
      type: openAiErrorType(mlflowError.httpStatus),
      code: mlflowError.code,
      param: null,
    }
  const headers: Record<string, string> = { ...JSON_HEADERS }
  const retryAfter = (mlflowError as MlflowError & { [RETRY_AFTER]?: number })[RETRY_AFTER]
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
  return { status: mlflowError.httpStatus, headers, body: JSON.stringify(body) }
}

function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 429) return 'rate_limit_error'
  if (status < 500) return 'invalid_request_error'
  return 'api_error'
}

function bearer(request: GatewayHttpRequest): string | undefined {
  const header = request.header('authorization')
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim() || undefined
  return request.header('x-api-key') || undefined
}

function requireJsonBody(request: GatewayHttpRequest): Record<string, unknown> {
  if (request.bodyError) throw new MlflowError('INVALID_PARAMETER_VALUE', request.bodyError)
  if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body))
    throw new MlflowError('INVALID_PARAMETER_VALUE', 'The request body must be a JSON object')
  return request.body as Record<string, unknown>
}

function requireAdmin(gateway: Gateway, request: GatewayHttpRequest): void {
  if (!gateway.isAdmin(bearer(request), request.remoteAddress))
    throw new MlflowError('PERMISSION_DENIED', 'This operation needs the gateway admin key')
}

/**
 * Usage holds every key's calls and, for endpoints with `logging: true`, the prompts and answers: once the
 * gateway needs keys it is the admin's (or, without an admin key, this machine's) to read.
 */
function requireUsageReader(gateway: Gateway, request: GatewayHttpRequest): void {
  if (gateway.config.adminKeyHash || gateway.requiresApiKey) requireAdmin(gateway, request)
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Malformed percent-encoding in path segment '${segment}'`,
    )
  }
}

async function route(gateway: Gateway, request: GatewayHttpRequest): Promise<GatewayHttpResponse> {
  const { method, path } = request
  const segments = path.split('/').filter(Boolean).map(decodeSegment)
  if (method === 'POST') {
    // /endpoints/{name}/invocations and the legacy /gateway/{name}/invocations
    if (
      segments.length === 3 &&
      (segments[0] === 'endpoints' || segments[0] === 'gateway') &&
      segments[2] === 'invocations'
    )
      return invokeByName(gateway, request, segments[1]!, false)
    if (path === '/v1/chat/completions') return invokeOpenAi(gateway, request, 'chat')
    if (path === '/v1/completions') return invokeOpenAi(gateway, request, 'completions')
    if (path === '/v1/embeddings') return invokeOpenAi(gateway, request, 'embeddings')
    if (path === '/api/2.0/gateway/api-keys') return createApiKey(gateway, request)
    if (path.startsWith('/api/2.0/endpoints/limits') || path.startsWith('/api/2.0/gateway/limits'))
      throw new MlflowError(
        'NOT_IMPLEMENTED',
        'The set_limits API is not available; configure limits in the gateway config',
      )
  }
  if (method === 'GET') {
    if (path === '/health' || path === '/api/2.0/gateway/health') return json({ status: 'OK' })
    if (path === '/api/2.0/endpoints' || path === '/api/2.0/endpoints/')
      return listEndpoints(gateway, request)
    if (path === '/api/2.0/gateway/routes' || path === '/api/2.0/gateway/routes/')
      return listLegacyRoutes(gateway, request)
    if (
      segments[0] === 'api' &&
      segments[1] === '2.0' &&
      segments[2] === 'endpoints' &&
      segments.length === 4
    ) {
      if (segments[3] === 'limits')
        throw new MlflowError('NOT_IMPLEMENTED', 'The get_limits API is not available')
      return json(gateway.getEndpoint(segments[3]!))
    }
    if (segments[0] === 'api' && segments[2] === 'endpoints' && segments[3] === 'limits')
      throw new MlflowError('NOT_IMPLEMENTED', 'The get_limits API is not available')
    if (path.startsWith('/api/2.0/gateway/routes/') && segments.length === 5)
      return json(legacyRoute(gateway.getEndpoint(segments[4]!)))
    if (path.startsWith('/api/3.0/gateway/endpoint/') && segments.length === 5)
      return json(gateway.getEndpoint(segments[4]!))
    if (path === '/v1/models') return json({ object: 'list', data: gateway.listModels().map(toOpenAiModel) })
    if (segments[0] === 'v1' && segments[1] === 'models' && segments.length === 3) {
      const model = gateway.listModels().find((item) => item.id === segments[2])
      if (!model)
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `The model '${segments[2]}' does not exist`)
      return json(toOpenAiModel(model))
    }
    if (path === '/metrics')
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; version=0.0.4' },
        body: gateway.renderMetrics(),
      }
    if (path === '/api/2.0/gateway/usage') return searchUsage(gateway, request)
    if (path === '/api/2.0/gateway/usage/summary') return summarizeUsage(gateway, request)
    if (path === '/api/2.0/gateway/api-keys') {
      requireAdmin(gateway, request)
      const keys = await gateway.store.listApiKeys()
      return json({ api_keys: keys.map(toApiKeyJson) })
    }
  }
  if (method === 'DELETE' && segments.length === 5 && path.startsWith('/api/2.0/gateway/api-keys/')) {
    requireAdmin(gateway, request)
    await gateway.deleteApiKey(segments[4]!)
    return json({})
  }
  throw new MlflowError('ENDPOINT_NOT_FOUND', `No gateway route for ${method} ${path}`)
}

async function invokeByName(
  gateway: Gateway,
  request: GatewayHttpRequest,
  name: string,
  openAi: boolean,
): Promise<GatewayHttpResponse> {
  const type = gateway.typeOf(name)
  if (!type)
    throw new MlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `The endpoint '${name}' is not present or active on the server. Please verify the endpoint name.`,
    )
  return invoke(gateway, request, name, KIND_OF_TYPE[type], openAi)
}

async function invokeOpenAi(
  gateway: Gateway,
  request: GatewayHttpRequest,
  kind: InvocationKind,
): Promise<GatewayHttpResponse> {
  const body = requireJsonBody(request)
  if (typeof body.model !== 'string' || !body.model)
    throw new MlflowError('INVALID_PARAMETER_VALUE', "'model' must name a gateway endpoint or route")
  return invoke(gateway, request, body.model, kind, true)
}

async function invoke(
  gateway: Gateway,
  request: GatewayHttpRequest,
  name: string,
  kind: InvocationKind,
  openAi: boolean,
): Promise<GatewayHttpResponse> {
  const body = requireJsonBody(request)
  const caller = await gateway.authenticate(bearer(request), request.remoteAddress)
  const options = { caller, signal: request.signal }
  if (kind === 'chat') parseChatRequest(body)
  else if (kind === 'completions') parseCompletionsRequest(body)
  else parseEmbeddingsRequest(body)
  if (body.stream === true) {
    if (kind === 'embeddings')
      throw new MlflowError('INVALID_PARAMETER_VALUE', 'Embeddings cannot be streamed')
    const wantsUsage =
      (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true
    const stream = await gateway.invokeStream(name, kind, body, options)
    return {
      status: 200,
      headers: SSE_HEADERS,
      stream: toSse(stream, { openAi, wantsUsage: wantsUsage || !openAi, gateway }),
    }
  }
  return json(await gateway.invoke(name, kind, body, options))
}

async function* toSse(
  stream: InvocationStream,
  options: { openAi: boolean; wantsUsage: boolean; gateway: Gateway },
): AsyncGenerator<string> {
  try {
    for await (const chunk of stream.chunks) {
      if (!options.wantsUsage && chunk.usage) {
        if (chunk.choices.length === 0) continue
        delete chunk.usage
      }
      yield `data: ${JSON.stringify(chunk)}\n\n`
    }
    if (options.openAi) yield 'data: [DONE]\n\n'
  } catch (error) {
    const response = errorResponse(error, true, options.gateway)
    if ('body' in response) yield `data: ${response.body}\n\n`
  }
}

function listEndpoints(gateway: Gateway, request: GatewayHttpRequest): GatewayHttpResponse {
  const start = decodePageToken(request.query.get('page_token'))
  const all = gateway.listEndpoints()
  const page = all.slice(start, start + LIST_PAGE_SIZE)
  const result: Record<string, unknown> = { endpoints: page }
  if (start + LIST_PAGE_SIZE < all.length) result.next_page_token = encodePageToken(start + LIST_PAGE_SIZE)
  return json(result)
}

function listLegacyRoutes(gateway: Gateway, request: GatewayHttpRequest): GatewayHttpResponse {
  const start = decodePageToken(request.query.get('page_token'))
  const all = gateway.listEndpoints()
  const result: Record<string, unknown> = {
    routes: all.slice(start, start + LIST_PAGE_SIZE).map(legacyRoute),
  }
  if (start + LIST_PAGE_SIZE < all.length) result.next_page_token = encodePageToken(start + LIST_PAGE_SIZE)
  return json(result)
}

function legacyRoute(endpoint: ReturnType<Gateway['getEndpoint']>) {
  return {
    name: endpoint.name,
    route_type: endpoint.endpoint_type,
    model: endpoint.model,
    route_url: endpoint.endpoint_url,
    limit: endpoint.limit,
  }
}

function encodePageToken(index: number): string {
  return Buffer.from(JSON.stringify({ index })).toString('base64')
}

function decodePageToken(token: string | null): number {
  if (!token) return 0
  try {
    const index = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { index?: unknown }).index
    if (Number.isInteger(index) && (index as number) >= 0) return index as number
  } catch {}
  throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid page_token '${token}'`)
}

function toOpenAiModel(model: { id: string; endpointType: EndpointType; provider: string }) {
  return {
    id: model.id,
    object: 'model',
    created: 0,
    owned_by: model.provider,
    endpoint_type: model.endpointType,
  }
}

function usageFilter(request: GatewayHttpRequest) {
  const number = (name: string): number | undefined => {
    const value = request.query.get(name)
    if (value === null || value === '') return undefined
    const parsed = Number(value)
    if (!Number.isFinite(parsed) || parsed < 0)
      throw new MlflowError('INVALID_PARAMETER_VALUE', `'${name}' must be a non-negative number`)
    return parsed
  }
  const maxResults = number('max_results')
  if (maxResults !== undefined && (maxResults < 1 || maxResults > 50_000 || !Number.isInteger(maxResults)))
    throw new MlflowError('INVALID_PARAMETER_VALUE', "'max_results' must be an integer from 1 to 50000")
  return {
    endpoint: request.query.get('endpoint') ?? undefined,
    keyId: request.query.get('key_id') ?? undefined,
    provider: request.query.get('provider') ?? undefined,
    startTime: number('start_time'),
    endTime: number('end_time'),
    maxResults: maxResults ?? 1000,
  }
}

async function searchUsage(gateway: Gateway, request: GatewayHttpRequest): Promise<GatewayHttpResponse> {
  requireUsageReader(gateway, request)
  const filter = usageFilter(request)
  await gateway.flushUsage()
  const records = await gateway.store.searchUsage(filter)
  return json({
    usage: records.map((record) => ({
      request_id: record.requestId,
      timestamp: record.timestamp,
      endpoint: record.endpoint,
      provider: record.provider,
      model: record.model,
      key_id: record.keyId,
      input_tokens: record.inputTokens,
      output_tokens: record.outputTokens,
      latency_ms: record.latencyMs,
      status: record.status,
      cost_usd: record.costUsd,
      stream: record.stream,
      ...(record.requestBody ? { request_body: record.requestBody } : {}),
      ...(record.responseBody ? { response_body: record.responseBody } : {}),
      ...(record.errorMessage ? { error_message: record.errorMessage } : {}),
    })),
  })
}

async function summarizeUsage(gateway: Gateway, request: GatewayHttpRequest): Promise<GatewayHttpResponse> {
  requireUsageReader(gateway, request)
  const filter = usageFilter(request)
  await gateway.flushUsage()
  const rows = await gateway.store.summarizeUsage(filter)
  return json({
    summary: rows.map((row) => ({
      endpoint: row.endpoint,
      provider: row.provider,
      model: row.model,
      key_id: row.keyId,
      calls: row.calls,
      errors: row.errors,
      input_tokens: row.inputTokens,
      output_tokens: row.outputTokens,
      cost_usd: row.costUsd,
    })),
  })
}

async function createApiKey(gateway: Gateway, request: GatewayHttpRequest): Promise<GatewayHttpResponse> {
  requireAdmin(gateway, request)
  const body = requireJsonBody(request)
  if (typeof body.name !== 'string') throw new MlflowError('INVALID_PARAMETER_VALUE', "'name' is required")
  const optionalNumber = (name: string, integer: boolean): number | undefined => {
    const value = body[name]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value)))
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `'${name}' must be a positive ${integer ? 'integer' : 'number'}`,
      )
    return value
  }
  const period = body.budget_period
  if (period !== undefined && period !== 'day' && period !== 'month' && period !== 'total')
    throw new MlflowError('INVALID_PARAMETER_VALUE', "'budget_period' must be day, month or total")
  const endpoints = body.endpoints ?? []
  if (!Array.isArray(endpoints) || endpoints.some((item) => typeof item !== 'string'))
    throw new MlflowError('INVALID_PARAMETER_VALUE', "'endpoints' must be a list of endpoint names")
  const { record, secret } = await gateway.createApiKey({
    name: body.name,
    endpoints: endpoints as string[],
    requestsPerMinute: optionalNumber('requests_per_minute', true),
    tokensPerMinute: optionalNumber('tokens_per_minute', true),
    budgetUsd: optionalNumber('budget_usd', false),
    budgetPeriod: period as 'day' | 'month' | 'total' | undefined,
  })
  return json({ api_key: toApiKeyJson(record), secret })
}

function toApiKeyJson(record: Awaited<ReturnType<Gateway['store']['listApiKeys']>>[number]) {
  return {
    key_id: record.keyId,
    name: record.name,
    key_prefix: record.keyPrefix,
    creation_time: record.creationTime,
    endpoints: record.endpoints,
    requests_per_minute: record.requestsPerMinute ?? null,
    tokens_per_minute: record.tokensPerMinute ?? null,
    budget_usd: record.budgetUsd ?? null,
    budget_period: record.budgetPeriod ?? null,
  }
}
