import { randomBytes, randomUUID } from 'node:crypto'
import { type GatewayApiKeyRecord, type GatewayLimits, type GatewayStore, MlflowError } from '@cairn/core'
import {
  type EndpointConfig,
  type GatewayConfig,
  hashApiKey,
  type RouteConfig,
} from './config/gateway-config.js'
import { UpstreamError } from './http/upstream-error.js'
import { type Caller, LimitEnforcer } from './limits/limit-enforcer.js'
import { MemoryGatewayStore } from './limits/memory-gateway-store.js'
import type { CallOptions } from './providers/provider.js'
import { CircuitBreakers } from './routing/circuit-breaker.js'
import { pickWeighted, routeCall } from './routing/route-call.js'
import type { ChatChunk, CompletionsChunk, EndpointType, Usage } from './types.js'
import { GatewayMetrics } from './usage/metrics.js'
import { costOf, findPrice } from './usage/prices.js'
import { UsageRecorder } from './usage/usage-recorder.js'

export type InvocationKind = 'chat' | 'completions' | 'embeddings'

const TYPE_OF_KIND: Record<InvocationKind, EndpointType> = {
  chat: 'llm/v1/chat',
  completions: 'llm/v1/completions',
  embeddings: 'llm/v1/embeddings',
}

/** What a caller sees of an endpoint (MLflow's `Endpoint`). */
export interface EndpointInfo {
  name: string
  endpoint_type: EndpointType
  model: { name: string; provider: string }
  endpoint_url: string
  limit: { calls: number; key: string | null; renewal_period: string } | null
}

export interface InvokeOptions {
  caller: Caller
  signal?: AbortSignal
}

export type StreamChunk = ChatChunk | CompletionsChunk

/** A streamed invocation: chunks, then the end; a failure after the first chunk arrives as `error`. */
export interface InvocationStream {
  chunks: AsyncIterable<StreamChunk>
}

export interface GatewayOptions {
  config: GatewayConfig
  /** Counters, keys and usage; in-process when omitted. */
  store?: GatewayStore
  logger?: Pick<Console, 'info' | 'warn' | 'error'>
  usageFlushIntervalMs?: number
}

const KEY_CACHE_MS = 10_000
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/

/**
 * The LLM gateway: resolves endpoint and route names, authenticates keys, enforces limits, routes calls
 * with retries, fallbacks and circuit breaking, and records usage and metrics. `reload` swaps the
 * configuration atomically; calls in flight keep the one they started with.
 */
export class Gateway {
  #config: GatewayConfig
  #endpoints: Map<string, EndpointConfig>
  #routes: Map<string, RouteConfig>
  #configKeys: Map<string, Caller & { endpoints: string[] }>
  readonly #storeKeys = new Map<
    string,
    { caller: (Caller & { endpoints: string[] }) | undefined; expires: number }
  >()
  readonly store: GatewayStore
  readonly #limits: LimitEnforcer
  readonly #breakers = new CircuitBreakers()
  readonly #usage: UsageRecorder
  readonly metrics = new GatewayMetrics()
  readonly #logger: Pick<Console, 'info' | 'warn' | 'error'>
  /** Secrets of every config loaded: calls in flight across a reload may still report the old ones. */
  readonly #secrets = new Set<string>()
  /** The same, longest first, so that a secret containing another is replaced whole. */
  #redacted: string[] = []

  constructor(options: GatewayOptions) {
    this.store = options.store ?? new MemoryGatewayStore()
    this.#limits = new LimitEnforcer(this.store)
    this.#logger = options.logger ?? console
    this.#usage = new UsageRecorder(this.store, {
      flushIntervalMs: options.usageFlushIntervalMs,
      onError: (error) =>
        this.#logger.error('cairn gateway: could not record usage:', this.redact(String(error))),
    })
    this.#config = options.config
    this.#endpoints = new Map()
    this.#routes = new Map()
    this.#configKeys = new Map()
    this.reload(options.config)
  }

  get config(): GatewayConfig {
    return this.#config
  }

  /** Switches to a new configuration; requests already running finish on the old one. */
  reload(config: GatewayConfig): void {
    this.#endpoints = new Map(config.endpoints.map((endpoint) => [endpoint.name, endpoint]))
    this.#routes = new Map(config.routes.map((route) => [route.name, route]))
    this.#configKeys = new Map(
      config.apiKeys.map((key) => [
        key.keyHash,
        { keyId: `config:${key.name}`, keyLimits: limitsOf(key), address: '', endpoints: key.endpoints },
      ]),
    )
    this.#config = config
    for (const secret of config.secrets) this.#secrets.add(secret)
    this.#redacted = [...this.#secrets].sort((a, b) => b.length - a.length)
    this.#storeKeys.clear()
  }

  /** Replaces every configured secret in `text` by `***`. */
  redact(text: string): string {
    let result = text
    for (const secret of this.#redacted) result = result.split(secret).join('***')
    return result
  }

  listEndpoints(): EndpointInfo[] {
    return this.#config.endpoints.map(toEndpointInfo)
  }

  getEndpoint(name: string): EndpointInfo {
    const endpoint = this.#endpoints.get(name)
    if (!endpoint)
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `The endpoint '${name}' is not present or active on the server. Please verify the endpoint name.`,
      )
    return toEndpointInfo(endpoint)
  }

  /** Names callable through `/v1/models`: endpoints and routes. */
  listModels(): { id: string; endpointType: EndpointType; provider: string }[] {
    return [
      ...this.#config.endpoints.map((endpoint) => ({
        id: endpoint.name,
        endpointType: endpoint.endpointType,
        provider: endpoint.model.provider,
      })),
      ...this.#config.routes.map((route) => ({
        id: route.name,
        endpointType: route.taskType,
        provider: 'route',
      })),
    ]
  }

  /** The type of an endpoint or route, undefined when no such name exists. */
  typeOf(name: string): EndpointType | undefined {
    return this.#endpoints.get(name)?.endpointType ?? this.#routes.get(name)?.taskType
  }

  /** Whether calls must carry a gateway API key. */
  get requiresApiKey(): boolean {
    return this.#config.requireApiKey || this.#config.apiKeys.length > 0
  }

  /** The caller of a request from its bearer token and address; 401 when a key is required and wrong. */
  async authenticate(token: string | undefined, address: string): Promise<Caller> {
    const anonymous: Caller = { keyId: null, keyLimits: undefined, address }
    if (!token) {
      if (this.requiresApiKey)
        throw new MlflowError(
          'UNAUTHENTICATED',
          'A gateway API key is required (Authorization: Bearer <key>)',
        )
      return anonymous
    }
    const hash = hashApiKey(token)
    const known = this.#configKeys.get(hash) ?? (await this.#findStoreKey(hash))
    if (!known) {
      if (this.requiresApiKey) throw new MlflowError('UNAUTHENTICATED', 'The gateway API key is not valid')
      return anonymous
    }
    return { keyId: known.keyId, keyLimits: known.keyLimits, address, allowedEndpoints: known.endpoints }
  }

  async #findStoreKey(hash: string): Promise<(Caller & { endpoints: string[] }) | undefined> {
    const now = Date.now()
    const cached = this.#storeKeys.get(hash)
    if (cached && cached.expires > now) return cached.caller
    const record = await this.store.findApiKeyByHash(hash)
    const caller = record
      ? { keyId: record.keyId, keyLimits: limitsOf(record), address: '', endpoints: record.endpoints }
      : undefined
    if (this.#storeKeys.size > 10_000) this.#storeKeys.clear()
    this.#storeKeys.set(hash, { caller, expires: now + KEY_CACHE_MS })
    return caller
  }

  /** Whether `token` is the admin key (or, when none is configured, the call comes from this machine). */
  isAdmin(token: string | undefined, address: string): boolean {
    if (this.#config.adminKeyHash)
      return token !== undefined && hashApiKey(token) === this.#config.adminKeyHash
    return LOOPBACK.test(address)
  }

  /** The endpoints to try for `name`, in order, after checking its type. */
  #candidates(name: string, kind: InvocationKind): EndpointConfig[] {
    const expected = TYPE_OF_KIND[kind]
    const endpoint = this.#endpoints.get(name)
    const route = endpoint ? undefined : this.#routes.get(name)
    if (!endpoint && !route)
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Invalid endpoint / route name: '${name}'`)
    const actualType = endpoint?.endpointType ?? route!.taskType
    if (actualType !== expected)
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Endpoint '${name}' is not ${article(kind)} ${kind} endpoint (it is ${actualType})`,
      )
    const ordered: EndpointConfig[] = []
    const add = (candidate: EndpointConfig | undefined) => {
      if (candidate && !ordered.includes(candidate)) ordered.push(candidate)
    }
    if (endpoint) add(endpoint)
    else {
      const chosen = pickWeighted(route!.destinations)
      add(this.#endpoints.get(chosen.name))
      for (const destination of route!.destinations)
        if (destination.trafficPercentage > 0) add(this.#endpoints.get(destination.name))
    }
    for (let index = 0; index < ordered.length; index++)
      for (const fallback of ordered[index]!.fallbacks) add(this.#endpoints.get(fallback))
    return ordered
  }

  async #admit(name: string, candidates: EndpointConfig[], options: InvokeOptions): Promise<void> {
    const allowed = options.caller.allowedEndpoints
    if (allowed && allowed.length > 0 && !allowed.includes(name))
      throw new MlflowError('PERMISSION_DENIED', `The API key may not call endpoint '${name}'`)
    const primary = candidates[0]!
    if (LimitEnforcer.applies(primary, options.caller)) await this.#limits.admit(primary, options.caller)
  }

  /** A non-streamed call: chat, completions or embeddings. */
  async invoke(
    name: string,
    kind: InvocationKind,
    body: Record<string, unknown>,
    options: InvokeOptions,
  ): Promise<Record<string, unknown>> {
    const candidates = this.#candidates(name, kind)
    let served: EndpointConfig = candidates[0]!
    const record = this.#recorder(name, options, body, false)
    await this.#admitOrRecord(name, candidates, options, record)
    const request = stripRouting(body)
    try {
      const routed = await routeCall<object>({
        candidates,
        breakers: this.#breakers,
        signal: options.signal,
        redact: (text) => this.redact(text),
        onFailure: (endpoint, error) => this.#recordFailure(endpoint, error),
        call: (endpoint): Promise<object> => {
          const callOptions: CallOptions = { timeoutMs: endpoint.timeoutMs, signal: options.signal }
          const provider = endpoint.provider
          if (kind === 'chat') return provider.chat(request as never, callOptions)
          if (kind === 'completions') return provider.completions(request as never, callOptions)
          return provider.embeddings(request as never, callOptions)
        },
      })
      served = routed.endpoint
      const result = routed.result as unknown as Record<string, unknown>
      if (kind === 'embeddings' && body.encoding_format === 'base64') encodeEmbeddings(result)
      record(served, { status: 200, usage: result.usage as Partial<Usage> | undefined, response: result })
      return result
    } catch (error) {
      record(served, { status: statusOf(error), error })
      throw error
    }
  }

  /**
   * A streamed call. Retries and fallbacks apply until the first chunk with content has arrived; after that a
   * failure ends the stream with an error event (the caller has already received part of the answer).
   */
  async invokeStream(
    name: string,
    kind: 'chat' | 'completions',
    body: Record<string, unknown>,
    options: InvokeOptions,
  ): Promise<InvocationStream> {
    const candidates = this.#candidates(name, kind)
    let served: EndpointConfig = candidates[0]!
    const record = this.#recorder(name, options, body, true)
    await this.#admitOrRecord(name, candidates, options, record)
    const request = stripRouting(body)
    let routed: Awaited<ReturnType<typeof routeCall<StartedStream>>>
    try {
      routed = await routeCall<StartedStream>({
        candidates,
        breakers: this.#breakers,
        signal: options.signal,
        redact: (text) => this.redact(text),
        onFailure: (endpoint, error) => this.#recordFailure(endpoint, error),
        call: async (endpoint) => {
          const callOptions: CallOptions = { timeoutMs: endpoint.timeoutMs, signal: options.signal }
          const chunks: AsyncIterable<StreamChunk> =
            kind === 'chat'
              ? endpoint.provider.chatStream(request as never, callOptions)
              : endpoint.provider.completionsStream(request as never, callOptions)
          return startStream(chunks)
        },
      })
    } catch (error) {
      record(served, { status: statusOf(error), error })
      throw error
    }
    served = routed.endpoint
    const gateway = this
    const { head, iterator } = routed.result
    async function* chunks(): AsyncGenerator<StreamChunk> {
      let usage: Partial<Usage> | undefined
      let text = ''
      let status = 200
      let failure: unknown
      try {
        for (const chunk of head) {
          if (chunk.usage) usage = chunk.usage
          if (served.logging) text += chunkText(chunk)
          yield chunk
        }
        while (true) {
          const next = await iterator.next()
          if (next.done) break
          if (next.value.usage) usage = next.value.usage
          if (served.logging) text += chunkText(next.value)
          yield next.value
        }
      } catch (error) {
        if (options.signal?.aborted) failure = new MlflowError('CANCELLED', 'The client went away mid-stream')
        else if (error instanceof UpstreamError)
          failure = new MlflowError('TEMPORARILY_UNAVAILABLE', gateway.redact(error.message))
        else failure = error
        status = statusOf(failure)
        throw failure
      } finally {
        if (status === 200 && options.signal?.aborted) status = 499
        await iterator.return?.(undefined)
        record(served, { status, usage, response: text ? { text } : undefined, error: failure })
      }
    }
    return { chunks: chunks() }
  }

  /** Records the outcome of one call (usage, metrics) with what is fixed when the call starts. */
  #recorder(name: string, options: InvokeOptions, body: Record<string, unknown>, stream: boolean) {
    const started = performance.now()
    return (endpoint: EndpointConfig, outcome: CallOutcome): void =>
      this.#finish({ name, endpoint, caller: options.caller, started, stream, body, ...outcome })
  }

  /** Key scope and limits; a refused call is recorded against the endpoint it asked for. */
  async #admitOrRecord(
    name: string,
    candidates: EndpointConfig[],
    options: InvokeOptions,
    record: (endpoint: EndpointConfig, outcome: CallOutcome) => void,
  ): Promise<void> {
    try {
      await this.#admit(name, candidates, options)
    } catch (error) {
      record(candidates[0]!, { status: statusOf(error), error })
      throw error
    }
  }

  #recordFailure(endpoint: EndpointConfig, error: UpstreamError): void {
    this.metrics.recordUpstreamFailure({
      endpoint: endpoint.name,
      provider: endpoint.model.provider,
      failure: error.failure,
    })
    this.#logger.warn(
      `cairn gateway: ${endpoint.name} (${endpoint.model.provider}) failed: ${this.redact(error.message)}`,
    )
  }

  #finish(
    call: CallOutcome & {
      name: string
      endpoint: EndpointConfig
      caller: Caller
      started: number
      stream: boolean
      body: unknown
    },
  ): void {
    const latencyMs = performance.now() - call.started
    const inputTokens = call.usage?.prompt_tokens ?? 0
    const outputTokens = call.usage?.completion_tokens ?? 0
    const model = call.endpoint.model.name
    const costUsd = costOf(findPrice(model, this.#config.prices), inputTokens, outputTokens)
    const provider = call.endpoint.model.provider
    this.metrics.recordCall(
      { endpoint: call.name, provider, status: call.status },
      { inputTokens, outputTokens, costUsd, latencyMs },
    )
    const logging = call.endpoint.logging
    this.#usage.record({
      requestId: randomUUID(),
      timestamp: Date.now(),
      endpoint: call.name,
      provider,
      model,
      keyId: call.caller.keyId,
      inputTokens,
      outputTokens,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      status: call.status,
      costUsd,
      stream: call.stream,
      requestBody: logging ? JSON.stringify(call.body) : null,
      responseBody: logging && call.response !== undefined ? JSON.stringify(call.response) : null,
      errorMessage: call.error
        ? this.redact(call.error instanceof Error ? call.error.message : String(call.error))
        : null,
    })
    if (call.status === 200 && (inputTokens + outputTokens > 0 || costUsd > 0)) {
      const primary = this.#endpoints.get(call.name) ?? call.endpoint
      if (LimitEnforcer.applies(primary, call.caller))
        this.#limits
          .charge(primary, call.caller, { tokens: inputTokens + outputTokens, costUsd })
          .catch((error) => this.#logger.error('cairn gateway: could not update limits:', error))
    }
  }

  /** Creates a key in the store; the secret is returned once and only its hash is kept. */
  async createApiKey(
    options: { name: string; endpoints?: string[] } & GatewayLimits,
  ): Promise<{ record: GatewayApiKeyRecord; secret: string }> {
    if (!/^[\w\-.]+$/.test(options.name))
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid API key name '${options.name}'`)
    for (const endpoint of options.endpoints ?? [])
      if (!this.#endpoints.has(endpoint) && !this.#routes.has(endpoint))
        throw new MlflowError('INVALID_PARAMETER_VALUE', `Endpoint '${endpoint}' does not exist`)
    const secret = `cairn-gw-${randomBytes(24).toString('base64url')}`
    const record: GatewayApiKeyRecord = {
      keyId: randomUUID().replace(/-/g, ''),
      name: options.name,
      keyHash: hashApiKey(secret),
      keyPrefix: secret.slice(0, 13),
      creationTime: Date.now(),
      endpoints: options.endpoints ?? [],
      requestsPerMinute: options.requestsPerMinute,
      tokensPerMinute: options.tokensPerMinute,
      budgetUsd: options.budgetUsd,
      budgetPeriod: options.budgetPeriod,
    }
    await this.store.createApiKey(record)
    this.#storeKeys.delete(record.keyHash)
    return { record, secret }
  }

  async deleteApiKey(keyId: string): Promise<void> {
    if (!(await this.store.deleteApiKey(keyId)))
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `API key '${keyId}' not found`)
    this.#storeKeys.clear()
  }

  /** Writes buffered usage records, so that queries see every finished call. */
  flushUsage(): Promise<void> {
    return this.#usage.flush()
  }

  renderMetrics(): string {
    return this.metrics.render(
      this.#breakers.targets().map((target) => ({ target, open: this.#breakers.status(target) === 'open' })),
    )
  }

  async close(): Promise<void> {
    await this.#usage.close()
  }
}

interface StartedStream {
  head: StreamChunk[]
  iterator: AsyncIterator<StreamChunk>
}

/** Reads a stream up to its first chunk with content (or its end), so that failures before it can be retried. */
async function startStream(chunks: AsyncIterable<StreamChunk>): Promise<StartedStream> {
  const iterator = chunks[Symbol.asyncIterator]()
  const head: StreamChunk[] = []
  try {
    while (true) {
      const next = await iterator.next()
      if (next.done) break
      head.push(next.value)
      if (chunkText(next.value) || next.value.choices.some((choice) => choice.finish_reason)) break
    }
  } catch (error) {
    await iterator.return?.(undefined)?.catch(() => {})
    throw error
  }
  return { head, iterator }
}

function chunkText(chunk: StreamChunk): string {
  let text = ''
  for (const choice of chunk.choices) {
    if ('delta' in choice) text += choice.delta.content ?? ''
    else text += choice.text
  }
  return text
}

/** The request for the provider: routing fields removed; embeddings are always asked for as floats. */
function stripRouting(body: Record<string, unknown>): Record<string, unknown> {
  const { model: _model, stream: _stream, stream_options: _options, encoding_format: _format, ...rest } = body
  return rest
}

/** OpenAI's `encoding_format: "base64"`: each vector as little-endian float32 bytes in base64 (the openai SDK's default). */
function encodeEmbeddings(result: Record<string, unknown>): void {
  for (const item of result.data as { embedding: number[] | string }[]) {
    if (typeof item.embedding === 'string') continue
    item.embedding = Buffer.from(new Float32Array(item.embedding).buffer).toString('base64')
  }
}

/** How a call ended, as usage and metrics record it. */
interface CallOutcome {
  status: number
  usage?: Partial<Usage>
  response?: unknown
  error?: unknown
}

function statusOf(error: unknown): number {
  return error instanceof MlflowError ? error.httpStatus : 500
}

function limitsOf(record: GatewayLimits): GatewayLimits | undefined {
  const limits: GatewayLimits = {}
  if (record.requestsPerMinute != null) limits.requestsPerMinute = record.requestsPerMinute
  if (record.tokensPerMinute != null) limits.tokensPerMinute = record.tokensPerMinute
  if (record.budgetUsd != null) {
    limits.budgetUsd = record.budgetUsd
    limits.budgetPeriod = record.budgetPeriod ?? 'month'
  }
  return Object.keys(limits).length > 0 ? limits : undefined
}

function article(kind: InvocationKind): string {
  return kind === 'embeddings' ? 'an' : 'a'
}

export function toEndpointInfo(endpoint: EndpointConfig): EndpointInfo {
  return {
    name: endpoint.name,
    endpoint_type: endpoint.endpointType,
    model: { name: endpoint.model.name, provider: endpoint.model.provider },
    endpoint_url: `/gateway/${endpoint.name}/invocations`,
    limit: endpoint.limit
      ? { calls: endpoint.limit.calls, key: endpoint.limit.key, renewal_period: endpoint.limit.renewalPeriod }
      : null,
  }
}
