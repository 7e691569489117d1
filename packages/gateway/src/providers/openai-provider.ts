import { parseSse } from '../http/stream-parsers.js'
import { openStream, readCommonErrorMessage, requestJson } from '../http/upstream.js'
import { UpstreamError } from '../http/upstream-error.js'
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  CompletionsChunk,
  CompletionsRequest,
  CompletionsResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  EndpointType,
} from '../types.js'
import {
  chatToCompletionsChunks,
  chatToCompletionsResponse,
  completionsToChat,
} from './chat-based-completions.js'
import { requireOption, stringOption, trimSlash } from './config-values.js'
import type { CallOptions, Provider, ProviderSettings } from './provider.js'

type Operation = 'chat/completions' | 'completions' | 'embeddings'

interface OpenAiWire {
  name: string
  model: string
  /** Full URL of an operation. */
  urlOf(operation: Operation): string
  headers: Record<string, string>
  /** Whether the request body names the model (not for Azure deployments). */
  sendModel: boolean
  /** Whether to ask for a final usage chunk (`stream_options.include_usage`). */
  streamUsage: boolean
  /** Whether `/completions` exists; otherwise completions go through chat. */
  legacyCompletions: boolean
  endpointTypes: readonly EndpointType[]
}

const ALL_TYPES: readonly EndpointType[] = ['llm/v1/chat', 'llm/v1/completions', 'llm/v1/embeddings']

/**
 * OpenAI's REST API (https://platform.openai.com/docs/api-reference) and the servers that speak it: Azure
 * OpenAI, Mistral, Together, Groq, DeepSeek, xAI, OpenRouter, vLLM, TGI's `/v1` route. Bodies pass through
 * almost unchanged; `model` is set from the configuration.
 */
export class OpenAiCompatibleProvider implements Provider {
  readonly name: string
  readonly model: string
  readonly endpointTypes: readonly EndpointType[]
  readonly #wire: OpenAiWire

  constructor(wire: OpenAiWire) {
    this.#wire = wire
    this.name = wire.name
    this.model = wire.model
    this.endpointTypes = wire.endpointTypes
  }

  #body(request: Record<string, unknown>, stream: boolean): string {
    const body: Record<string, unknown> = { ...request }
    delete body.model
    if (this.#wire.sendModel) body.model = this.#wire.model
    if (stream) {
      body.stream = true
      if (this.#wire.streamUsage) body.stream_options = { include_usage: true }
    } else delete body.stream
    return JSON.stringify(body)
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse> {
    const response = (await requestJson(
      this.#request('chat/completions', this.#body(request, false), options),
      readCommonErrorMessage,
    )) as ChatResponse
    if (!Array.isArray(response?.choices)) throw this.#invalid()
    response.usage ??= { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
    return response
  }

  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<ChatChunk> {
    yield* this.#stream<ChatChunk>('chat/completions', this.#body(request, true), options)
  }

  async completions(request: CompletionsRequest, options: CallOptions): Promise<CompletionsResponse> {
    if (!this.#wire.legacyCompletions)
      return chatToCompletionsResponse(await this.chat(completionsToChat(request), options))
    const response = (await requestJson(
      this.#request('completions', this.#body(request, false), options),
      readCommonErrorMessage,
    )) as CompletionsResponse
    if (!Array.isArray(response?.choices)) throw this.#invalid()
    response.object = 'text_completion'
    response.usage ??= { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
    return response
  }

  async *completionsStream(
    request: CompletionsRequest,
    options: CallOptions,
  ): AsyncGenerator<CompletionsChunk> {
    if (!this.#wire.legacyCompletions) {
      yield* chatToCompletionsChunks(this.chatStream(completionsToChat(request), options))
      return
    }
    for await (const chunk of this.#stream<CompletionsChunk>(
      'completions',
      this.#body(request, true),
      options,
    )) {
      chunk.object = 'text_completion_chunk'
      yield chunk
    }
  }

  async embeddings(request: EmbeddingsRequest, options: CallOptions): Promise<EmbeddingsResponse> {
    const response = (await requestJson(
      this.#request('embeddings', this.#body(request, false), options),
      readCommonErrorMessage,
    )) as EmbeddingsResponse
    if (!Array.isArray(response?.data)) throw this.#invalid()
    return {
      object: 'list',
      data: response.data.map((item, index) => ({
        object: 'embedding',
        embedding: item.embedding,
        index: item.index ?? index,
      })),
      model: response.model ?? this.model,
      usage: {
        prompt_tokens: response.usage?.prompt_tokens ?? 0,
        total_tokens: response.usage?.total_tokens ?? response.usage?.prompt_tokens ?? 0,
      },
    }
  }

  #request(operation: Operation, body: string, options: CallOptions) {
    return {
      url: this.#wire.urlOf(operation),
      headers: this.#wire.headers,
      body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      provider: this.name,
    }
  }

  async *#stream<TChunk>(operation: Operation, body: string, options: CallOptions): AsyncGenerator<TChunk> {
    const response = await openStream(this.#request(operation, body, options), readCommonErrorMessage)
    for await (const event of parseSse(response.body, this.name)) {
      if (event.data === '[DONE]') return
      let parsed: unknown
      try {
        parsed = JSON.parse(event.data)
      } catch {
        throw this.#invalid()
      }
      const message = (parsed as { error?: unknown }).error ? readCommonErrorMessage(parsed) : undefined
      if (message)
        throw new UpstreamError('http', `${this.name} sent an error mid-stream: ${message}`, { status: 502 })
      yield parsed as TChunk
    }
    throw new UpstreamError('stream-dropped', `${this.name} ended the stream without [DONE]`, {
      provider: this.name,
    })
  }

  #invalid(): UpstreamError {
    return new UpstreamError('invalid-response', `${this.name} answered in an unexpected shape`, {
      provider: this.name,
    })
  }
}

/** `openai` (types openai, azure, azuread) per MLflow's OpenAIConfig. */
export function createOpenAiProvider(settings: ProviderSettings): OpenAiCompatibleProvider {
  const { config } = settings
  const apiKey = requireOption(config, 'openai_api_key', 'openai')
  const apiType = (stringOption(config, 'openai_api_type') ?? 'openai').toLowerCase()
  if (apiType === 'azure' || apiType === 'azuread') {
    return createAzureProvider(settings, {
      apiKey,
      base: requireOption(config, 'openai_api_base', 'openai'),
      deployment: requireOption(config, 'openai_deployment_name', 'openai'),
      version: requireOption(config, 'openai_api_version', 'openai'),
      bearer: apiType === 'azuread',
    })
  }
  const base = trimSlash(stringOption(config, 'openai_api_base') ?? 'https://api.openai.com/v1')
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` }
  const organization = stringOption(config, 'openai_organization')
  if (organization) headers['openai-organization'] = organization
  return new OpenAiCompatibleProvider({
    name: 'openai',
    model: settings.model,
    urlOf: (operation) => `${base}/${operation}`,
    headers,
    sendModel: true,
    streamUsage: true,
    legacyCompletions: true,
    endpointTypes: ALL_TYPES,
  })
}

function createAzureProvider(
  settings: ProviderSettings,
  azure: { apiKey: string; base: string; deployment: string; version: string; bearer: boolean },
): OpenAiCompatibleProvider {
  const root = `${trimSlash(azure.base)}/openai/deployments/${encodeURIComponent(azure.deployment)}`
  return new OpenAiCompatibleProvider({
    name: 'azure',
    model: settings.model || azure.deployment,
    urlOf: (operation) => `${root}/${operation}?api-version=${encodeURIComponent(azure.version)}`,
    headers: azure.bearer ? { authorization: `Bearer ${azure.apiKey}` } : { 'api-key': azure.apiKey },
    sendModel: false,
    streamUsage: true,
    legacyCompletions: true,
    endpointTypes: ALL_TYPES,
  })
}

/** `azure`: Azure OpenAI with MLflow's `openai_*` keys (api type azure unless azuread is given). */
export function createAzureOpenAiProvider(settings: ProviderSettings): OpenAiCompatibleProvider {
  return createOpenAiProvider({
    ...settings,
    config: { openai_api_type: 'azure', ...settings.config },
  })
}

interface CompatibleDefaults {
  base?: string
  keyName: string
  keyRequired: boolean
  legacyCompletions: boolean
  streamUsage: boolean
}

const COMPATIBLE: Record<string, CompatibleDefaults> = {
  mistral: {
    base: 'https://api.mistral.ai/v1',
    keyName: 'mistral_api_key',
    keyRequired: true,
    legacyCompletions: false,
    streamUsage: false,
  },
  togetherai: {
    base: 'https://api.together.xyz/v1',
    keyName: 'togetherai_api_key',
    keyRequired: true,
    legacyCompletions: true,
    streamUsage: true,
  },
  groq: {
    base: 'https://api.groq.com/openai/v1',
    keyName: 'api_key',
    keyRequired: true,
    legacyCompletions: false,
    streamUsage: true,
  },
  deepseek: {
    base: 'https://api.deepseek.com/v1',
    keyName: 'api_key',
    keyRequired: true,
    legacyCompletions: false,
    streamUsage: true,
  },
  xai: {
    base: 'https://api.x.ai/v1',
    keyName: 'api_key',
    keyRequired: true,
    legacyCompletions: false,
    streamUsage: true,
  },
  openrouter: {
    base: 'https://openrouter.ai/api/v1',
    keyName: 'api_key',
    keyRequired: true,
    legacyCompletions: true,
    streamUsage: true,
  },
  'openai-compatible': { keyName: 'api_key', keyRequired: false, legacyCompletions: true, streamUsage: true },
  vllm: { keyName: 'api_key', keyRequired: false, legacyCompletions: true, streamUsage: true },
  'huggingface-text-generation-inference': {
    keyName: 'api_key',
    keyRequired: false,
    legacyCompletions: false,
    streamUsage: false,
  },
}

export const OPENAI_COMPATIBLE_PROVIDERS = Object.keys(COMPATIBLE)

/** Providers that speak OpenAI's API at another base URL (`<provider>_api_base` or `api_base`). */
export function createCompatibleProvider(name: string, settings: ProviderSettings): OpenAiCompatibleProvider {
  const defaults = COMPATIBLE[name]
  if (!defaults) throw new Error(`unknown OpenAI-compatible provider '${name}'`)
  const { config } = settings
  const explicitBase =
    stringOption(config, `${name.replace(/-/g, '_')}_api_base`) ??
    stringOption(config, 'api_base') ??
    (name === 'huggingface-text-generation-inference' ? tgiBase(config) : undefined)
  const base = explicitBase ?? defaults.base
  if (!base) throw new Error(`provider '${name}' needs model.config.api_base`)
  const apiKey = defaults.keyRequired
    ? requireOption(config, defaults.keyName, name)
    : stringOption(config, defaults.keyName)
  return new OpenAiCompatibleProvider({
    name,
    model: settings.model,
    urlOf: (operation) => `${trimSlash(base)}/${operation}`,
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    sendModel: true,
    streamUsage: defaults.streamUsage,
    legacyCompletions: defaults.legacyCompletions,
    endpointTypes: ALL_TYPES,
  })
}

/** TGI serves OpenAI's chat API under `<hf_server_url>/v1`. */
function tgiBase(config: Record<string, unknown>): string | undefined {
  const url = stringOption(config, 'hf_server_url')
  return url ? `${trimSlash(url)}/v1` : undefined
}
