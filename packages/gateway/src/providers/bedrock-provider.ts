import { parseEventStream, parseJsonEvent } from '../http/stream-parsers.js'
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
import { trimSlash } from './config-values.js'
import {
  type CallOptions,
  embeddingTexts,
  type Provider,
  type ProviderSettings,
  UnsupportedRequestError,
} from './provider.js'
import { type AwsCredentials, encodeRfc3986, signRequest } from './sigv4.js'

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
}

/** Status codes of Bedrock's streamed exceptions (`:exception-type`). */
const EXCEPTION_STATUS: Record<string, number> = {
  throttlingException: 429,
  serviceUnavailableException: 503,
  internalServerException: 500,
  modelStreamErrorException: 502,
  validationException: 400,
}

interface ConverseOutput {
  output?: { message?: { role?: string; content?: { text?: string }[] } }
  stopReason?: string
  usage?: { inputTokens?: number; outputTokens?: number }
}

/**
 * Amazon Bedrock's Converse API (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html):
 * `POST /model/{modelId}/converse` and `/converse-stream` (AWS event-stream frames), signed with SigV4.
 * Embeddings use `InvokeModel` with Titan's body (`{"inputText"}` → `{"embedding", "inputTextTokenCount"}`).
 */
export class BedrockProvider extends ChatBasedProvider implements Provider {
  readonly name: string
  readonly model: string
  readonly endpointTypes = ['llm/v1/chat', 'llm/v1/completions', 'llm/v1/embeddings'] as const
  readonly #base: string
  readonly #region: string
  readonly #credentials: AwsCredentials

  constructor(name: string, settings: ProviderSettings) {
    super()
    this.name = name
    this.model = settings.model
    const aws = (settings.config.aws_config ?? {}) as Record<string, unknown>
    this.#region = String(
      aws.aws_region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    )
    const accessKeyId = aws.aws_access_key_id ?? process.env.AWS_ACCESS_KEY_ID
    const secretAccessKey = aws.aws_secret_access_key ?? process.env.AWS_SECRET_ACCESS_KEY
    if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string')
      throw new Error(`provider '${name}' needs aws_config.aws_access_key_id and aws_secret_access_key`)
    const sessionToken = aws.aws_session_token ?? process.env.AWS_SESSION_TOKEN
    this.#credentials = {
      accessKeyId,
      secretAccessKey,
      ...(typeof sessionToken === 'string' ? { sessionToken } : {}),
    }
    this.#base = trimSlash(
      typeof aws.aws_endpoint_url === 'string'
        ? aws.aws_endpoint_url
        : `https://bedrock-runtime.${this.#region}.amazonaws.com`,
    )
  }

  #signed(path: string, body: string, options: CallOptions, accept: string) {
    const url = new URL(`${this.#base}${path}`)
    const headers = { 'content-type': 'application/json', accept }
    const signature = signRequest({
      method: 'POST',
      url,
      headers,
      body,
      region: this.#region,
      service: 'bedrock',
      credentials: this.#credentials,
    })
    return {
      url: url.toString(),
      headers: { ...headers, ...signature },
      body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      provider: this.name,
    }
  }

  #path(operation: string): string {
    return `/model/${encodeRfc3986(this.model)}/${operation}`
  }

  #body(request: ChatRequest): string {
    if ((request.n ?? 1) !== 1) throw new UnsupportedRequestError(`${this.name} supports only n = 1`)
    if (request.tools) throw new UnsupportedRequestError(`tools are not translated for ${this.name}`)
    const system = request.messages.filter((message) => message.role === 'system')
    const messages = request.messages
      .filter((message) => message.role !== 'system')
      .map((message) => {
        if (message.role !== 'user' && message.role !== 'assistant')
          throw new UnsupportedRequestError(
            `${this.name} does not accept messages with role '${message.role}'`,
          )
        return { role: message.role, content: [{ text: contentText(message.content) }] }
      })
    const inferenceConfig: Record<string, unknown> = {}
    if (request.max_tokens !== undefined) inferenceConfig.maxTokens = request.max_tokens
    if (request.temperature !== undefined) inferenceConfig.temperature = request.temperature / 2
    if (request.top_p !== undefined) inferenceConfig.topP = request.top_p
    if (request.stop) inferenceConfig.stopSequences = request.stop
    const body: Record<string, unknown> = { messages, inferenceConfig }
    if (system.length) body.system = system.map((message) => ({ text: contentText(message.content) }))
    return JSON.stringify(body)
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse> {
    const response = (await requestJson(
      this.#signed(this.#path('converse'), this.#body(request), options, 'application/json'),
      readCommonErrorMessage,
    )) as ConverseOutput
    if (!response?.output?.message) throw invalid(this.name)
    return {
      id: `bedrock-${Date.now().toString(36)}`,
      object: 'chat.completion',
      created: nowSeconds(),
      model: this.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: (response.output.message.content ?? []).map((block) => block.text ?? '').join(''),
          },
          finish_reason: STOP_REASONS[response.stopReason ?? ''] ?? 'stop',
        },
      ],
      usage: makeUsage(response.usage?.inputTokens ?? 0, response.usage?.outputTokens ?? 0),
    }
  }

  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<ChatChunk> {
    const response = await openStream(
      this.#signed(
        this.#path('converse-stream'),
        this.#body(request),
        options,
        'application/vnd.amazon.eventstream',
      ),
      readCommonErrorMessage,
      'application/vnd.amazon.eventstream',
    )
    const id = `bedrock-${Date.now().toString(36)}`
    const created = nowSeconds()
    const chunk = (delta: ChatChunk['choices'][0]['delta'], finish: FinishReason = null): ChatChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
    let finish: FinishReason | undefined
    for await (const message of parseEventStream(response.body, this.name)) {
      const payload = message.payload.length
        ? parseJsonEvent<ProviderJson>(message.payload.toString('utf8'), this.name)
        : {}
      if (message.headers[':message-type'] === 'exception' || message.headers[':message-type'] === 'error') {
        const type = message.headers[':exception-type'] ?? message.headers[':error-code'] ?? 'error'
        throw new UpstreamError('http', `${this.name} sent ${type} mid-stream: ${payload.message ?? ''}`, {
          status: EXCEPTION_STATUS[type] ?? 502,
          provider: this.name,
        })
      }
      switch (message.headers[':event-type']) {
        case 'messageStart':
          yield chunk({ role: payload.role ?? 'assistant', content: '' })
          break
        case 'contentBlockDelta':
          if (typeof payload.delta?.text === 'string') yield chunk({ content: payload.delta.text })
          break
        case 'messageStop':
          finish = STOP_REASONS[payload.stopReason ?? ''] ?? 'stop'
          break
        case 'metadata': {
          const last = chunk({}, finish ?? 'stop')
          last.usage = makeUsage(payload.usage?.inputTokens ?? 0, payload.usage?.outputTokens ?? 0)
          yield last
          return
        }
        default:
          break
      }
    }
    if (finish) {
      yield chunk({}, finish)
      return
    }
    throw new UpstreamError('stream-dropped', `${this.name} ended the stream without messageStop`, {
      provider: this.name,
    })
  }

  async embeddings(request: EmbeddingsRequest, options: CallOptions): Promise<EmbeddingsResponse> {
    const texts = embeddingTexts(request.input, this.name)
    const results = await Promise.all(
      texts.map(
        (text) =>
          requestJson(
            this.#signed(
              this.#path('invoke'),
              JSON.stringify({ inputText: text }),
              options,
              'application/json',
            ),
            readCommonErrorMessage,
          ) as Promise<{ embedding?: number[]; inputTextTokenCount?: number }>,
      ),
    )
    let tokens = 0
    const data = results.map((result, index) => {
      if (!Array.isArray(result?.embedding)) throw invalid(this.name)
      tokens += result.inputTextTokenCount ?? 0
      return { object: 'embedding' as const, embedding: result.embedding, index }
    })
    return { object: 'list', data, model: this.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }
  }
}

function invalid(name: string): UpstreamError {
  return new UpstreamError('invalid-response', `${name} answered in an unexpected shape`, { provider: name })
}
