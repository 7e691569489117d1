import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAKE_EMBEDDING, fakeReply } from '../test-support/fake-provider.js'
import { fakeModelConfig, type Harness, startHarness } from '../test-support/gateway-harness.js'

let harness: Harness
let client: OpenAI

beforeAll(async () => {
  harness = await startHarness(
    (fakes) => `
endpoints:
  - {name: chat, endpoint_type: llm/v1/chat, model: {provider: anthropic, name: claude-3-5-haiku-latest, config: ${fakeModelConfig(fakes.anthropic, 'anthropic')}}}
  - {name: completions, endpoint_type: llm/v1/completions, model: {provider: openai, name: gpt-3.5-turbo-instruct, config: ${fakeModelConfig(fakes.openai, 'openai')}}}
  - {name: embeddings, endpoint_type: llm/v1/embeddings, model: {provider: cohere, name: embed-english-v3.0, config: ${fakeModelConfig(fakes.cohere, 'cohere')}}}
api_keys:
  - {name: sdk, key: sdk-test-key}
`,
  )
  client = new OpenAI({ baseURL: `${harness.gateway.url}/v1`, apiKey: 'sdk-test-key', maxRetries: 0 })
})

afterAll(async () => {
  await harness?.close()
})

describe('the official openai SDK against /v1', () => {
  it('creates chat completions', async () => {
    const completion = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hello sdk' }],
    })
    expect(completion.choices[0]?.message.content).toBe(fakeReply('hello sdk'))
    expect(completion.usage?.total_tokens).toBeGreaterThan(0)
  })

  it('streams chat completions', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'stream via sdk' }],
      stream: true,
    })
    let text = ''
    let finish: string | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(text).toBe(fakeReply('stream via sdk'))
    expect(finish).toBe('stop')
  })

  it('creates completions and embeddings', async () => {
    const completion = await client.completions.create({ model: 'completions', prompt: 'finish me' })
    expect(completion.choices[0]?.text).toBe(fakeReply('finish me'))
    const embeddings = await client.embeddings.create({ model: 'embeddings', input: ['a', 'b'] })
    expect(embeddings.data.map((item) => item.embedding)).toEqual([FAKE_EMBEDDING, FAKE_EMBEDDING])
  })

  it('lists models and surfaces gateway errors as API errors', async () => {
    const models = await client.models.list()
    expect(models.data.map((model) => model.id)).toEqual(['chat', 'completions', 'embeddings'])
    const wrongType = await client.chat.completions
      .create({ model: 'embeddings', messages: [{ role: 'user', content: 'x' }] })
      .catch((error) => error)
    expect(wrongType).toBeInstanceOf(OpenAI.BadRequestError)
    expect(wrongType.message).toMatch(/not a chat endpoint/)
    const unauthenticated = new OpenAI({
      baseURL: `${harness.gateway.url}/v1`,
      apiKey: 'wrong',
      maxRetries: 0,
    })
    const refused = await unauthenticated.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })
      .catch((error) => error)
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError)
  })
})
