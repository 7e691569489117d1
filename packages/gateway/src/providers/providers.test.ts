import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAKE_EMBEDDING, FAKE_KEYS, fakeReply } from '../test-support/fake-provider.js'
import {
  FAKE_OF_PROVIDER,
  fakeModelConfig,
  type Harness,
  sseData,
  startHarness,
} from '../test-support/gateway-harness.js'
import type { ChatResponse, CompletionsResponse, EmbeddingsResponse } from '../types.js'

const CASES: { provider: string; model: string; embeddings: boolean }[] = [
  { provider: 'openai', model: 'gpt-4o-mini', embeddings: true },
  { provider: 'azure', model: 'gpt-4o', embeddings: true },
  { provider: 'mistral', model: 'mistral-small-latest', embeddings: true },
  { provider: 'togetherai', model: 'meta-llama/Llama-3-8b', embeddings: true },
  { provider: 'groq', model: 'llama3-8b', embeddings: false },
  { provider: 'openai-compatible', model: 'my-vllm-model', embeddings: true },
  { provider: 'anthropic', model: 'claude-3-5-haiku-latest', embeddings: false },
  { provider: 'gemini', model: 'gemini-1.5-flash', embeddings: true },
  { provider: 'cohere', model: 'command-r', embeddings: true },
  { provider: 'bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', embeddings: false },
  { provider: 'ollama', model: 'llama3.2', embeddings: true },
]

let harness: Harness

beforeAll(async () => {
  harness = await startHarness((fakes) => {
    const lines = ['endpoints:']
    for (const { provider, model, embeddings } of CASES) {
      const config = fakeModelConfig(fakes[FAKE_OF_PROVIDER[provider]!], provider)
      const types = ['chat', 'completions', ...(embeddings ? ['embeddings'] : [])]
      for (const type of types) {
        lines.push(
          `  - name: ${provider}-${type}`,
          `    endpoint_type: llm/v1/${type}`,
          `    model: {provider: ${provider}, name: "${type === 'embeddings' && provider === 'bedrock' ? 'amazon.titan-embed-text-v2:0' : model}", config: ${config}}`,
          '    retries: {max_retries: 0}',
        )
      }
    }
    lines.push(
      '  - name: bedrock-embeddings',
      '    endpoint_type: llm/v1/embeddings',
      `    model: {provider: bedrock, name: "amazon.titan-embed-text-v2:0", config: ${fakeModelConfig(fakes.bedrock, 'bedrock')}}`,
    )
    const serving = fakeModelConfig(fakes.mlflow, 'mlflow-model-serving')
    for (const type of ['chat', 'completions', 'embeddings'])
      lines.push(
        `  - name: mlflow-${type}`,
        `    endpoint_type: llm/v1/${type}`,
        `    model: {provider: mlflow-model-serving, name: served-model, config: ${serving}}`,
      )
    return `${lines.join('\n')}\n`
  })
})

afterAll(async () => {
  await harness?.close()
})

describe.each(CASES)('provider $provider through the gateway', ({ provider }) => {
  it('answers chat (MLflow invocations and /v1)', async () => {
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: `hello ${provider}` },
    ]
    const mlflow = await harness.post<ChatResponse>(`/endpoints/${provider}-chat/invocations`, {
      messages,
      temperature: 0.4,
      max_tokens: 50,
    })
    expect(mlflow.status, mlflow.text).toBe(200)
    expect(mlflow.body.object).toBe('chat.completion')
    expect(mlflow.body.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: fakeReply(`hello ${provider}`),
    })
    expect(mlflow.body.choices[0]?.finish_reason).toBe('stop')
    expect(mlflow.body.usage.prompt_tokens).toBeGreaterThan(0)
    expect(mlflow.body.usage.total_tokens).toBe(
      mlflow.body.usage.prompt_tokens + mlflow.body.usage.completion_tokens,
    )

    const openai = await harness.post<ChatResponse>('/v1/chat/completions', {
      model: `${provider}-chat`,
      messages,
    })
    expect(openai.status, openai.text).toBe(200)
    expect(openai.body.choices[0]?.message.content).toBe(fakeReply(`hello ${provider}`))
  })

  it('streams chat as server-sent events', async () => {
    const response = await harness.post('/v1/chat/completions', {
      model: `${provider}-chat`,
      messages: [{ role: 'user', content: 'stream me please' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(response.status, response.text).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const data = sseData(response.text)
    expect(data.at(-1)).toBe('[DONE]')
    const chunks = data.slice(0, -1).map((item) => JSON.parse(item))
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true)
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')
    expect(text).toBe(fakeReply('stream me please'))
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toBe(true)
    // Mistral reports usage on its own last chunk; the OpenAI-format fake only does so for stream_options.
    if (provider !== 'mistral') expect(chunks.some((chunk) => chunk.usage?.completion_tokens > 0)).toBe(true)
  })

  it('answers and streams completions', async () => {
    const response = await harness.post<CompletionsResponse>(
      `/endpoints/${provider}-completions/invocations`,
      {
        prompt: 'complete this',
        max_tokens: 20,
      },
    )
    expect(response.status, response.text).toBe(200)
    expect(response.body.object).toBe('text_completion')
    expect(response.body.choices[0]?.text).toBe(fakeReply('complete this'))

    const streamed = await harness.post('/v1/completions', {
      model: `${provider}-completions`,
      prompt: 'complete this',
      stream: true,
    })
    expect(streamed.status, streamed.text).toBe(200)
    const chunks = sseData(streamed.text)
      .slice(0, -1)
      .map((item) => JSON.parse(item))
    expect(chunks.every((chunk) => chunk.object === 'text_completion_chunk')).toBe(true)
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe(fakeReply('complete this'))
  })
})

describe.each(CASES.filter((item) => item.embeddings || item.provider === 'bedrock'))(
  'provider $provider embeddings through the gateway',
  ({ provider }) => {
    it('answers embeddings', async () => {
      const name = `${provider}-embeddings`
      const response = await harness.post<EmbeddingsResponse>('/v1/embeddings', {
        model: name,
        input: ['one', 'two'],
      })
      expect(response.status, response.text).toBe(200)
      expect(response.body.object).toBe('list')
      expect(response.body.data).toEqual([
        { object: 'embedding', embedding: FAKE_EMBEDDING, index: 0 },
        { object: 'embedding', embedding: FAKE_EMBEDDING, index: 1 },
      ])
      const mlflow = await harness.post<EmbeddingsResponse>(`/endpoints/${name}/invocations`, {
        input: 'single',
      })
      expect(mlflow.status).toBe(200)
      expect(mlflow.body.data).toHaveLength(1)
    })
  },
)

describe('provider mlflow-model-serving through the gateway', () => {
  it('sends inputs to /invocations and reads predictions, streamed as one chunk', async () => {
    const chat = await harness.post<ChatResponse>('/endpoints/mlflow-chat/invocations', {
      messages: [{ role: 'user', content: 'served' }],
      temperature: 0.1,
    })
    expect(chat.status, chat.text).toBe(200)
    expect(chat.body.choices[0]?.message.content).toBe(fakeReply('served'))
    const request = harness.fakes.mlflow.requests.at(-1)!
    expect(request.body).toEqual({ inputs: ['served'], temperature: 0.1 })
    const streamed = await harness.post('/v1/chat/completions', {
      model: 'mlflow-chat',
      messages: [{ role: 'user', content: 's' }],
      stream: true,
    })
    const chunks = sseData(streamed.text)
      .slice(0, -1)
      .map((item) => JSON.parse(item))
    expect(chunks.map((chunk) => chunk.choices[0].delta.content).join('')).toBe(fakeReply('s'))
    const completion = await harness.post<CompletionsResponse>('/v1/completions', {
      model: 'mlflow-completions',
      prompt: 'p',
    })
    expect(completion.body.choices[0]?.text).toBe(fakeReply('p'))
    const embeddings = await harness.post<EmbeddingsResponse>('/v1/embeddings', {
      model: 'mlflow-embeddings',
      input: ['embed:a', 'embed:b'],
    })
    expect(embeddings.body.data.map((item) => item.embedding)).toEqual([FAKE_EMBEDDING, FAKE_EMBEDDING])
    const twoMessages = await harness.post('/endpoints/mlflow-chat/invocations', {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ],
    })
    expect(twoMessages.status).toBe(400)
  })
})

describe('provider wire details', () => {
  it('sends each provider its own authentication and body shape', async () => {
    const { fakes } = harness
    const anthropic = fakes.anthropic.requests.find((request) => request.body?.system === 'be brief')!
    expect(anthropic.headers['x-api-key']).toBe(FAKE_KEYS.anthropic)
    expect(anthropic.headers['anthropic-version']).toBe('2023-06-01')
    expect(anthropic.body?.temperature).toBe(0.2) // OpenAI's 0–2 scaled to Anthropic's 0–1
    expect(anthropic.body?.messages).toEqual([{ role: 'user', content: 'hello anthropic' }])
    const azure = fakes.azure.requests.find((request) => request.path.includes('/chat/completions'))!
    expect(azure.path).toBe('/openai/deployments/dep-1/chat/completions?api-version=2024-06-01')
    expect(azure.headers['api-key']).toBe(FAKE_KEYS.azure)
    expect(azure.body?.messages).toBeDefined()
    expect(azure.body?.model).toBeUndefined()
    const gemini = fakes.gemini.requests.find((request) => request.body?.systemInstruction)!
    expect(gemini.body?.systemInstruction).toEqual({ parts: [{ text: 'be brief' }] })
    expect(gemini.body?.generationConfig?.maxOutputTokens).toBe(50)
    const bedrock = fakes.bedrock.requests.find((request) => request.path.endsWith('/converse'))!
    expect(bedrock.path).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse')
    expect(bedrock.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKEEXAMPLE\//)
    const ollama = fakes.ollama.requests.find((request) => request.body?.stream === false)!
    expect(ollama.body?.options?.num_predict).toBe(50)
  })

  it('reports a refused provider key without revealing the configured secret', async () => {
    harness.fakes.openai.apiKey = 'rotated-key'
    try {
      const response = await harness.post('/v1/chat/completions', {
        model: 'openai-chat',
        messages: [{ role: 'user', content: 'x' }],
      })
      expect(response.status).toBe(500)
      expect(response.body.error_code).toBe('INTERNAL_ERROR')
      expect(response.body.message).toContain('Incorrect API key provided')
      expect(response.text).not.toContain(FAKE_KEYS.openai)
    } finally {
      harness.fakes.openai.apiKey = FAKE_KEYS.openai
    }
  })

  it('passes a provider validation error back as 400', async () => {
    const response = await harness.post('/endpoints/anthropic-chat/invocations', {
      messages: [
        { role: 'tool', content: 'x', tool_call_id: 'a' },
        { role: 'developer', content: 'y' },
      ],
    })
    expect(response.status).toBe(400)
    expect(response.body.error_code).toBe('BAD_REQUEST')
  })
})
