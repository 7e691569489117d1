import { parseJsonEvent, parseSse } from '../http/stream-parsers.js'
import { openStream, readCommonErrorMessage, requestJson } from '../http/upstream.js'
import { UpstreamError } from '../http/upstream-error.js'
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  FinishReason,
} from '../types.js'
import { contentText, makeUsage, nowSeconds } from '../types.js'
import { ChatBasedProvider } from './chat-based-completions.js'
import { requireOption, stringOption, trimSlash } from './config-values.js'
import {
  type CallOptions,
  embeddingTexts,
  type Provider,
  type ProviderSettings,
  UnsupportedRequestError,
} from './provider.js'

interface GeminiCandidate {
  content?: { role?: string; parts?: { text?: string }[] }
  finishReason?: string
  index?: number
}

interface GeminiResponse {
  candidates?: GeminiCandidate[]
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; totalTokenCount?: number }
  modelVersion?: string
  responseId?: string
}

const FINISH_REASONS: Record<string, FinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
}

/**
 * Google's Gemini API (https://ai.google.dev/api): `models/{model}:generateContent`, `:streamGenerateContent?alt=sse`
 * and `:batchEmbedContents`, authenticated with `x-goog-api-key`. Roles map user→user, assistant→model,
 * system→systemInstruction.
 */
export class GeminiProvider extends ChatBasedProvider implements Provider {
  readonly name = 'gemini'
  readonly model: string
  readonly endpointTypes = ['llm/v1/chat', 'llm/v1/completions', 'llm/v1/embeddings'] as const
  readonly #base: string
  readonly #headers: Record<string, string>

  constructor(settings: ProviderSettings) {
    super()
    this.model = settings.model
    this.#base = trimSlash(
      stringOption(settings.config, 'gemini_api_base') ?? 'https://generativelanguage.googleapis.com/v1beta',
    )
    this.#headers = { 'x-goog-api-key': requireOption(settings.config, 'gemini_api_key', 'gemini') }
  }

  #url(method: string, query = ''): string {
    return `${this.#base}/models/${encodeURIComponent(this.model)}:${method}${query}`
  }

  #body(request: ChatRequest): string {
    const system = request.messages.filter((message) => message.role === 'system')
    const contents = request.messages
      .filter((message) => message.role !== 'system')
      .map((message) => {
        if (message.role !== 'user' && message.role !== 'assistant')
          throw new UnsupportedRequestError(`gemini does not accept messages with role '${message.role}'`)
        return {
          role: message.role === 'assistant' ? 'model' : 'user',
          parts: [{ text: contentText(message.content) }],
        }
      })
    if (request.tools) throw new UnsupportedRequestError('tools are not translated for gemini')
    const generationConfig: Record<string, unknown> = {}
    if (request.temperature !== undefined) generationConfig.temperature = request.temperature
    if (request.top_p !== undefined) generationConfig.topP = request.top_p
    if (request.max_tokens !== undefined) generationConfig.maxOutputTokens = request.max_tokens
    if (request.stop) generationConfig.stopSequences = request.stop
    if (request.n !== undefined) generationConfig.candidateCount = request.n
    const body: Record<string, unknown> = { contents, generationConfig }
    if (system.length)
      body.systemInstruction = { parts: system.map((message) => ({ text: contentText(message.content) })) }
    return JSON.stringify(body)
  }

  #request(url: string, body: string, options: CallOptions) {
    return {
      url,
      headers: this.#headers,
      body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      provider: this.name,
    }
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse> {
    const response = (await requestJson(
      this.#request(this.#url('generateContent'), this.#body(request), options),
      readCommonErrorMessage,
    )) as GeminiResponse
    if (!Array.isArray(response?.candidates)) throw invalid()
    return {
      id: response.responseId ?? `gemini-${Date.now()}`,
      object: 'chat.completion',
      created: nowSeconds(),
      model: response.modelVersion ?? this.model,
      choices: response.candidates.map((candidate, index) => ({
        index: candidate.index ?? index,
        message: { role: 'assistant', content: candidateText(candidate) },
        finish_reason: FINISH_REASONS[candidate.finishReason ?? ''] ?? 'stop',
      })),
      usage: usageOf(response),
    }
  }

  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<ChatChunk> {
    const response = await openStream(
      this.#request(this.#url('streamGenerateContent', '?alt=sse'), this.#body(request), options),
      readCommonErrorMessage,
    )
    const created = nowSeconds()
    let finished = false
    for await (const event of parseSse(response.body, this.name)) {
      const data = parseJsonEvent<GeminiResponse & { error?: unknown }>(event.data, this.name)
      if (data.error)
        throw new UpstreamError('http', `gemini sent an error mid-stream: ${readCommonErrorMessage(data)}`, {
          status: 502,
        })
      const chunk: ChatChunk = {
        id: data.responseId ?? '',
        object: 'chat.completion.chunk',
        created,
        model: data.modelVersion ?? this.model,
        choices: (data.candidates ?? []).map((candidate, index) => ({
          index: candidate.index ?? index,
          delta: { role: 'assistant', content: candidateText(candidate) },
          finish_reason: candidate.finishReason ? (FINISH_REASONS[candidate.finishReason] ?? 'stop') : null,
        })),
      }
      if (chunk.choices.some((choice) => choice.finish_reason !== null)) {
        finished = true
        if (data.usageMetadata) chunk.usage = usageOf(data)
      }
      yield chunk
    }
    if (!finished)
      throw new UpstreamError('stream-dropped', 'gemini ended the stream before a finishReason', {
        provider: this.name,
      })
  }

  async embeddings(request: EmbeddingsRequest, options: CallOptions): Promise<EmbeddingsResponse> {
    const texts = embeddingTexts(request.input, this.name)
    const body = JSON.stringify({
      requests: texts.map((text) => ({ model: `models/${this.model}`, content: { parts: [{ text }] } })),
    })
    const response = (await requestJson(
      this.#request(this.#url('batchEmbedContents'), body, options),
      readCommonErrorMessage,
    )) as {
      embeddings?: { values: number[] }[]
    }
    if (!Array.isArray(response?.embeddings)) throw invalid()
    return {
      object: 'list',
      data: response.embeddings.map((item, index) => ({
        object: 'embedding',
        embedding: item.values,
        index,
      })),
      model: this.model,
      usage: { prompt_tokens: 0, total_tokens: 0 },
    }
  }
}

function candidateText(candidate: GeminiCandidate): string {
  return (candidate.content?.parts ?? []).map((part) => part.text ?? '').join('')
}

function usageOf(response: GeminiResponse) {
  return makeUsage(
    response.usageMetadata?.promptTokenCount ?? 0,
    response.usageMetadata?.candidatesTokenCount ?? 0,
  )
}

function invalid(): UpstreamError {
  return new UpstreamError('invalid-response', 'gemini answered in an unexpected shape', {
    provider: 'gemini',
  })
}
