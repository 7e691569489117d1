import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EndpointListJson } from '../test-support/admin-wire.js'
import { fakeReply } from '../test-support/fake-provider.js'
import { fakeModelConfig, type Harness, sseData, startHarness } from '../test-support/gateway-harness.js'
import type { ChatResponse } from '../types.js'
import { backoffMs, pickWeighted } from './route-call.js'

let harness: Harness

const chat = (content = 'hi') => ({ messages: [{ role: 'user', content }] })

beforeAll(async () => {
  harness = await startHarness((fakes) => {
    const openai = fakeModelConfig(fakes.openai, 'openai')
    const anthropic = fakeModelConfig(fakes.anthropic, 'anthropic')
    const gemini = fakeModelConfig(fakes.gemini, 'gemini')
    return `
endpoints:
  - name: primary
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${openai}}
    fallbacks: [backup]
    timeout_seconds: 0.4
    retries: {max_retries: 1, initial_backoff_ms: 5, max_backoff_ms: 20, max_retry_after_seconds: 2}
    circuit_breaker: {failure_threshold: 50, cooldown_seconds: 60}
  - name: backup
    endpoint_type: llm/v1/chat
    model: {provider: anthropic, name: claude-3-5-haiku-latest, config: ${anthropic}}
    timeout_seconds: 0.4
    retries: {max_retries: 0}
  - name: lonely
    endpoint_type: llm/v1/chat
    model: {provider: gemini, name: gemini-1.5-flash, config: ${gemini}}
    timeout_seconds: 0.3
    retries: {max_retries: 1, initial_backoff_ms: 5}
  - name: fragile
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o, config: ${openai}}
    fallbacks: [backup]
    retries: {max_retries: 0}
    circuit_breaker: {failure_threshold: 2, cooldown_seconds: 60}
  # No short idle timeout: the cancellation test must not race a timeout on a loaded machine.
  - name: patient
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${openai}}
    retries: {max_retries: 0}
routes:
  - name: split
    task_type: llm/v1/chat
    destinations:
      - {name: primary, traffic_percentage: 50}
      - {name: lonely, traffic_percentage: 50}
`
  })
})

afterAll(async () => {
  await harness?.close()
})

beforeEach(() => {
  for (const fake of Object.values(harness.fakes)) {
    fake.faults.length = 0
    fake.requests.length = 0
  }
})

describe('retries and fallbacks', () => {
  it('retries a 500 on the same provider', async () => {
    harness.fakes.openai.faults.push({ type: 'status', status: 500 })
    const response = await harness.post<ChatResponse>('/endpoints/primary/invocations', chat('retry'))
    expect(response.status, response.text).toBe(200)
    expect(response.body.choices[0]?.message.content).toBe(fakeReply('retry'))
    expect(harness.fakes.openai.requests).toHaveLength(2)
    expect(harness.fakes.anthropic.requests).toHaveLength(0)
  })

  it('waits for Retry-After on a 429 before retrying', async () => {
    harness.fakes.openai.faults.push({ type: 'status', status: 429, retryAfter: '1' })
    const started = Date.now()
    const response = await harness.post('/v1/chat/completions', { model: 'primary', ...chat() })
    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(harness.fakes.openai.requests).toHaveLength(2)
  })

  it('falls back at once when Retry-After is longer than allowed', async () => {
    harness.fakes.openai.faults.push({ type: 'status', status: 429, retryAfter: '30' })
    const started = Date.now()
    const response = await harness.post<ChatResponse>('/endpoints/primary/invocations', chat('fallback'))
    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(harness.fakes.openai.requests).toHaveLength(1)
    expect(harness.fakes.anthropic.requests).toHaveLength(1)
    expect(response.body.choices[0]?.message.content).toBe(fakeReply('fallback'))
  })

  it('times out a provider that does not answer and falls back', async () => {
    harness.fakes.openai.faults.push({ type: 'hang' }, { type: 'hang' })
    const started = Date.now()
    const response = await harness.post('/endpoints/primary/invocations', chat('slow'))
    expect(response.status, response.text).toBe(200)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(harness.fakes.anthropic.requests).toHaveLength(1)
  })

  it('answers a clear error, without hanging, when every provider fails', async () => {
    harness.fakes.openai.faults.push({ type: 'status', status: 500 }, { type: 'status', status: 502 })
    harness.fakes.anthropic.faults.push({ type: 'status', status: 529 })
    const response = await harness.post('/endpoints/primary/invocations', chat())
    expect(response.status).toBe(503)
    expect(response.body.error_code).toBe('TEMPORARILY_UNAVAILABLE')
    expect(response.body.message).toMatch(/primary \(openai\): openai answered 502: injected failure/)
    expect(response.body.message).toMatch(/backup \(anthropic\): anthropic answered 529/)
  })

  it('answers 429 with Retry-After when the providers are rate limited', async () => {
    harness.fakes.gemini.faults.push(
      { type: 'status', status: 429, retryAfter: '0' },
      { type: 'status', status: 429, retryAfter: '7' },
    )
    const response = await harness.post('/v1/chat/completions', { model: 'lonely', ...chat() })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('7')
    expect(response.body.error?.type).toBe('rate_limit_error')
  })

  it('answers 504 when the only provider times out', async () => {
    harness.fakes.gemini.faults.push({ type: 'hang' }, { type: 'hang' })
    const response = await harness.post('/endpoints/lonely/invocations', chat())
    expect(response.status).toBe(504)
    expect(response.body.error_code).toBe('DEADLINE_EXCEEDED')
  })

  it('retries a stream dropped before any content', async () => {
    harness.fakes.openai.faults.push({ type: 'drop-stream', afterChunks: 1 })
    const response = await harness.post('/v1/chat/completions', {
      model: 'primary',
      ...chat('again'),
      stream: true,
    })
    expect(response.status).toBe(200)
    const chunks = sseData(response.text)
      .slice(0, -1)
      .map((item) => JSON.parse(item))
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toBe(fakeReply('again'))
    expect(harness.fakes.openai.requests).toHaveLength(2)
  })

  it('falls back when every attempt drops the stream early', async () => {
    harness.fakes.openai.faults.push(
      { type: 'drop-stream', afterChunks: 0 },
      { type: 'drop-stream', afterChunks: 1 },
    )
    const response = await harness.post('/v1/chat/completions', {
      model: 'primary',
      ...chat('via backup'),
      stream: true,
    })
    const chunks = sseData(response.text)
      .slice(0, -1)
      .map((item) => JSON.parse(item))
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toBe(
      fakeReply('via backup'),
    )
    expect(harness.fakes.anthropic.requests).toHaveLength(1)
  })

  it('ends a stream dropped after content with an error event', async () => {
    harness.fakes.openai.faults.push({ type: 'drop-stream', afterChunks: 3 })
    const response = await harness.post('/v1/chat/completions', {
      model: 'primary',
      ...chat('one two three four'),
      stream: true,
    })
    expect(response.status).toBe(200)
    const last = JSON.parse(sseData(response.text).at(-1)!)
    expect(last.error_code).toBe('TEMPORARILY_UNAVAILABLE')
    expect(last.error.message).toMatch(/dropped|without \[DONE\]/)
  })

  it('cancels the provider call when the client goes away mid-stream, and records it', async () => {
    harness.fakes.openai.faults.push({ type: 'slow-stream', intervalMs: 50 })
    const controller = new AbortController()
    const response = await fetch(`${harness.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'patient', ...chat('a long answer that takes a while'), stream: true }),
      signal: controller.signal,
    })
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain('chat.completion.chunk')
    controller.abort()
    const deadline = Date.now() + 3000
    while (harness.fakes.openai.abandonedStreams === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    expect(harness.fakes.openai.abandonedStreams).toBe(1)
    await harness.gateway.gateway.flushUsage()
    const usage = await harness.gateway.gateway.store.searchUsage({ endpoint: 'patient', maxResults: 1 })
    expect(usage[0]).toMatchObject({ stream: true, status: 499 })
  })

  it('opens the circuit of a failing provider and skips it', async () => {
    harness.fakes.openai.faults.push({ type: 'status', status: 500 }, { type: 'status', status: 500 })
    for (let index = 0; index < 2; index++)
      expect((await harness.post('/endpoints/fragile/invocations', chat())).status).toBe(200)
    expect(harness.fakes.openai.requests).toHaveLength(2)
    const response = await harness.post('/endpoints/fragile/invocations', chat())
    expect(response.status).toBe(200)
    expect(harness.fakes.openai.requests).toHaveLength(2) // skipped: the circuit is open
    expect(harness.fakes.anthropic.requests).toHaveLength(3)
    const metrics = await harness.get('/metrics')
    expect(metrics.text).toMatch(/cairn_gateway_circuit_open\{target="fragile\|openai\|gpt-4o"\} 1/)
  })

  it('splits traffic between destinations by percentage', async () => {
    for (let index = 0; index < 30; index++)
      expect((await harness.post('/v1/chat/completions', { model: 'split', ...chat() })).status).toBe(200)
    expect(harness.fakes.openai.requests.length).toBeGreaterThan(3)
    expect(harness.fakes.gemini.requests.length).toBeGreaterThan(3)
    expect(harness.fakes.openai.requests.length + harness.fakes.gemini.requests.length).toBe(30)
  })
})

describe('routing helpers', () => {
  it('picks destinations in proportion to their percentages', () => {
    const destinations = [
      { name: 'a', trafficPercentage: 20 },
      { name: 'b', trafficPercentage: 0 },
      { name: 'c', trafficPercentage: 80 },
    ]
    expect(pickWeighted(destinations, 0).name).toBe('a')
    expect(pickWeighted(destinations, 0.199).name).toBe('a')
    expect(pickWeighted(destinations, 0.2).name).toBe('c')
    expect(pickWeighted(destinations, 0.9999).name).toBe('c')
  })

  it('backs off exponentially with jitter, capped', () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      const delay = backoffMs(attempt, 100, 1000)
      const ceiling = Math.min(1000, 100 * 2 ** attempt)
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2)
      expect(delay).toBeLessThanOrEqual(ceiling)
    }
  })
})

describe('hot reload', () => {
  it('applies a changed file without dropping a call in flight, and keeps the config when the new one is invalid', async () => {
    const reloading = await startHarness(
      (fakes) =>
        `endpoints:\n  - {name: before, endpoint_type: llm/v1/chat, model: {provider: openai, name: m, config: ${fakeModelConfig(fakes.openai, 'openai')}}}\n`,
      { watch: true },
    )
    try {
      reloading.fakes.openai.faults.push({ type: 'delay', ms: 600 })
      const inFlight = reloading.post<ChatResponse>('/endpoints/before/invocations', chat('in flight'))
      await new Promise((resolve) => setTimeout(resolve, 100))
      writeFileSync(
        reloading.configPath,
        `endpoints:\n  - {name: after, endpoint_type: llm/v1/chat, model: {provider: openai, name: m, config: ${fakeModelConfig(reloading.fakes.openai, 'openai')}}}\n`,
      )
      await waitFor(
        async () =>
          (await reloading.get<EndpointListJson>('/api/2.0/endpoints/')).body.endpoints[0]?.name === 'after',
      )
      const finished = await inFlight
      expect(finished.status).toBe(200)
      expect(finished.body.choices[0]?.message.content).toBe(fakeReply('in flight'))
      expect((await reloading.post('/endpoints/before/invocations', chat())).status).toBe(404)

      writeFileSync(reloading.configPath, 'endpoints:\n  - name: broken\n    endpoint_type: nope\n')
      await new Promise((resolve) => setTimeout(resolve, 400))
      expect(
        (await reloading.get<EndpointListJson>('/api/2.0/endpoints/')).body.endpoints.map(
          (endpoint) => endpoint.name,
        ),
      ).toEqual(['after'])
    } finally {
      await reloading.close()
    }
  })
})

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('condition not met in time')
}
