import { parseNdjson } from '../http/stream-parsers.js'
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
import { stringOption, trimSlash } from './config-values.js'
import {
  type CallOptions,
  embeddingTexts,
  type Provider,
  type ProviderSettings,
  UnsupportedRequestError,
} from './provider.js'

interface OllamaChat {
  model?: string
  message?: { role?: string; content?: string }
  done?: boolean
  done_reason?: string
  prompt_eval_count?: number
  eval_count?: number
  error?: string
}

/**
 * Ollama's native API (https://github.com/ollama/ollama/blob/main/docs/api.md): `POST /api/chat` (streamed
 * as newline-delimited JSON, the last object `done: true` with token counts) and `POST /api/embed`.
 */
export class OllamaProvider extends ChatBasedProvider implements Provider {
  readonly name = 'ollama'
  readonly model: string
  readonly endpointTypes = ['llm/v1/chat', 'llm/v1/completions', 'llm/v1/embeddings'] as const
  readonly #base: string
  readonly #headers: Record<string, string>

  constructor(settings: ProviderSettings) {
    super()
    this.model = settings.model
    // MLflow's ollama config names the OpenAI-compatible `/v1` base; the native API sits at its root.
    const base =
      stringOption(settings.config, 'ollama_api_base') ??
      stringOption(settings.config, 'api_base') ??
      'http://localhost:11434'
    this.#base = trimSlash(base).replace(/\/v1$/, '')
    const key = stringOption(settings.config, 'api_key')
    this.#headers = key && key !== 'ollama' ? { authorization: `Bearer ${key}` } : {}
  }

  #body(request: ChatRequest, stream: boolean): string {
    if ((request.n ?? 1) !== 1) throw new UnsupportedRequestError('ollama supports only n = 1')
    const options: Record<string, unknown> = {}
    if (request.temperature !== undefined) options.temperature = request.temperature
    if (request.top_p !== undefined) options.top_p = request.top_p
    if (request.max_tokens !== undefined) options.num_predict = request.max_tokens
    if (request.stop) options.stop = request.stop
    return JSON.stringify({
      model: this.model,
      messages: request.messages.map((message) => ({
        role: message.role,
        content: contentText(message.content),
      })),
      stream,
      options,
      ...(request.tools ? { tools: request.tools } : {}),
    })
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
      this.#request('/api/chat', this.#body(request, false), options),
      readCommonErrorMessage,
    )) as OllamaChat
    if (!response?.message) throw invalid()
    return {
      id: `ollama-${Date.now().toString(36)}`,
      object: 'chat.completion',
      created: nowSeconds(),
      model: response.model ?? this.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: response.message.content ?? '' },
          finish_reason: finishOf(response),
        },
      ],
      usage: makeUsage(response.prompt_eval_count ?? 0, response.eval_count ?? 0),
    }
  }

  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<ChatChunk> {
    const response = await openStream(
      this.#request('/api/chat', this.#body(request, true), options),
      readCommonErrorMessage,
      'application/x-ndjson',
    )
    const id = `ollama-${Date.now().toString(36)}`
    const created = nowSeconds()
    let first = true
    for await (const line of parseNdjson(response.body, this.name)) {
      if (typeof line !== 'object' || line === null) throw invalid()
      const data = line as OllamaChat
      if (data.error)
        throw new UpstreamError('http', `ollama sent an error mid-stream: ${data.error}`, {
          status: 502,
          provider: this.name,
        })
      const chunk: ChatChunk = {
        id,
        object: 'chat.completion.chunk',
        created,
        model: data.model ?? this.model,
        choices: [
          {
            index: 0,
            delta: { ...(first ? { role: 'assistant' } : {}), content: data.message?.content ?? '' },
            finish_reason: data.done ? finishOf(data) : null,
          },
        ],
      }
      first = false
      if (data.done) {
        chunk.usage = makeUsage(data.prompt_eval_count ?? 0, data.eval_count ?? 0)
        yield chunk
        return
      }
      yield chunk
    }
    throw new UpstreamError('stream-dropped', 'ollama ended the stream before done', { provider: this.name })
  }

  async embeddings(request: EmbeddingsRequest, options: CallOptions): Promise<EmbeddingsResponse> {
    const input = embeddingTexts(request.input, this.name)
    const response = (await requestJson(
      this.#request('/api/embed', JSON.stringify({ model: this.model, input }), options),
      readCommonErrorMessage,
    )) as { embeddings?: number[][]; prompt_eval_count?: number }
    if (!Array.isArray(response?.embeddings)) throw invalid()
    const tokens = response.prompt_eval_count ?? 0
    return {
      object: 'list',
      data: response.embeddings.map((embedding, index) => ({ object: 'embedding', embedding, index })),
      model: this.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    }
  }
}

function finishOf(response: OllamaChat): FinishReason {
  return response.done_reason === 'length' ? 'length' : 'stop'
}

function invalid(): UpstreamError {
  return new UpstreamError('invalid-response', 'ollama answered in an unexpected shape', {
    provider: 'ollama',
  })
}
