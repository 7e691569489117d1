import { readCommonErrorMessage, requestJson } from '../http/upstream.js'
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
} from '../types.js'
import { contentText, emptyUsage, nowSeconds } from '../types.js'
import { chatToCompletionsChunks } from './chat-based-completions.js'
import { requireOption, trimSlash } from './config-values.js'
import {
  type CallOptions,
  embeddingTexts,
  type Provider,
  type ProviderSettings,
  UnsupportedRequestError,
} from './provider.js'

/**
 * A model served by `mlflow models serve` (MLflow's `mlflow-model-serving` provider): POSTs
 * `{"inputs": [...], <params>}` to `<model_server_url>/invocations` and reads `predictions` (a list, or a
 * mapping with `choices` or a single key). The server does not stream: streamed calls get the whole answer
 * as one chunk.
 */
export class MlflowServingProvider implements Provider {
  readonly name = 'mlflow-model-serving'
  readonly model: string
  readonly endpointTypes = ['llm/v1/chat', 'llm/v1/completions', 'llm/v1/embeddings'] as const
  readonly #url: string

  constructor(settings: ProviderSettings) {
    this.model = settings.model
    this.#url = `${trimSlash(requireOption(settings.config, 'model_server_url', this.name))}/invocations`
  }

  async #invoke(
    inputs: unknown[],
    params: Record<string, unknown>,
    options: CallOptions,
  ): Promise<unknown[]> {
    const response = (await requestJson(
      {
        url: this.#url,
        headers: {},
        body: JSON.stringify({ inputs, ...params }),
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        provider: this.name,
      },
      readCommonErrorMessage,
    )) as { predictions?: unknown }
    let predictions = response?.predictions
    if (predictions && typeof predictions === 'object' && !Array.isArray(predictions)) {
      const record = predictions as Record<string, unknown>
      const keys = Object.keys(record)
      predictions = 'choices' in record ? record.choices : keys.length === 1 ? record[keys[0]!] : undefined
    }
    if (!Array.isArray(predictions) || predictions.length === 0)
      throw new UpstreamError('invalid-response', `${this.name} answered without predictions`, {
        provider: this.name,
      })
    return predictions
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse> {
    const { messages, ...params } = request
    if (messages.length !== 1)
      throw new UnsupportedRequestError(`${this.name} takes exactly one message per chat call`)
    const [answer] = await this.#invoke([contentText(messages[0]!.content)], params, options)
    return {
      id: `mlflow-${Date.now().toString(36)}`,
      object: 'chat.completion',
      created: nowSeconds(),
      model: this.model,
      choices: [{ index: 0, message: { role: 'assistant', content: String(answer) }, finish_reason: 'stop' }],
      usage: emptyUsage(),
    }
  }

  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<ChatChunk> {
    const response = await this.chat(request, options)
    yield {
      id: response.id,
      object: 'chat.completion.chunk',
      created: response.created,
      model: response.model,
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content: contentText(response.choices[0]!.message.content) },
          finish_reason: 'stop',
        },
      ],
    }
  }

  async completions(request: CompletionsRequest, options: CallOptions): Promise<CompletionsResponse> {
    const { prompt, ...params } = request
    const predictions = await this.#invoke([prompt], params, options)
    return {
      id: `mlflow-${Date.now().toString(36)}`,
      object: 'text_completion',
      created: nowSeconds(),
      model: this.model,
      choices: predictions.map((text, index) => ({ index, text: String(text), finish_reason: 'length' })),
      usage: emptyUsage(),
    }
  }

  completionsStream(request: CompletionsRequest, options: CallOptions): AsyncIterable<CompletionsChunk> {
    return chatToCompletionsChunks(
      this.chatStream({ ...request, messages: [{ role: 'user', content: request.prompt }] }, options),
    )
  }

  async embeddings(request: EmbeddingsRequest, options: CallOptions): Promise<EmbeddingsResponse> {
    const texts = embeddingTexts(request.input, this.name)
    const predictions = await this.#invoke(texts, {}, options)
    const vectors = predictions.every((item) => typeof item === 'number')
      ? [predictions as number[]]
      : (predictions as number[][])
    return {
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', embedding, index })),
      model: this.model,
      usage: { prompt_tokens: 0, total_tokens: 0 },
    }
  }
}
