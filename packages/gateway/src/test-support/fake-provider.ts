/**
 * Loopback fakes of the LLM providers, speaking each one's wire format as its public API reference
 * describes it: authentication headers, request validation with the provider's error bodies, streaming
 * framing (SSE, NDJSON, AWS event-stream), rate-limit headers. Faults can be queued per server.
 */
import { createHash, createHmac } from 'node:crypto'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { encodeEventStreamMessage } from '../http/stream-parsers.js'

export type FakeKind =
  | 'openai'
  | 'azure'
  | 'anthropic'
  | 'gemini'
  | 'cohere'
  | 'bedrock'
  | 'ollama'
  | 'mlflow'

export type Fault =
  | { type: 'status'; status: number; retryAfter?: string }
  /** Accepts the request and never answers. */
  | { type: 'hang' }
  /** Answers normally after a delay. */
  | { type: 'delay'; ms: number }
  /** Streams part of the answer, then destroys the socket. */
  | { type: 'drop-stream'; afterChunks: number }
  /** Streams one part every `intervalMs`; `closed` of the fake records whether the client hung up first. */
  | { type: 'slow-stream'; intervalMs: number }

/** A text part or content block: OpenAI/Anthropic `{type, text}`, Gemini parts and Bedrock blocks `{text}`. */
export interface WirePart {
  type?: string
  text?: string
}

/** A chat turn: `content` (OpenAI, Anthropic, Cohere, Ollama, Bedrock blocks) or `parts` (Gemini). */
export interface WireMessage {
  role?: string
  content?: string | WirePart[]
  parts?: WirePart[]
}

/**
 * A provider request body as the fakes read it: the fields of every provider's request that the
 * fakes validate or tests inspect, each as that provider's API reference types it. The fakes check
 * the fields at run time too, since a gateway bug may send anything.
 */
export interface ProviderRequestBody {
  model?: string
  messages?: WireMessage[]
  /** OpenAI completions. */
  prompt?: string
  /** OpenAI and Ollama embeddings. */
  input?: string | string[]
  stream?: boolean
  stream_options?: { include_usage?: boolean }
  max_tokens?: number
  temperature?: number
  /** Anthropic. */
  system?: string | WirePart[]
  /** Gemini. */
  contents?: WireMessage[]
  systemInstruction?: { parts?: WirePart[] }
  generationConfig?: { maxOutputTokens?: number; temperature?: number }
  requests?: { content?: { parts?: WirePart[] } }[]
  /** Cohere embed. */
  texts?: string[]
  input_type?: string
  /** Bedrock Titan embeddings. */
  inputText?: string
  /** Ollama. */
  options?: { num_predict?: number; temperature?: number }
  /** `mlflow models serve`. */
  inputs?: string[]
  mode?: string
  [field: string]: unknown
}

export interface RecordedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  /** The parsed JSON body; undefined when absent or not JSON. */
  body: ProviderRequestBody | undefined
}

export interface FakeProvider {
  kind: FakeKind
  url: string
  requests: RecordedRequest[]
  /** Faults applied to the next requests, one each, in order. */
  faults: Fault[]
  /** Slow streams whose client closed the connection before the end. */
  abandonedStreams: number
  apiKey: string
  close(): Promise<void>
}

export const FAKE_KEYS: Record<FakeKind, string> = {
  openai: 'sk-fake-openai-secret',
  azure: 'azure-fake-secret',
  anthropic: 'sk-ant-fake-secret',
  gemini: 'gemini-fake-secret',
  cohere: 'cohere-fake-secret',
  bedrock: 'AKIDFAKEEXAMPLE:bedrock-fake-secret-key',
  ollama: '',
  mlflow: '',
}

export const FAKE_EMBEDDING = [0.25, -0.5, 0.75]

/** The reply every fake gives: deterministic, so tests can compare it. */
export function fakeReply(prompt: string): string {
  return `echo: ${prompt}`
}

function words(text: string): string[] {
  return text.split(/(?<= )/)
}

type Handler = (request: RecordedRequest, response: ServerResponse, fake: FakeProvider) => void

export async function startFakeProvider(kind: FakeKind): Promise<FakeProvider> {
  const fake: FakeProvider = {
    kind,
    url: '',
    requests: [],
    faults: [],
    abandonedStreams: 0,
    apiKey: FAKE_KEYS[kind],
    close: async () => {},
  }
  const sockets = new Set<import('node:net').Socket>()
  const server = http.createServer((incoming, response) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: ProviderRequestBody | undefined
      try {
        body = raw ? (JSON.parse(raw) as ProviderRequestBody) : undefined
      } catch {
        body = undefined
      }
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: incoming.headers,
        body,
      }
      fake.requests.push(request)
      const fault = fake.faults.shift()
      if (fault?.type === 'hang') return
      if (fault?.type === 'status')
        return sendError(kind, response, fault.status, 'injected failure', fault.retryAfter)
      ;(response as ServerResponse & { dropAfter?: number }).dropAfter =
        fault?.type === 'drop-stream' ? fault.afterChunks : undefined
      ;(response as ServerResponse & { slowMs?: number; fake?: FakeProvider }).slowMs =
        fault?.type === 'slow-stream' ? fault.intervalMs : undefined
      ;(response as ServerResponse & { fake?: FakeProvider }).fake = fake
      const answer = () => {
        try {
          if (kind === 'bedrock' && !verifySigV4(incoming, raw))
            return sendError(
              kind,
              response,
              403,
              'The request signature we calculated does not match the signature you provided.',
            )
          HANDLERS[kind](request, response, fake)
        } catch (error) {
          sendError(kind, response, 500, String(error))
        }
      }
      if (fault?.type === 'delay') setTimeout(answer, fault.ms)
      else answer()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return fake
}

/** Each provider's error body shape. */
function sendError(
  kind: FakeKind,
  response: ServerResponse,
  status: number,
  message: string,
  retryAfter?: string,
): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter
  let body: unknown
  switch (kind) {
    case 'openai':
    case 'azure':
      body = {
        error: {
          message,
          type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error',
          param: null,
          code: null,
        },
      }
      if (status === 429) {
        headers['x-ratelimit-limit-requests'] = '60'
        headers['x-ratelimit-remaining-requests'] = '0'
      }
      break
    case 'anthropic':
      body = {
        type: 'error',
        error: {
          type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error',
          message,
        },
      }
      if (status === 429) headers['anthropic-ratelimit-requests-remaining'] = '0'
      break
    case 'gemini':
      body = {
        error: {
          code: status,
          message,
          status: status === 429 ? 'RESOURCE_EXHAUSTED' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT',
        },
      }
      break
    case 'cohere':
      body = { id: 'err-1', message }
      break
    case 'bedrock':
      body = { message }
      headers['x-amzn-errortype'] =
        status === 429
          ? 'ThrottlingException'
          : status === 403
            ? 'AccessDeniedException'
            : status >= 500
              ? 'InternalServerException'
              : 'ValidationException'
      break
    case 'ollama':
      body = { error: message }
      break
    case 'mlflow':
      body = { error_code: status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', message }
      break
  }
  response.writeHead(status, headers)
  response.end(JSON.stringify(body))
}

/** Writes stream parts, destroying the socket after `dropAfter` of them when a drop fault is active. */
function writeParts(response: ServerResponse, contentType: string, parts: (string | Buffer)[]): void {
  const { dropAfter, slowMs, fake } = response as ServerResponse & {
    dropAfter?: number
    slowMs?: number
    fake?: FakeProvider
  }
  response.writeHead(200, { 'content-type': contentType })
  if (slowMs !== undefined) {
    let index = 0
    const timer = setInterval(() => {
      if (index < parts.length) response.write(parts[index++]!)
      else {
        clearInterval(timer)
        response.end()
      }
    }, slowMs)
    response.on('close', () => {
      clearInterval(timer)
      if (!response.writableFinished && fake) fake.abandonedStreams++
    })
    return
  }
  if (dropAfter === undefined) {
    for (const part of parts) response.write(part)
    response.end()
    return
  }
  response.flushHeaders()
  for (const part of parts.slice(0, dropAfter)) response.write(part)
  // Let what was written reach the client, then cut the connection mid-body.
  setTimeout(() => response.socket?.destroy(), 30)
}

function lastUserText(messages: readonly WireMessage[]): string {
  const last = [...messages].reverse().find((message) => message.role === 'user')
  if (!last) return ''
  if (typeof last.content === 'string') return last.content
  if (Array.isArray(last.content)) return last.content.map((part) => part.text ?? '').join('')
  return ''
}

const tokens = (text: string) => text.split(/\s+/).filter(Boolean).length

function requireBearer(
  request: RecordedRequest,
  response: ServerResponse,
  fake: FakeProvider,
  kind: FakeKind,
): boolean {
  if (request.headers.authorization !== `Bearer ${fake.apiKey}`) {
    sendError(kind, response, 401, 'Incorrect API key provided')
    return false
  }
  return true
}

const openAiHandler: Handler = (request, response, fake) => {
  const kind = fake.kind
  const path = request.path.split('?')[0]!
  if (kind === 'azure') {
    if (request.headers['api-key'] !== fake.apiKey)
      return sendError(kind, response, 401, 'Access denied due to invalid subscription key')
    if (!/api-version=/.test(request.path)) return sendError(kind, response, 404, 'Resource not found')
  } else if (!requireBearer(request, response, fake, kind)) return
  const body = request.body
  if (!body || typeof body !== 'object')
    return sendError(kind, response, 400, 'We could not parse the JSON body of your request.')
  if (kind === 'openai' && typeof body.model !== 'string')
    return sendError(kind, response, 400, 'you must provide a model parameter')
  const model = body.model ?? 'azure-deployment'
  if (path.endsWith('/embeddings')) {
    const inputs = Array.isArray(body.input) ? body.input : [body.input]
    if (inputs.some((item: unknown) => item === undefined))
      return sendError(kind, response, 400, "'input' is a required property")
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({
        object: 'list',
        data: inputs.map((_: unknown, index: number) => ({
          object: 'embedding',
          index,
          embedding: FAKE_EMBEDDING,
        })),
        model,
        usage: { prompt_tokens: inputs.length * 2, total_tokens: inputs.length * 2 },
      }),
    )
    return
  }
  const chat = path.endsWith('/chat/completions')
  if (chat && (!Array.isArray(body.messages) || body.messages.length === 0))
    return sendError(kind, response, 400, "'messages' is a required property")
  if (!chat && typeof body.prompt !== 'string')
    return sendError(kind, response, 400, "'prompt' is a required property")
  const prompt = chat ? lastUserText(body.messages ?? []) : (body.prompt ?? '')
  const text = fakeReply(prompt)
  const usage = {
    prompt_tokens: tokens(prompt),
    completion_tokens: tokens(text),
    total_tokens: tokens(prompt) + tokens(text),
  }
  const created = 1_700_000_000
  if (body.stream) {
    const parts: string[] = []
    const push = (value: unknown) => parts.push(`data: ${JSON.stringify(value)}\n\n`)
    const object = chat ? 'chat.completion.chunk' : 'text_completion'
    if (chat)
      push({
        id: 'chatcmpl-fake',
        object,
        created,
        model,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      })
    for (const word of words(text))
      push(
        chat
          ? {
              id: 'chatcmpl-fake',
              object,
              created,
              model,
              choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
            }
          : {
              id: 'cmpl-fake',
              object,
              created,
              model,
              choices: [{ index: 0, text: word, finish_reason: null }],
            },
      )
    push(
      chat
        ? {
            id: 'chatcmpl-fake',
            object,
            created,
            model,
            choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
          }
        : {
            id: 'cmpl-fake',
            object,
            created,
            model,
            choices: [{ index: 0, text: '', finish_reason: 'stop' }],
          },
    )
    if (body.stream_options?.include_usage)
      push({ id: 'chatcmpl-fake', object, created, model, choices: [], usage })
    parts.push('data: [DONE]\n\n')
    return writeParts(response, 'text/event-stream', parts)
  }
  response.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '59' })
  response.end(
    JSON.stringify(
      chat
        ? {
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            created,
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
            usage,
          }
        : {
            id: 'cmpl-fake',
            object: 'text_completion',
            created,
            model,
            choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
            usage,
          },
    ),
  )
}

const anthropicHandler: Handler = (request, response, fake) => {
  if (request.headers['x-api-key'] !== fake.apiKey)
    return sendError('anthropic', response, 401, 'invalid x-api-key')
  if (!request.headers['anthropic-version'])
    return sendError('anthropic', response, 400, 'anthropic-version header is required')
  const body = request.body
  if (typeof body?.model !== 'string') return sendError('anthropic', response, 400, 'model: Field required')
  if (!Number.isInteger(body.max_tokens))
    return sendError('anthropic', response, 400, 'max_tokens: Field required')
  if (
    !Array.isArray(body.messages) ||
    body.messages.some((message) => message.role !== 'user' && message.role !== 'assistant')
  )
    return sendError('anthropic', response, 400, 'messages: roles must be user or assistant')
  if (body.temperature !== undefined && (body.temperature < 0 || body.temperature > 1))
    return sendError('anthropic', response, 400, 'temperature: must be from 0 to 1')
  const prompt = lastUserText(body.messages)
  const text = fakeReply(prompt)
  const id = 'msg_fake'
  if (body.stream) {
    const parts: string[] = []
    const event = (type: string, data: unknown) =>
      parts.push(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`)
    event('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        content: [],
        model: body.model,
        stop_reason: null,
        usage: { input_tokens: tokens(prompt), output_tokens: 1 },
      },
    })
    event('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    })
    event('ping', { type: 'ping' })
    for (const word of words(text))
      event('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: word },
      })
    event('content_block_stop', { type: 'content_block_stop', index: 0 })
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: tokens(text) },
    })
    event('message_stop', { type: 'message_stop' })
    return writeParts(response, 'text/event-stream', parts)
  }
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(
    JSON.stringify({
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: tokens(prompt), output_tokens: tokens(text) },
    }),
  )
}

const geminiHandler: Handler = (request, response, fake) => {
  if (request.headers['x-goog-api-key'] !== fake.apiKey)
    return sendError('gemini', response, 400, 'API key not valid. Please pass a valid API key.')
  const match =
    /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)(\?alt=sse)?$/.exec(
      request.path,
    )
  if (!match) return sendError('gemini', response, 404, `path ${request.path} not found`)
  const [, model, method, sse] = match
  const body = request.body
  if (method === 'batchEmbedContents') {
    if (!Array.isArray(body?.requests)) return sendError('gemini', response, 400, 'requests is required')
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ embeddings: body.requests.map(() => ({ values: FAKE_EMBEDDING })) }))
    return
  }
  if (
    !Array.isArray(body?.contents) ||
    body.contents.some((content) => content.role !== 'user' && content.role !== 'model')
  )
    return sendError('gemini', response, 400, 'contents: role must be user or model')
  const last = body.contents.at(-1)
  const prompt = (last?.parts ?? []).map((part) => part.text ?? '').join('')
  const text = fakeReply(prompt)
  const usageMetadata = {
    promptTokenCount: tokens(prompt),
    candidatesTokenCount: tokens(text),
    totalTokenCount: tokens(prompt) + tokens(text),
  }
  if (method === 'streamGenerateContent') {
    if (!sse) return sendError('gemini', response, 400, 'this fake serves only alt=sse')
    const pieces = words(text)
    const parts = pieces.map((word, index) => {
      const last = index === pieces.length - 1
      return `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: word }] }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }], ...(last ? { usageMetadata } : {}), modelVersion: model, responseId: 'gem-fake' })}\r\n\r\n`
    })
    return writeParts(response, 'text/event-stream', parts)
  }
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(
    JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata,
      modelVersion: model,
      responseId: 'gem-fake',
    }),
  )
}

const cohereHandler: Handler = (request, response, fake) => {
  if (!requireBearer(request, response, fake, 'cohere')) return
  const body = request.body
  if (request.path === '/v2/embed') {
    if (!Array.isArray(body?.texts) || !body.input_type)
      return sendError('cohere', response, 400, 'texts and input_type are required')
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({
        id: 'emb-fake',
        embeddings: { float: body.texts.map(() => FAKE_EMBEDDING) },
        texts: body.texts,
        meta: { billed_units: { input_tokens: body.texts.length * 2 } },
      }),
    )
    return
  }
  if (request.path !== '/v2/chat') return sendError('cohere', response, 404, 'not found')
  if (typeof body?.model !== 'string' || !Array.isArray(body.messages))
    return sendError('cohere', response, 400, 'model and messages are required')
  const prompt = lastUserText(body.messages)
  const text = fakeReply(prompt)
  const usage = {
    billed_units: { input_tokens: tokens(prompt), output_tokens: tokens(text) },
    tokens: { input_tokens: tokens(prompt), output_tokens: tokens(text) },
  }
  if (body.stream) {
    const parts: string[] = []
    const event = (type: string, data: Record<string, unknown>) =>
      parts.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    event('message-start', { id: 'co-fake', delta: { message: { role: 'assistant', content: [] } } })
    event('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } })
    for (const word of words(text))
      event('content-delta', { index: 0, delta: { message: { content: { text: word } } } })
    event('content-end', { index: 0 })
    event('message-end', { delta: { finish_reason: 'COMPLETE', usage } })
    return writeParts(response, 'text/event-stream', parts)
  }
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(
    JSON.stringify({
      id: 'co-fake',
      finish_reason: 'COMPLETE',
      message: { role: 'assistant', content: [{ type: 'text', text }] },
      usage,
    }),
  )
}

const bedrockHandler: Handler = (request, response) => {
  const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(request.path)
  if (!match) return sendError('bedrock', response, 404, 'not found')
  const [, , operation] = match
  const body = request.body
  if (operation === 'invoke') {
    if (typeof body?.inputText !== 'string')
      return sendError('bedrock', response, 400, 'inputText is required')
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ embedding: FAKE_EMBEDDING, inputTextTokenCount: tokens(body.inputText) }))
    return
  }
  if (!Array.isArray(body?.messages) || body.messages.some((message) => !Array.isArray(message.content)))
    return sendError('bedrock', response, 400, 'messages must hold content blocks')
  const last = body.messages.at(-1)
  const blocks = Array.isArray(last?.content) ? last.content : []
  const prompt = blocks.map((block) => block.text ?? '').join('')
  const text = fakeReply(prompt)
  const usage = {
    inputTokens: tokens(prompt),
    outputTokens: tokens(text),
    totalTokens: tokens(prompt) + tokens(text),
  }
  if (operation === 'converse-stream') {
    const frame = (type: string, payload: unknown) =>
      encodeEventStreamMessage(
        { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
        Buffer.from(JSON.stringify(payload)),
      )
    const parts = [frame('messageStart', { role: 'assistant' })]
    for (const word of words(text))
      parts.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: word } }))
    parts.push(
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('messageStop', { stopReason: 'end_turn' }),
      frame('metadata', { usage, metrics: { latencyMs: 1 } }),
    )
    return writeParts(response, 'application/vnd.amazon.eventstream', parts)
  }
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(
    JSON.stringify({
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason: 'end_turn',
      usage,
      metrics: { latencyMs: 1 },
    }),
  )
}

const ollamaHandler: Handler = (request, response) => {
  const body = request.body
  if (request.path === '/api/embed') {
    const input = Array.isArray(body?.input) ? body.input : [body?.input]
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({
        model: body?.model,
        embeddings: input.map(() => FAKE_EMBEDDING),
        prompt_eval_count: input.length,
      }),
    )
    return
  }
  if (request.path !== '/api/chat') return sendError('ollama', response, 404, '404 page not found')
  if (typeof body?.model !== 'string') return sendError('ollama', response, 400, 'model is required')
  const prompt = lastUserText(body.messages ?? [])
  const text = fakeReply(prompt)
  const final = {
    model: body.model,
    created_at: '2024-01-01T00:00:00Z',
    done: true,
    done_reason: 'stop',
    prompt_eval_count: tokens(prompt),
    eval_count: tokens(text),
  }
  if (body.stream !== false) {
    const parts = words(text).map(
      (word) =>
        `${JSON.stringify({ model: body.model, created_at: '2024-01-01T00:00:00Z', message: { role: 'assistant', content: word }, done: false })}\n`,
    )
    parts.push(`${JSON.stringify({ ...final, message: { role: 'assistant', content: '' } })}\n`)
    return writeParts(response, 'application/x-ndjson', parts)
  }
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(JSON.stringify({ ...final, message: { role: 'assistant', content: text } }))
}

/** `mlflow models serve`: `{"inputs": [...]}` → `{"predictions": [...]}` (strings echo, vectors for `embed` models). */
const mlflowHandler: Handler = (request, response) => {
  if (request.path !== '/invocations') return sendError('mlflow', response, 404, 'not found')
  const inputs = request.body?.inputs
  if (!Array.isArray(inputs)) return sendError('mlflow', response, 400, "Invalid input. Expected 'inputs'")
  const embed = request.body?.mode === 'embed' || inputs.every((input: string) => input.startsWith('embed:'))
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(
    JSON.stringify({
      predictions: inputs.map((input: string) => (embed ? FAKE_EMBEDDING : fakeReply(input))),
    }),
  )
}

const HANDLERS: Record<FakeKind, Handler> = {
  mlflow: mlflowHandler,
  openai: openAiHandler,
  azure: openAiHandler,
  anthropic: anthropicHandler,
  gemini: geminiHandler,
  cohere: cohereHandler,
  bedrock: bedrockHandler,
  ollama: ollamaHandler,
}

/**
 * Checks an AWS SigV4 signature independently of the gateway's signer (a second implementation
 * written from the AWS documentation), over the request exactly as received.
 */
function verifySigV4(incoming: IncomingMessage, body: string): boolean {
  const [accessKeyId, secret] = FAKE_KEYS.bedrock.split(':') as [string, string]
  const authorization = incoming.headers.authorization ?? ''
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/bedrock\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    )
  if (!match || match[1] !== accessKeyId) return false
  const [, , day, region, signedHeaders, signature] = match as unknown as string[]
  const amzDate = String(incoming.headers['x-amz-date'] ?? '')
  if (createHash('sha256').update(body).digest('hex') !== incoming.headers['x-amz-content-sha256'])
    return false
  const [path, query = ''] = (incoming.url ?? '').split('?')
  const canonicalUri = path!
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/')
  const canonicalHeaders = signedHeaders!
    .split(';')
    .map((name) => `${name}:${String(incoming.headers[name] ?? '').trim()}\n`)
    .join('')
  const canonical = [
    'POST',
    canonicalUri,
    query,
    canonicalHeaders,
    signedHeaders,
    createHash('sha256').update(body).digest('hex'),
  ].join('\n')
  const scope = `${day}/${region}/bedrock/aws4_request`
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n')
  let key = createHmac('sha256', `AWS4${secret}`).update(day!).digest()
  for (const part of [region!, 'bedrock', 'aws4_request'])
    key = createHmac('sha256', key).update(part).digest()
  return createHmac('sha256', key).update(toSign).digest('hex') === signature
}
