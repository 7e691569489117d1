import type {
  GatewayApiKey as ApiKeyJson,
  GatewayUsageRecord as UsageRecordJson,
  GatewayUsageSummaryRow as UsageSummaryJson,
} from '@cairn/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handleFetchRequest } from '../server/fetch-adapter.js'
import {
  fakeModelConfig,
  type GatewayAnswer,
  type GatewayErrorBody,
  type Harness,
  startHarness,
} from '../test-support/gateway-harness.js'
import type { ChatResponse } from '../types.js'

let harness: Harness
const chat = { messages: [{ role: 'user', content: 'one two three' }] }
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

beforeAll(async () => {
  process.env.CAIRN_TEST_TEAM_KEY = 'team-key-secret-value'
  harness = await startHarness((fakes) => {
    const openai = fakeModelConfig(fakes.openai, 'openai')
    return `
endpoints:
  - name: per-caller
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${openai}}
    limit: {calls: 2, renewal_period: minute}
  - name: tokens
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${openai}}
    rate_limit: {tokens_per_minute: 5}
  - name: open
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: priced-model, config: ${openai}}
  - name: logged
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${openai}}
    logging: true
  - name: shared-rpm
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${openai}}
    limit: {calls: 4, renewal_period: hour}
    rate_limit: {requests_per_minute: 4}
api_keys:
  - {name: team, key: $CAIRN_TEST_TEAM_KEY, requests_per_minute: 3}
  - {name: frugal, key: frugal-key-secret, budget_usd: 0.001, budget_period: day}
  - {name: narrow, key: narrow-key-secret, endpoints: [open]}
  - {name: plain, key: plain-key-secret}
  - {name: tight, key: tight-key-secret, requests_per_minute: 1}
prices:
  priced-model: {input_per_million: 1000, output_per_million: 1000}
`
  })
})

afterAll(async () => {
  await harness?.close()
  delete process.env.CAIRN_TEST_TEAM_KEY
})

describe('API keys and limits', () => {
  it('requires a valid key once keys are configured', async () => {
    const missing = await harness.post('/v1/chat/completions', { model: 'open', ...chat })
    expect(missing.status).toBe(401)
    expect(missing.body.error_code).toBe('UNAUTHENTICATED')
    expect(missing.body.error?.type).toBe('authentication_error')
    const wrong = await harness.post('/v1/chat/completions', { model: 'open', ...chat }, bearer('nope'))
    expect(wrong.status).toBe(401)
    const right = await harness.post('/endpoints/open/invocations', chat, bearer('narrow-key-secret'))
    expect(right.status).toBe(200)
  })

  it('restricts a key to its endpoints', async () => {
    const response = await harness.post('/endpoints/logged/invocations', chat, bearer('narrow-key-secret'))
    expect(response.status).toBe(403)
    expect(response.body.error_code).toBe('PERMISSION_DENIED')
  })

  it("enforces MLflow's per-caller limit with 429 and Retry-After", async () => {
    const statuses: number[] = []
    let last: GatewayAnswer<GatewayErrorBody> | undefined
    for (let index = 0; index < 3; index++) {
      last = await harness.post(
        '/endpoints/per-caller/invocations',
        chat,
        bearer('narrow-key-secret-not') /* wrong key */,
      )
      statuses.push(last.status)
    }
    expect(statuses).toEqual([401, 401, 401])
    const results: number[] = []
    for (let index = 0; index < 3; index++) {
      last = await harness.post('/endpoints/per-caller/invocations', chat, bearer('frugal-key-secret'))
      results.push(last.status)
    }
    expect(results).toEqual([200, 200, 429])
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(last!.body.message).toMatch(/2 calls per minute/)
  })

  it("enforces a key's requests per minute", async () => {
    const results: number[] = []
    for (let index = 0; index < 4; index++)
      results.push(
        (await harness.post('/endpoints/open/invocations', chat, bearer('team-key-secret-value'))).status,
      )
    expect(results).toEqual([200, 200, 200, 429])
  })

  it("does not count a request refused by the key's limit against the endpoint's or caller's limits", async () => {
    const call = (key: string) =>
      harness.post('/endpoints/shared-rpm/invocations', chat, bearer(key)).then((answer) => answer.status)
    expect(await call('tight-key-secret')).toBe(200)
    const refused: number[] = []
    for (let index = 0; index < 5; index++) refused.push(await call('tight-key-secret'))
    expect(refused).toEqual([429, 429, 429, 429, 429])
    const others: number[] = []
    for (let index = 0; index < 4; index++) others.push(await call('plain-key-secret'))
    expect(others).toEqual([200, 200, 200, 429])
  })

  it("enforces an endpoint's tokens per minute once they are used up", async () => {
    const first = await harness.post('/endpoints/tokens/invocations', chat, bearer('narrow-key-secret-x'))
    expect(first.status).toBe(401)
    const ok = await harness.post<ChatResponse>(
      '/v1/chat/completions',
      { model: 'tokens', ...chat },
      bearer('frugal-key-secret'),
    )
    expect(ok.status).toBe(200)
    expect(ok.body.usage.total_tokens).toBeGreaterThan(5)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const refused = await harness.post(
      '/v1/chat/completions',
      { model: 'tokens', ...chat },
      bearer('frugal-key-secret'),
    )
    expect(refused.status).toBe(429)
    expect(refused.body.message).toMatch(/5 tokens per minute/)
  })

  it('refuses a key over its budget, priced from the table', async () => {
    const spend = await harness.post('/endpoints/open/invocations', chat, bearer('frugal-key-secret'))
    expect(spend.status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const refused = await harness.post('/endpoints/open/invocations', chat, bearer('frugal-key-secret'))
    expect(refused.status).toBe(429)
    expect(refused.body.message).toMatch(/budget of \$0.001 per day/)
  })
})

describe('usage and metrics', () => {
  it('records every call with tokens, cost, latency and status; bodies only where logging is on', async () => {
    expect(
      (
        await harness.post(
          '/endpoints/logged/invocations',
          { messages: [{ role: 'user', content: 'keep me' }] },
          bearer('plain-key-secret'),
        )
      ).status,
    ).toBe(200)
    const usage = await harness.get<{ usage: UsageRecordJson[] }>('/api/2.0/gateway/usage?max_results=500')
    expect(usage.status).toBe(200)
    const records = usage.body.usage
    const priced = records.find((record) => record.endpoint === 'open' && record.status === 200)!
    expect(priced).toMatchObject({ provider: 'openai', model: 'priced-model', stream: false })
    expect(priced.input_tokens).toBe(3)
    expect(priced.output_tokens).toBe(4)
    expect(priced.cost_usd).toBeCloseTo(0.007, 6)
    expect(priced.latency_ms).toBeGreaterThan(0)
    expect(priced.key_id).toMatch(/^config:/)
    expect(priced.request_body).toBeUndefined()
    expect(records.some((record) => record.status === 429)).toBe(true)
    const logged = records.find((record) => record.endpoint === 'logged')!
    expect(JSON.parse(logged.request_body ?? '').messages[0].content).toBe('keep me')
    expect(JSON.parse(logged.response_body ?? '').choices[0].message.content).toBe('echo: keep me')

    const filtered = await harness.get<{ usage: UsageRecordJson[] }>('/api/2.0/gateway/usage?endpoint=tokens')
    expect(filtered.body.usage.every((record) => record.endpoint === 'tokens')).toBe(true)
    const summary = await harness.get<{ summary: UsageSummaryJson[] }>(
      '/api/2.0/gateway/usage/summary?endpoint=open',
    )
    const row = summary.body.summary.find((item) => item.key_id === 'config:frugal')
    expect(row).toMatchObject({ endpoint: 'open', calls: 2, errors: 1 })
    expect((await harness.get('/api/2.0/gateway/usage?max_results=0')).status).toBe(400)
  })

  it('keeps usage (logged prompts included) from remote callers once keys are required', async () => {
    for (const path of ['/api/2.0/gateway/usage', '/api/2.0/gateway/usage/summary'])
      for (const headers of [{}, bearer('plain-key-secret')]) {
        const answer = await handleFetchRequest(
          harness.gateway.gateway,
          new Request(`http://gateway.test${path}`, { headers }),
          { remoteAddress: '192.0.2.7' },
        )
        expect(answer.status, path).toBe(403)
        expect(((await answer.json()) as GatewayErrorBody).error_code).toBe('PERMISSION_DENIED')
      }
  })

  it('serves Prometheus metrics without secrets', async () => {
    const metrics = await harness.get('/metrics')
    expect(metrics.status).toBe(200)
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    expect(metrics.text).toMatch(
      /cairn_gateway_requests_total\{endpoint="open",provider="openai",status="200"\} \d+/,
    )
    expect(metrics.text).toMatch(
      /cairn_gateway_request_duration_seconds_bucket\{endpoint="open",provider="openai",le="\+Inf"\} \d+/,
    )
    expect(metrics.text).toMatch(/cairn_gateway_cost_usd_total\{endpoint="open",provider="openai"\}/)
    expect(metrics.text).not.toContain('secret')
  })

  it('creates, uses and deletes stored keys through the admin API (hashed at rest)', async () => {
    const created = await harness.post<{ api_key: ApiKeyJson; secret: string }>('/api/2.0/gateway/api-keys', {
      name: 'made-by-api',
      requests_per_minute: 1,
    })
    expect(created.status, created.text).toBe(200)
    const secret = created.body.secret
    expect(secret).toMatch(/^cairn-gw-/)
    const stored = await harness.gateway.gateway.store.listApiKeys()
    expect(JSON.stringify(stored)).not.toContain(secret)
    expect((await harness.post('/endpoints/open/invocations', chat, bearer(secret))).status).toBe(200)
    expect((await harness.post('/endpoints/open/invocations', chat, bearer(secret))).status).toBe(429)
    const listed = await harness.get<{ api_keys: ApiKeyJson[] }>('/api/2.0/gateway/api-keys')
    expect(listed.body.api_keys.map((key) => key.name)).toContain('made-by-api')
    const keyId = created.body.api_key.key_id
    const deleted = await fetch(`${harness.gateway.url}/api/2.0/gateway/api-keys/${keyId}`, {
      method: 'DELETE',
    })
    expect(deleted.status).toBe(200)
    expect(
      (await fetch(`${harness.gateway.url}/api/2.0/gateway/api-keys/${keyId}`, { method: 'DELETE' })).status,
    ).toBe(404)
    expect((await harness.post('/api/2.0/gateway/api-keys', { name: 'bad name!' })).status).toBe(400)
  })
})
