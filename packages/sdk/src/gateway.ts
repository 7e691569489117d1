/**
 * A typed client of Cairn's LLM gateway (and MLflow's gateway / deployments server): endpoint listing,
 * invocations (streamed or not), OpenAI-compatible calls, usage and API keys. Browser-safe: only `fetch`,
 * `TextDecoder` and `ReadableStream`.
 */
import { MlflowError } from '@cairn/core'

export type GatewayEndpointType = 'llm/v1/chat' | 'llm/v1/completions' | 'llm/v1/embeddings'

export interface GatewayEndpoint {
  name: string
  endpoint_type: GatewayEndpointType
  model: { name: string; provider: string }
  endpoint_url: string
  limit: { calls: number; key: string | null; renewal_period: string } | null
}

export interface GatewayChatMessage {
  role: string
  content?: string | null
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[]
  tool_call_id?: string
}

export interface GatewayChatRequest {
  messages: GatewayChatMessage[]
  temperature?: number
  max_tokens?: number
  n?: number
  stop?: string[]
  top_p?: number
  [extra: string]: unknown
}

export interface GatewayUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
}

export interface GatewayChatResponse {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: { index: number; message: GatewayChatMessage; finish_reason: string | null }[]
  usage: GatewayUsage
}

export interface GatewayChatChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: {
    index: number
    delta: { role?: string; content?: string | null }
    finish_reason: string | null
  }[]
  usage?: GatewayUsage | null
}

export interface GatewayCompletionsRequest {
  prompt: string
  temperature?: number
  max_tokens?: number
  n?: number
  stop?: string[]
  [extra: string]: unknown
}

export interface GatewayCompletionsResponse {
  id: string
  object: 'text_completion'
  created: number
  model: string
  choices: { index: number; text: string; finish_reason: string | null }[]
  usage: GatewayUsage
}

export interface GatewayCompletionsChunk {
  id: string
  object: 'text_completion_chunk'
  created: number
  model: string
  choices: { index: number; text: string; finish_reason: string | null }[]
}

export interface GatewayEmbeddingsResponse {
  object: 'list'
  data: { object: 'embedding'; embedding: number[]; index: number }[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}

export interface GatewayUsageRecord {
  request_id: string
  timestamp: number
  endpoint: string
  provider: string
  model: string
  key_id: string | null
  input_tokens: number
  output_tokens: number
  latency_ms: number
  status: number
  cost_usd: number
  stream: boolean
  request_body?: string
  response_body?: string
  error_message?: string
}

export interface GatewayUsageSummaryRow {
  endpoint: string
  provider: string
  model: string
  key_id: string | null
  calls: number
  errors: number
  input_tokens: number
  output_tokens: number
  cost_usd: number
}

export interface GatewayUsageFilter {
  endpoint?: string
  keyId?: string
  provider?: string
  startTime?: number
  endTime?: number
  maxResults?: number
}

export interface GatewayApiKey {
  key_id: string
  name: string
  key_prefix: string
  creation_time: number
  endpoints: string[]
  requests_per_minute: number | null
  tokens_per_minute: number | null
  budget_usd: number | null
  budget_period: 'day' | 'month' | 'total' | null
}

export interface CreateGatewayApiKeyRequest {
  name: string
  endpoints?: string[]
  requests_per_minute?: number
  tokens_per_minute?: number
  budget_usd?: number
  budget_period?: 'day' | 'month' | 'total'
}

export interface GatewayClientOptions {
  /** Gateway URL, e.g. `http://127.0.0.1:5000`. */
  url: string
  /** Gateway API key, sent as `Authorization: Bearer`. */
  apiKey?: string
  fetch?: typeof fetch
}

export class GatewayClient {
  readonly #url: string
  readonly #apiKey: string | undefined
  readonly #fetch: typeof fetch

  constructor(options: GatewayClientOptions) {
    this.#url = options.url.replace(/\/+$/, '')
    this.#apiKey = options.apiKey
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
  }

  async #request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`
    const response = await this.#fetch(`${this.#url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!response.ok) {
      const text = await response.text()
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = { message: text }
      }
      throw MlflowError.fromBody(response.status, parsed)
    }
    return response
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.#request(method, path, body)).json()) as T
  }

  /** Every endpoint, following page tokens. */
  async listEndpoints(): Promise<GatewayEndpoint[]> {
    const endpoints: GatewayEndpoint[] = []
    let token: string | undefined
    do {
      const query = token ? `?page_token=${encodeURIComponent(token)}` : ''
      const page = await this.#json<{ endpoints: GatewayEndpoint[]; next_page_token?: string }>(
        'GET',
        `/api/2.0/endpoints/${query}`,
      )
      endpoints.push(...page.endpoints)
      token = page.next_page_token
    } while (token)
    return endpoints
  }

  getEndpoint(name: string): Promise<GatewayEndpoint> {
    return this.#json('GET', `/api/2.0/endpoints/${encodeURIComponent(name)}`)
  }

  /** MLflow's `predict`: POST /endpoints/{name}/invocations. */
  invoke<T = unknown>(endpoint: string, inputs: Record<string, unknown>): Promise<T> {
    return this.#json('POST', `/endpoints/${encodeURIComponent(endpoint)}/invocations`, inputs)
  }

  chat(endpoint: string, request: GatewayChatRequest): Promise<GatewayChatResponse> {
    return this.invoke(endpoint, request)
  }

  completions(endpoint: string, request: GatewayCompletionsRequest): Promise<GatewayCompletionsResponse> {
    return this.invoke(endpoint, request)
  }

  embeddings(endpoint: string, input: string | string[]): Promise<GatewayEmbeddingsResponse> {
    return this.invoke(endpoint, { input })
  }

  /** A streamed chat; chunks arrive as the provider sends them. */
  streamChat(endpoint: string, request: GatewayChatRequest): AsyncGenerator<GatewayChatChunk> {
    return this.#stream<GatewayChatChunk>(endpoint, request)
  }

  streamCompletions(
    endpoint: string,
    request: GatewayCompletionsRequest,
  ): AsyncGenerator<GatewayCompletionsChunk> {
    return this.#stream<GatewayCompletionsChunk>(endpoint, request)
  }

  async *#stream<T>(endpoint: string, request: Record<string, unknown>): AsyncGenerator<T> {
    const response = await this.#request('POST', `/endpoints/${encodeURIComponent(endpoint)}/invocations`, {
      ...request,
      stream: true,
    })
    if (!response.body) return
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      while (true) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let boundary = buffer.indexOf('\n\n')
        while (boundary !== -1) {
          const event = buffer.slice(0, boundary)
          buffer = buffer.slice(boundary + 2)
          const data = event
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n')
          if (data && data !== '[DONE]') {
            const parsed = JSON.parse(data) as Record<string, unknown>
            if (parsed.error_code) throw MlflowError.fromBody(503, parsed)
            yield parsed as T
          }
          boundary = buffer.indexOf('\n\n')
        }
      }
    } finally {
      reader.releaseLock()
    }
  }

  /** `/v1/models`: the endpoint and route names the OpenAI-compatible API accepts. */
  async listModels(): Promise<{ id: string; owned_by: string; endpoint_type: GatewayEndpointType }[]> {
    return (
      await this.#json<{ data: { id: string; owned_by: string; endpoint_type: GatewayEndpointType }[] }>(
        'GET',
        '/v1/models',
      )
    ).data
  }

  async searchUsage(filter: GatewayUsageFilter = {}): Promise<GatewayUsageRecord[]> {
    return (
      await this.#json<{ usage: GatewayUsageRecord[] }>('GET', `/api/2.0/gateway/usage${usageQuery(filter)}`)
    ).usage
  }

  async summarizeUsage(filter: GatewayUsageFilter = {}): Promise<GatewayUsageSummaryRow[]> {
    return (
      await this.#json<{ summary: GatewayUsageSummaryRow[] }>(
        'GET',
        `/api/2.0/gateway/usage/summary${usageQuery(filter)}`,
      )
    ).summary
  }

  /** Creates a stored key; `secret` is shown only here. */
  createApiKey(request: CreateGatewayApiKeyRequest): Promise<{ api_key: GatewayApiKey; secret: string }> {
    return this.#json('POST', '/api/2.0/gateway/api-keys', request)
  }

  async listApiKeys(): Promise<GatewayApiKey[]> {
    return (await this.#json<{ api_keys: GatewayApiKey[] }>('GET', '/api/2.0/gateway/api-keys')).api_keys
  }

  async deleteApiKey(keyId: string): Promise<void> {
    await this.#json('DELETE', `/api/2.0/gateway/api-keys/${encodeURIComponent(keyId)}`)
  }

  async health(): Promise<boolean> {
    return (await this.#json<{ status: string }>('GET', '/health')).status === 'OK'
  }
}

function usageQuery(filter: GatewayUsageFilter): string {
  const query = new URLSearchParams()
  if (filter.endpoint) query.set('endpoint', filter.endpoint)
  if (filter.keyId) query.set('key_id', filter.keyId)
  if (filter.provider) query.set('provider', filter.provider)
  if (filter.startTime !== undefined) query.set('start_time', String(filter.startTime))
  if (filter.endTime !== undefined) query.set('end_time', String(filter.endTime))
  if (filter.maxResults !== undefined) query.set('max_results', String(filter.maxResults))
  const text = query.toString()
  return text ? `?${text}` : ''
}
