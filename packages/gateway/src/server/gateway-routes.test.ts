import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EndpointInfo } from '../gateway.js'
import type { LegacyRouteJson } from '../test-support/admin-wire.js'
import { fakeModelConfig, type Harness, startHarness } from '../test-support/gateway-harness.js'

let harness: Harness

beforeAll(async () => {
  harness = await startHarness(
    (fakes) => `
endpoints:
  - {name: chat, endpoint_type: llm/v1/chat, model: {provider: openai, name: gpt-4o-mini, config: ${fakeModelConfig(fakes.openai, 'openai')}}, limit: {calls: 50, renewal_period: hour}}
  - {name: embed, endpoint_type: llm/v1/embeddings, model: {provider: openai, name: text-embedding-3-small, config: ${fakeModelConfig(fakes.openai, 'openai')}}}
routes:
  - {name: chat-route, task_type: llm/v1/chat, destinations: [{name: chat, traffic_percentage: 100}]}
`,
  )
})

afterAll(async () => {
  await harness?.close()
})

describe('MLflow gateway routes', () => {
  it('lists endpoints in MLflow’s shape', async () => {
    const response = await harness.get('/api/2.0/endpoints/')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      endpoints: [
        {
          name: 'chat',
          endpoint_type: 'llm/v1/chat',
          model: { name: 'gpt-4o-mini', provider: 'openai' },
          endpoint_url: '/gateway/chat/invocations',
          limit: { calls: 50, key: null, renewal_period: 'hour' },
        },
        {
          name: 'embed',
          endpoint_type: 'llm/v1/embeddings',
          model: { name: 'text-embedding-3-small', provider: 'openai' },
          endpoint_url: '/gateway/embed/invocations',
          limit: null,
        },
      ],
    })
    expect((await harness.get<EndpointInfo>('/api/2.0/endpoints/chat')).body.name).toBe('chat')
    expect(
      (await harness.get<{ routes: LegacyRouteJson[] }>('/api/2.0/gateway/routes/')).body.routes[0],
    ).toMatchObject({
      name: 'chat',
      route_type: 'llm/v1/chat',
    })
    expect((await harness.get('/health')).body).toEqual({ status: 'OK' })
  })

  it('answers MLflow’s errors for unknown names, limits and bad tokens', async () => {
    const missing = await harness.get('/api/2.0/endpoints/nope')
    expect(missing.status).toBe(404)
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST')
    expect((await harness.get('/api/2.0/endpoints/limits/chat')).status).toBe(501)
    expect((await harness.get('/api/2.0/endpoints/?page_token=%%%')).status).toBe(400)
    expect((await harness.get('/api/2.0/endpoints/?page_token=bm90IGpzb24=')).status).toBe(400)
    expect((await harness.get('/api/2.0/endpoints/%E0%A4%A')).status).toBe(400)
    const unknownRoute = await harness.get('/nothing/here')
    expect(unknownRoute.status).toBe(404)
    expect(unknownRoute.body.error_code).toBe('ENDPOINT_NOT_FOUND')
  })

  it('invokes routes by name and checks the endpoint type on /v1', async () => {
    const routed = await harness.post('/endpoints/chat-route/invocations', {
      messages: [{ role: 'user', content: 'r' }],
    })
    expect(routed.status).toBe(200)
    const wrongType = await harness.post('/v1/embeddings', { model: 'chat', input: 'x' })
    expect(wrongType.status).toBe(400)
    expect(wrongType.body.message).toMatch(/not an embeddings endpoint/)
    expect(
      (
        await harness.post('/v1/chat/completions', {
          model: 'nope',
          messages: [{ role: 'user', content: 'x' }],
        })
      ).status,
    ).toBe(404)
    expect(
      (await harness.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] })).status,
    ).toBe(400)
  })

  it.each([
    ['a body that is not JSON', '/endpoints/chat/invocations', '{oops'],
    ['a body that is not an object', '/endpoints/chat/invocations', '[1]'],
    ['no messages', '/endpoints/chat/invocations', '{}'],
    ['a message without a role', '/endpoints/chat/invocations', '{"messages":[{"content":"x"}]}'],
    [
      'a temperature out of range',
      '/endpoints/chat/invocations',
      '{"messages":[{"role":"user","content":"x"}],"temperature":3}',
    ],
    ['a bad n', '/endpoints/chat/invocations', '{"messages":[{"role":"user","content":"x"}],"n":0}'],
    ['a bad stop', '/endpoints/chat/invocations', '{"messages":[{"role":"user","content":"x"}],"stop":[1]}'],
    [
      'a bad stream flag',
      '/endpoints/chat/invocations',
      '{"messages":[{"role":"user","content":"x"}],"stream":"yes"}',
    ],
    ['bad embeddings input', '/endpoints/embed/invocations', '{"input":[]}'],
    ['a streamed embedding', '/endpoints/embed/invocations', '{"input":"x","stream":true}'],
  ])('refuses %s with 400 INVALID_PARAMETER_VALUE', async (_label, path, body) => {
    const response = await fetch(`${harness.gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    expect(response.status).toBe(400)
    expect((await response.json()).error_code).toBe('INVALID_PARAMETER_VALUE')
  })
})
