import { parseJsonEvent, parseSse } from '../http/stream-parsers.js'
import { openStream, readCommonErrorMessage, requestJson } from '../http/upstream.js'
import { UpstreamError } from '../http/upstream-error.js'
import type {
  ChatChunk,
  ChatMessage,
  ChatRequest,
  ChatResponse,
  EmbeddingsResponse,
  FinishReason,
  ProviderJson,
  ToolCall,
} from '../types.js'
import { contentText, makeUsage, nowSeconds } from '../types.js'
import { ChatBasedProvider } from './chat-based-completions.js'
import { requireOption, stringOption, trimSlash } from './config-values.js'
import {
  type CallOptions,
  type Provider,
  type ProviderSettings,
  UnsupportedRequestError,
} from './provider.js'

const DEFAULT_MAX_TOKENS = 1024

interface AnthropicBlock {
  type: string
  text?: string
  id?: string
  name?: string
  input?: unknown
  tool_use_id?: string
  content?: unknown
}

interface AnthropicMessage {
  id: string
  model: string
  content: AnthropicBlock[]
  stop_reason: string | null
  usage: { input_tokens: number; output_tokens: number }
}

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
}

/** `{"type": "error", "error": {"type": …, "message": …}}` */
function readAnthropicError(body: unknown): string | undefined {
  return readCommonErrorMessage(body)
}

/**
 * Anthropic's Messages API (https://docs.anthropic.com/en/api/messages): system messages go to `system`,
 * tool calls become `tool_use` / `tool_result` blocks, temperature is scaled from OpenAI's 0–2 to 0–1 (as
 * MLflow does), and the stream's event types (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping, error) become OpenAI chunks.
 */
export class AnthropicProvider extends ChatBasedProvider implements Provider {
  readonly name = 'anthropic'
  readonly model: string
  readonly endpointTypes = ['llm/v1/chat', 'llm/v1/completions'] as const
  readonly #url: string
  readonly #headers: Record<string, string>

  constructor(settings: ProviderSettings) {
    super()
    this.model = settings.model
    const base = trimSlash(
      stringOption(settings.config, 'anthropic_api_base') ?? 'https://api.anthropic.com/v1',
    )
    this.#url = `${base}/messages`
    this.#headers = {
      'x-api-key': requireOption(settings.config, 'anthropic_api_key', 'anthropic'),
      'anthropic-version': stringOption(settings.config, 'anthropic_version') ?? '2023-06-01',
    }
  }

  #body(request: ChatRequest, stream: boolean): string {
    if ((request.n ?? 1) !== 1) throw new UnsupportedRequestError('anthropic supports only n = 1')
    const system = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => contentText(message.content))
      .join('\n')
    const body: Record<string, unknown> = {
      model: this.model,
      max_tokens: request.max_tokens ?? DEFAULT_MAX_TOKENS,
      messages: toAnthropicMessages(request.messages.filter((message) => message.role !== 'system')),
    }
    if (system) body.system = system
    if (request.temperature !== undefined) body.temperature = request.temperature / 2
    if (request.top_p !== undefined) body.top_p = request.top_p
    if (request.stop) body.stop_sequences = request.stop
    if (request.tools)
      body.tools = request.tools.map((tool) => ({
        name: tool.function.name,
        description: tool.function.description,
        input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
      }))
    if (stream) body.stream = true
    return JSON.stringify(body)
  }

  #request(body: string, options: CallOptions) {
    return {
      url: this.#url,
      headers: this.#headers,
      body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      provider: this.name,
    }
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse> {
    const message = (await requestJson(
      this.#request(this.#body(request, false), options),
      readAnthropicError,
    )) as AnthropicMessage
    if (!Array.isArray(message?.content)) throw invalid()
    const text = message.content
      .filter((block) => block.type === 'text')
      .map((block) => block.text ?? '')
      .join('')
    const toolCalls: ToolCall[] = message.content
      .filter((block) => block.type === 'tool_use')
      .map((block) => ({
        id: block.id ?? '',
        type: 'function',
        function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) },
      }))
    return {
      id: message.id,
      object: 'chat.completion',
      created: nowSeconds(),
      model: message.model ?? this.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: text || (toolCalls.length ? null : ''),
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: STOP_REASONS[message.stop_reason ?? ''] ?? 'stop',
        },
      ],
      usage: makeUsage(message.usage?.input_tokens ?? 0, message.usage?.output_tokens ?? 0),
    }
  }

  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<ChatChunk> {
    const response = await openStream(this.#request(this.#body(request, true), options), readAnthropicError)
    let id = ''
    let model = this.model
    let inputTokens = 0
    const created = nowSeconds()
    const chunk = (delta: ChatChunk['choices'][0]['delta'], finish: FinishReason = null): ChatChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
    const toolIndexByBlock = new Map<number, number>()
    for await (const event of parseSse(response.body, this.name)) {
      const data = parseJsonEvent<ProviderJson>(event.data, this.name)
      switch (data.type) {
        case 'message_start':
          id = data.message?.id ?? ''
          model = data.message?.model ?? model
          inputTokens = data.message?.usage?.input_tokens ?? 0
          yield chunk({ role: 'assistant', content: '' })
          break
        case 'content_block_start':
          if (data.content_block?.type === 'tool_use') {
            const toolIndex = toolIndexByBlock.size
            toolIndexByBlock.set(data.index, toolIndex)
            yield chunk({
              tool_calls: [
                {
                  index: toolIndex,
                  id: data.content_block.id,
                  type: 'function',
                  function: { name: data.content_block.name, arguments: '' },
                },
              ],
            })
          }
          break
        case 'content_block_delta':
          if (data.delta?.type === 'text_delta') yield chunk({ content: data.delta.text })
          else if (data.delta?.type === 'input_json_delta')
            yield chunk({
              tool_calls: [
                {
                  index: toolIndexByBlock.get(data.index) ?? 0,
                  function: { name: undefined as never, arguments: data.delta.partial_json },
                },
              ],
            })
          break
        case 'message_delta': {
          const finished = chunk({}, STOP_REASONS[data.delta?.stop_reason ?? ''] ?? 'stop')
          finished.usage = makeUsage(
            inputTokens + (data.usage?.input_tokens ?? 0),
            data.usage?.output_tokens ?? 0,
          )
          yield finished
          break
        }
        case 'message_stop':
          return
        case 'error':
          throw new UpstreamError(
            'http',
            `anthropic sent an error mid-stream: ${data.error?.message ?? 'unknown'}`,
            {
              status:
                data.error?.type === 'overloaded_error'
                  ? 529
                  : data.error?.type === 'rate_limit_error'
                    ? 429
                    : 502,
              provider: this.name,
            },
          )
        default:
          break // ping, content_block_stop
      }
    }
    throw new UpstreamError('stream-dropped', 'anthropic ended the stream without message_stop', {
      provider: this.name,
    })
  }

  async embeddings(): Promise<EmbeddingsResponse> {
    throw new UnsupportedRequestError('anthropic has no embeddings API')
  }
}

function toAnthropicMessages(
  messages: ChatMessage[],
): { role: string; content: AnthropicBlock[] | string }[] {
  const result: { role: string; content: AnthropicBlock[] | string }[] = []
  for (const message of messages) {
    if (message.role === 'tool') {
      result.push({
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: message.tool_call_id ?? '',
            content: contentText(message.content),
          },
        ],
      })
    } else if (message.role === 'assistant' && message.tool_calls?.length) {
      const blocks: AnthropicBlock[] = []
      const text = contentText(message.content)
      if (text) blocks.push({ type: 'text', text })
      for (const call of message.tool_calls)
        blocks.push({
          type: 'tool_use',
          id: call.id,
          name: call.function.name,
          input: safeJson(call.function.arguments),
        })
      result.push({ role: 'assistant', content: blocks })
    } else if (message.role === 'user' || message.role === 'assistant') {
      result.push({ role: message.role, content: contentText(message.content) })
    } else {
      throw new UnsupportedRequestError(`anthropic does not accept messages with role '${message.role}'`)
    }
  }
  return result
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return {}
  }
}

function invalid(): UpstreamError {
  return new UpstreamError('invalid-response', 'anthropic answered in an unexpected shape', {
    provider: 'anthropic',
  })
}
