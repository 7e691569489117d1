/**
 * The gateway's request and response shapes: OpenAI's, which are also MLflow's gateway schemas
 * (`mlflow/gateway/schemas/{chat,completions,embeddings}.py`). Providers translate to and from these.
 */

export type EndpointType = 'llm/v1/chat' | 'llm/v1/completions' | 'llm/v1/embeddings'
export const ENDPOINT_TYPES: readonly EndpointType[] = [
  'llm/v1/chat',
  'llm/v1/completions',
  'llm/v1/embeddings',
]

export interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export interface ContentPart {
  type: string
  text?: string
  [key: string]: unknown
}

export interface ChatMessage {
  role: string
  content?: string | ContentPart[] | null
  name?: string
  tool_calls?: ToolCall[]
  tool_call_id?: string
}

export interface ToolDefinition {
  type: 'function'
  function: { name: string; description?: string; parameters?: Record<string, unknown> }
}

/** Sampling options shared by chat and completions. */
export interface SamplingOptions {
  temperature?: number
  top_p?: number
  n?: number
  stop?: string[]
  max_tokens?: number
  stream?: boolean
}

export interface ChatRequest extends SamplingOptions {
  messages: ChatMessage[]
  tools?: ToolDefinition[]
  tool_choice?: unknown
  [extra: string]: unknown
}

export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | null

export interface ChatResponse {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: { index: number; message: ChatMessage; finish_reason: FinishReason | string }[]
  usage: Usage
}

export interface ChatDelta {
  role?: string
  content?: string | null
  tool_calls?: (Partial<ToolCall> & { index: number })[]
}

export interface ChatChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: { index: number; delta: ChatDelta; finish_reason: FinishReason | string }[]
  usage?: Usage | null
}

export interface CompletionsRequest extends SamplingOptions {
  prompt: string
  [extra: string]: unknown
}

export interface CompletionsResponse {
  id: string
  object: 'text_completion'
  created: number
  model: string
  choices: { index: number; text: string; finish_reason: FinishReason | string }[]
  usage: Usage
}

export interface CompletionsChunk {
  id: string
  object: 'text_completion_chunk'
  created: number
  model: string
  choices: { index: number; text: string; finish_reason: FinishReason | string }[]
  usage?: Usage | null
}

export interface EmbeddingsRequest {
  input: string | string[] | number[] | number[][]
  [extra: string]: unknown
}

export interface EmbeddingsResponse {
  object: 'list'
  data: { object: 'embedding'; embedding: number[]; index: number }[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

export function emptyUsage(): Usage {
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
}

export function makeUsage(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  }
}

/** The text of a message's content (parts of type `text` joined). */
export function contentText(content: ChatMessage['content']): string {
  if (content == null) return ''
  if (typeof content === 'string') return content
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('')
}

/** A provider's parsed JSON, read field by field with optional chaining and fallbacks. */
// biome-ignore lint/suspicious/noExplicitAny: provider payloads are untyped JSON checked where they are read
export type ProviderJson = Record<string, any>
