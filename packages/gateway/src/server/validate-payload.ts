import { MlflowError } from '@cairn/core'
import type { ChatRequest, CompletionsRequest, EmbeddingsRequest } from '../types.js'

function invalid(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', message)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Checks the options shared by chat and completions (OpenAI's ranges, which MLflow's schemas use too). */
function checkSampling(body: Record<string, unknown>): void {
  const { temperature, top_p, n, max_tokens, stream } = body
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 2))
    throw invalid('temperature must be a number from 0 to 2')
  if (top_p !== undefined && (typeof top_p !== 'number' || top_p < 0 || top_p > 1))
    throw invalid('top_p must be a number from 0 to 1')
  if (n !== undefined && (!Number.isInteger(n) || (n as number) < 1))
    throw invalid('n must be a positive integer')
  if (
    max_tokens !== undefined &&
    max_tokens !== null &&
    (!Number.isInteger(max_tokens) || (max_tokens as number) < 1)
  )
    throw invalid('max_tokens must be a positive integer')
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw invalid('stream must be a boolean')
  if (body.stop !== undefined && body.stop !== null) {
    if (typeof body.stop === 'string') body.stop = [body.stop]
    else if (!Array.isArray(body.stop) || body.stop.some((item) => typeof item !== 'string'))
      throw invalid('stop must be a string or a list of strings')
  } else delete body.stop
  if (max_tokens === null) delete body.max_tokens
}

export function parseChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body)) throw invalid('The request body must be a JSON object')
  const { messages } = body
  if (!Array.isArray(messages) || messages.length === 0) throw invalid("'messages' must be a non-empty list")
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || typeof message.role !== 'string')
      throw invalid(`messages[${index}] must be an object with a string 'role'`)
    const content = message.content
    if (content !== undefined && content !== null && typeof content !== 'string' && !Array.isArray(content))
      throw invalid(`messages[${index}].content must be a string or a list of content parts`)
    if ((content === undefined || content === null) && !Array.isArray(message.tool_calls))
      throw invalid(`messages[${index}] needs 'content' or 'tool_calls'`)
  }
  if (body.tools !== undefined && !Array.isArray(body.tools)) throw invalid("'tools' must be a list")
  checkSampling(body)
  return body as ChatRequest
}

export function parseCompletionsRequest(body: unknown): CompletionsRequest {
  if (!isRecord(body)) throw invalid('The request body must be a JSON object')
  if (typeof body.prompt !== 'string') throw invalid("'prompt' must be a string")
  checkSampling(body)
  return body as CompletionsRequest
}

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (!isRecord(body)) throw invalid('The request body must be a JSON object')
  const { input } = body
  const ok =
    typeof input === 'string' ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (input.every((item) => typeof item === 'string') ||
        input.every((item) => Number.isInteger(item)) ||
        input.every((item) => Array.isArray(item) && item.every((token) => Number.isInteger(token)))))
  if (!ok) throw invalid("'input' must be a string, a non-empty list of strings, or token ids")
  return body as EmbeddingsRequest
}
