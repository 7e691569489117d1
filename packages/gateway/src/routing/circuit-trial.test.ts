import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeModelConfig, type Harness, startHarness } from '../test-support/gateway-harness.js'

let harness: Harness
const chat = { messages: [{ role: 'user', content: 'trial' }] }

beforeAll(async () => {
  harness = await startHarness(
    (fakes) => `
endpoints:
  - name: flaky
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: ${fakeModelConfig(fakes.openai, 'openai')}}
    retries: {max_retries: 0}
    circuit_breaker: {failure_threshold: 1, cooldown_seconds: 0.05}
`,
  )
})

afterAll(async () => {
  await harness?.close()
})

describe('circuit breaker trial call', () => {
  it('lets the next call through when the client of the half-open trial call goes away', async () => {
    harness.fakes.openai.faults.push({ type: 'status', status: 500 })
    expect((await harness.post('/endpoints/flaky/invocations', chat)).status).toBe(503)
    await new Promise((resolve) => setTimeout(resolve, 80))

    harness.fakes.openai.faults.push({ type: 'hang' })
    const controller = new AbortController()
    const trial = fetch(`${harness.gateway.url}/endpoints/flaky/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat),
      signal: controller.signal,
    }).catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 100))
    controller.abort()
    await trial
    await new Promise((resolve) => setTimeout(resolve, 50))

    const next = await harness.post('/endpoints/flaky/invocations', chat)
    expect(next.status, next.text).toBe(200)
  })
})
