import { MlflowError } from '@cairn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAKE_EMBEDDING, fakeReply } from '../../gateway/src/test-support/fake-provider.js'
import {
  fakeModelConfig,
  type Harness,
  startHarness,
} from '../../gateway/src/test-support/gateway-harness.js'
import { GatewayClient } from './gateway.js'

let harness: Harness
let client: GatewayClient

beforeAll(async () => {
  harness = await startHarness(
    (fakes) => `
endpoints:
  - {name: chat, endpoint_type: llm/v1/chat, model: {provider: cohere, name: command-r, config: ${fakeModelConfig(fakes.cohere, 'cohere')}}}
  - {name: text, endpoint_type: llm/v1/completions, model: {provider: bedrock, name: amazon.nova-lite-v1:0, config: ${fakeModelConfig(fakes.bedrock, 'bedrock')}}}
  - {name: vectors, endpoint_type: llm/v1/embeddings, model: {provider: gemini, name: text-embedding-004, config: ${fakeModelConfig(fakes.gemini, 'gemini')}}}
require_api_key: true
api_keys:
  - {name: client, key: client-secret-key}
`,
  )
  client = new GatewayClient({ url: `${harness.gateway.url}/`, apiKey: 'client-secret-key' })
})

afterAll(async () => {
  await harness?.close()
})

describe('GatewayClient', () => {
  it('lists and gets endpoints', async () => {
    expect((await client.listEndpoints()).map((endpoint) => endpoint.name)).toEqual([
      'chat',
      'text',
      'vectors',
    ])
    expect(await client.getEndpoint('text')).toMatchObject({
      endpoint_type: 'llm/v1/completions',
      model: { provider: 'bedrock' },
    })
    await expect(client.getEndpoint('nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    expect(await client.health()).toBe(true)
    expect((await client.listModels()).map((model) => model.id)).toEqual(['chat', 'text', 'vectors'])
  })

  it('invokes chat, completions and embeddings, streamed and not', async () => {
    const chat = await client.chat('chat', { messages: [{ role: 'user', content: 'typed' }] })
    expect(chat.choices[0]?.message.content).toBe(fakeReply('typed'))
    let streamed = ''
    for await (const chunk of client.streamChat('chat', {
      messages: [{ role: 'user', content: 'typed stream' }],
    }))
      streamed += chunk.choices[0]?.delta.content ?? ''
    expect(streamed).toBe(fakeReply('typed stream'))
    expect((await client.completions('text', { prompt: 'p' })).choices[0]?.text).toBe(fakeReply('p'))
    let text = ''
    for await (const chunk of client.streamCompletions('text', { prompt: 'q' }))
      text += chunk.choices[0]?.text ?? ''
    expect(text).toBe(fakeReply('q'))
    expect((await client.embeddings('vectors', ['a'])).data[0]?.embedding).toEqual(FAKE_EMBEDDING)
  })

  it('turns error answers into MlflowError', async () => {
    const anonymous = new GatewayClient({ url: harness.gateway.url })
    const error = await anonymous
      .chat('chat', { messages: [{ role: 'user', content: 'x' }] })
      .catch((caught) => caught)
    expect(error).toBeInstanceOf(MlflowError)
    expect(error.code).toBe('UNAUTHENTICATED')
  })

  it('reads usage and manages keys', async () => {
    const usage = await client.searchUsage({ endpoint: 'chat' })
    expect(usage.length).toBeGreaterThanOrEqual(2)
    expect(usage.every((record) => record.endpoint === 'chat' && record.key_id === 'config:client')).toBe(
      true,
    )
    const summary = await client.summarizeUsage({ endpoint: 'vectors' })
    expect(summary).toEqual([expect.objectContaining({ endpoint: 'vectors', provider: 'gemini', calls: 1 })])
    const { api_key: key, secret } = await client.createApiKey({
      name: 'sdk-made',
      tokens_per_minute: 1000,
      endpoints: ['chat'],
    })
    expect(key).toMatchObject({ name: 'sdk-made', tokens_per_minute: 1000, endpoints: ['chat'] })
    const keyed = new GatewayClient({ url: harness.gateway.url, apiKey: secret })
    expect((await keyed.chat('chat', { messages: [{ role: 'user', content: 'k' }] })).choices).toHaveLength(1)
    await expect(keyed.completions('text', { prompt: 'no' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    })
    expect((await client.listApiKeys()).map((item) => item.key_id)).toContain(key.key_id)
    await client.deleteApiKey(key.key_id)
    expect(await client.listApiKeys()).toEqual([])
  })
})
