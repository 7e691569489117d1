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

/** Per-call settings the router hands to a provider. */
export interface CallOptions {
  /** Until the answer starts, then between two stream chunks. */
  timeoutMs: number
  signal?: AbortSignal
}

/**
 * One model at one provider. Requests and answers are in the gateway's (OpenAI's) shapes; each provider
 * translates them to and from its own wire format. Failures reject with `UpstreamError`.
 */
export interface Provider {
  /** The `model.provider` name of the configuration. */
  readonly name: string
  /** The `model.name` of the configuration. */
  readonly model: string
  readonly endpointTypes: readonly EndpointType[]
  chat(request: ChatRequest, options: CallOptions): Promise<ChatResponse>
  chatStream(request: ChatRequest, options: CallOptions): AsyncIterable<ChatChunk>
  completions(request: CompletionsRequest, options: CallOptions): Promise<CompletionsResponse>
  completionsStream(request: CompletionsRequest, options: CallOptions): AsyncIterable<CompletionsChunk>
  embeddings(request: EmbeddingsRequest, options: CallOptions): Promise<EmbeddingsResponse>
}

/** Settings every provider gets from `model`: its name and the resolved `config` map. */
export interface ProviderSettings {
  model: string
  config: Record<string, unknown>
}

/** Options of a chat request not translated by a provider: the OpenAI names it accepts as they are. */
export function requestStops(stop: ChatRequest['stop'] | string): string[] | undefined {
  if (stop === undefined || stop === null) return undefined
  return Array.isArray(stop) ? stop : [stop]
}

/** Turns an embeddings `input` into a list of strings (token-id inputs are only for OpenAI-style providers). */
export function embeddingTexts(input: EmbeddingsRequest['input'], provider: string): string[] {
  if (typeof input === 'string') return [input]
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[]
  throw new UnsupportedRequestError(`${provider} embeddings take text input, not token ids`)
}

/** A request the provider cannot serve (answered 400, never retried). */
export class UnsupportedRequestError extends Error {
  override readonly name = 'UnsupportedRequestError'
}
