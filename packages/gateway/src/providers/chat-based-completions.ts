import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  CompletionsChunk,
  CompletionsRequest,
  CompletionsResponse,
} from '../types.js'
import { contentText } from '../types.js'
import type { CallOptions } from './provider.js'

/** A completions request as a one-message chat, for providers that only have a chat API. */
export function completionsToChat(request: CompletionsRequest): ChatRequest {
  const { prompt, ...rest } = request
  return { ...rest, messages: [{ role: 'user', content: prompt }] }
}

export function chatToCompletionsResponse(response: ChatResponse): CompletionsResponse {
  return {
    id: response.id,
    object: 'text_completion',
    created: response.created,
    model: response.model,
    choices: response.choices.map((choice) => ({
      index: choice.index,
      text: contentText(choice.message.content),
      finish_reason: choice.finish_reason,
    })),
    usage: response.usage,
  }
}

export async function* chatToCompletionsChunks(
  chunks: AsyncIterable<ChatChunk>,
): AsyncGenerator<CompletionsChunk> {
  for await (const chunk of chunks) {
    yield {
      id: chunk.id,
      object: 'text_completion_chunk',
      created: chunk.created,
      model: chunk.model,
      choices: chunk.choices.map((choice) => ({
        index: choice.index,
        text: choice.delta.content ?? '',
        finish_reason: choice.finish_reason,
      })),
      ...(chunk.usage ? { usage: chunk.usage } : {}),
    }
  }
}

/**
 * Base of providers whose API has chat only (Anthropic, Gemini, Cohere, Bedrock, Ollama): a completions call is
 * sent as a one-message chat and its answer, or its stream, translated back.
 */
export abstract class ChatBasedProvider {
  abstract chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse>
  abstract chatStream(request: ChatRequest, options: CallOptions): AsyncIterable<ChatChunk>

  async completions(request: CompletionsRequest, options: CallOptions): Promise<CompletionsResponse> {
    return chatToCompletionsResponse(await this.chat(completionsToChat(request), options))
  }

  completionsStream(request: CompletionsRequest, options: CallOptions): AsyncIterable<CompletionsChunk> {
    return chatToCompletionsChunks(this.chatStream(completionsToChat(request), options))
  }
}
