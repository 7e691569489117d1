import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FakeProvider,
  fakeReply,
  startFakeProvider,
} from '../../../gateway/src/test-support/fake-provider.js'
import { fakeModelConfig } from '../../../gateway/src/test-support/gateway-harness.js'
import { createTestStore, type TestStore } from '../../../store/src/test-support/index.js'
import { createApp } from '../app.js'
import { type RunningServer, startServer } from '../start-server.js'

const PROXY = '/ajax-api/2.0/mlflow/gateway-proxy'

describe('gateway-proxy without a gateway', () => {
  let testStore: TestStore
  beforeAll(async () => {
    testStore = await createTestStore('sqlite')
  })
  afterAll(async () => {
    await testStore?.cleanup()
  })

  it('answers an empty endpoint list, as MLflow does without a deployments target', async () => {
    const app = createApp({ store: testStore.store, uiDirectory: false })
    const response = await app.request(`${PROXY}?gateway_path=api/2.0/endpoints/`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ endpoints: [] })
    expect((await app.request('/v1/models')).status).toBe(404)
  })
})

describe('cairn server --gateway-config-path', () => {
  let fake: FakeProvider
  let server: RunningServer
  let directory: string

  beforeAll(async () => {
    fake = await startFakeProvider('openai')
    directory = mkdtempSync(join(tmpdir(), 'cairn-server-gateway-'))
    const configPath = join(directory, 'gateway.yaml')
    writeFileSync(
      configPath,
      `endpoints:\n  - {name: chat, endpoint_type: llm/v1/chat, model: {provider: openai, name: gpt-4o-mini, config: ${fakeModelConfig(fake, 'openai')}}}\n  - {name: embed, endpoint_type: llm/v1/embeddings, model: {provider: openai, name: text-embedding-3-small, config: ${fakeModelConfig(fake, 'openai')}}}\n`,
    )
    server = await startServer({
      backendStoreUri: `sqlite:///${join(directory, 'cairn.db')}`,
      artifactsDestination: join(directory, 'artifacts'),
      port: 0,
      handleSignals: false,
      gatewayConfigPath: configPath,
    })
  })

  afterAll(async () => {
    await server?.close()
    await fake?.close()
    if (directory) rmSync(directory, { recursive: true, force: true })
  })

  it("lists endpoints through the UI's gateway-proxy (GET)", async () => {
    const response = await fetch(`${server.url}${PROXY}?gateway_path=api/2.0/endpoints/`)
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body.endpoints.map((endpoint: { name: string }) => endpoint.name)).toEqual(['chat', 'embed'])
    expect(body.endpoints[0].endpoint_url).toBe('/gateway/chat/invocations')
  })

  it('invokes an endpoint through the gateway-proxy (POST with json_data)', async () => {
    const response = await fetch(`${server.url}${PROXY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        gateway_path: 'gateway/chat/invocations',
        json_data: { messages: [{ role: 'user', content: 'via proxy' }] },
      }),
    })
    expect(response.status).toBe(200)
    expect((await response.json()).choices[0].message.content).toBe(fakeReply('via proxy'))
  })

  it('refuses gateway paths MLflow does not proxy, and reports gateway failures', async () => {
    const badGet = await fetch(`${server.url}${PROXY}?gateway_path=api/2.0/gateway/usage`)
    expect(badGet.status).toBe(400)
    expect((await badGet.json()).error_code).toBe('INVALID_PARAMETER_VALUE')
    const missing = await fetch(`${server.url}${PROXY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect((await missing.json()).message).toMatch(/must specify a gateway_path/)
    const unknown = await fetch(`${server.url}${PROXY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gateway_path: 'gateway/nope/invocations', json_data: { messages: [] } }),
    })
    expect(unknown.status).toBe(400)
    expect((await unknown.json()).message).toMatch(/failed with error code 404/)
  })

  it('refuses request bodies over the gateway limit on the mounted routes and the proxy', async () => {
    const huge = JSON.stringify({
      model: 'chat',
      gateway_path: 'gateway/nope/invocations',
      messages: [{ role: 'user', content: 'a'.repeat(17 * 1024 * 1024) }],
    })
    for (const path of ['/v1/chat/completions', PROXY]) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: huge,
      })
      expect(response.status, path).toBe(400)
      const body = await response.json()
      expect(body.error_code).toBe('INVALID_PARAMETER_VALUE')
      expect(body.message, path).toMatch(/large/)
    }
  })

  it("serves the gateway's own API next to the tracking API, recording usage in the server's database", async () => {
    const chat = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'direct' }], stream: true }),
    })
    expect(chat.status).toBe(200)
    expect(await chat.text()).toMatch(/data: \[DONE\]/)
    const embed = await fetch(`${server.url}/endpoints/embed/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'x' }),
    })
    expect(embed.status).toBe(200)
    const usage = await (await fetch(`${server.url}/api/2.0/gateway/usage`)).json()
    expect(usage.usage.map((record: { endpoint: string }) => record.endpoint).sort()).toEqual([
      'chat',
      'chat',
      'embed',
    ])
    expect((await fetch(`${server.url}/api/2.0/gateway/metrics`)).status).toBe(200)
    expect((await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`)).status).toBe(200)
  })
})
