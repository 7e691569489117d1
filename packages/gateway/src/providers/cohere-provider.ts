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
  ProviderJson,
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

interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number }
  tokens?: { input_tokens?: number; output_tokens?: number }
}

const FINISH_REASONS: Record<string, FinishReason> = {
  COMPLETE: 'stop',
  STOP_SEQUENCE: 'stop',
  MAX_TOKENS: 'length',
  TOOL_CALL: 'tool_calls',
  ERROR: 'stop',
}

/**
 * Cohere's v2 API (https://docs.cohere.com/reference/chat): `POST /v2/chat` (streamed as SSE events
 * message-start, content-start, content-delta, content-end, message-end) and `POST /v2/embed`.
 */
export class CohereProvider extends ChatBasedProvider implements Provider {
  readonly name = 'cohere'
  readonly model: string
  readonly endpointTypes = ['llm/v1/chat', 'llm/v1/completions', 'llm/v1/embeddings'] as const
  readonly #base: string
  readonly #headers: Record<string, string>

  constructor(settings: ProviderSettings) {
    super()
    this.model = settings.model
    this.#base = trimSlash(stringOption(settings.config, 'cohere_api_base') ?? 'https://api.cohere.com')
    this.#headers = { authorization: `Bearer ${requireOption(settings.config, 'cohere_api_key', 'cohere')}` }
  }

  #body(request: ChatRequest, stream: boolean): string {
    if ((request.n ?? 1) !== 1) throw new UnsupportedRequestError('cohere supports only n = 1')
    if (request.tools) throw new UnsupportedRequestError('tools are not translated for cohere')
    const body: Record<string, unknown> = {
      model: this.model,
      messages: request.messages.map((message) => ({
        role: message.role,
        content: contentText(message.content),
      })),
      stream,
    }
    if (request.temperature !== undefined) body.temperature = request.temperature / 2
    if (request.max_tokens !== undefined) body.max_tokens = request.max_tokens
    if (request.stop) body.stop_sequences = request.stop
    if (request.top_p !== undefined) body.p = request.top_p
    return JSON.stringify(body)
  }

  #request(path: string, body: string, options: CallOptions) {
    return {
      url: `${this.#base}${path}`,
      headers: this.#headers,
      body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      provider: this.name,
    }
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse> {
    const response = (await requestJson(
      this.#request('/v2/chat', this.#body(request, false), options),
      readCommonErrorMessage,
    )) as {
      id: string
      finish_reason: string
      message?: { content?: { type: string; text?: string }[] }
      usage?: CohereUsage
    }
    if (!response?.message) throw invalid()
    return {
      id: response.id,
      object: 'chat.completion',
      created: nowSeconds(),
      model: this.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: (response.message.content ?? []).map((part) => part.text ?? '').join(''),
          },
          finish_reason: FINISH_REASONS[response.finish_reason] ?? 'stop',
        },
      ],
      usage: usageOf(response.usage),
    }
  }

  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<ChatChunk> {
    const response = await openStream(
      this.#request('/v2/chat', this.#body(request, true), options),
      readCommonErrorMessage,
    )
    const created = nowSeconds()
    let id = ''
    const chunk = (delta: ChatChunk['choices'][0]['delta'], finish: FinishReason = null): ChatChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
    for await (const event of parseSse(response.body, this.name)) {
      const data = parseJsonEvent<{ type?: string; id?: string; delta?: ProviderJson }>(event.data, this.name)
      switch (data.type ?? event.event) {
        case 'message-start':
          id = data.id ?? ''
          yield chunk({ role: 'assistant', content: '' })
          break
        case 'content-delta':
          yield chunk({ content: data.delta?.message?.content?.text ?? '' })
          break
        case 'message-end': {
          const finished = chunk({}, FINISH_REASONS[data.delta?.finish_reason ?? ''] ?? 'stop')
          finished.usage = usageOf(data.delta?.usage)
          yield finished
          return
        }
        default:
          break
      }
    }
    throw new UpstreamError('stream-dropped', 'cohere ended the stream without message-end', {
      provider: this.name,
    })
  }

  async embeddings(request: EmbeddingsRequest, options: CallOptions): Promise<EmbeddingsResponse> {
    const texts = embeddingTexts(request.input, this.name)
    const body = JSON.stringify({
      model: this.model,
      texts,
      input_type: 'search_document',
      embedding_types: ['float'],
    })
    const response = (await requestJson(
      this.#request('/v2/embed', body, options),
      readCommonErrorMessage,
    )) as {
      embeddings?: { float?: number[][] }
      meta?: { billed_units?: { input_tokens?: number } }
    }
    const vectors = response?.embeddings?.float
    if (!Array.isArray(vectors)) throw invalid()
    const tokens = response.meta?.billed_units?.input_tokens ?? 0
    return {
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', embedding, index })),
      model: this.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    }
  }
}

function usageOf(usage: CohereUsage | undefined) {
  const tokens = usage?.tokens ?? usage?.billed_units
  return makeUsage(tokens?.input_tokens ?? 0, tokens?.output_tokens ?? 0)
}

function invalid(): UpstreamError {
  return new UpstreamError('invalid-response', 'cohere answered in an unexpected shape', {
    provider: 'cohere',
  })
}
