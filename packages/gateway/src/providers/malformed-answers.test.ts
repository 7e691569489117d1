import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseGatewayConfig } from '../config/gateway-config.js'
import { Gateway } from '../gateway.js'
import { handleFetchRequest } from '../server/fetch-adapter.js'
import type { GatewayErrorBody } from '../test-support/gateway-harness.js'

/** A provider that answers every call with a body that is not JSON: as SSE for streams, else as a JSON body. */
let server: Server
let gateway: Gateway

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      const stream = request.url?.includes('stream') || request.headers.accept === 'text/event-stream'
      response.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' })
      response.end(stream ? 'event: message_start\ndata: {not json at all\n\n' : '{not json')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const config = parseGatewayConfig(`
endpoints:
  - name: claude
    endpoint_type: llm/v1/chat
    model: {provider: anthropic, name: claude-3-5-haiku-latest, config: {anthropic_api_key: sk-ant-malformed-secret, anthropic_api_base: "${base}/v1"}}
    retries: {max_retries: 0}
  - name: gpt
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: {openai_api_key: sk-openai-malformed-secret, openai_api_base: "${base}/v1"}}
    retries: {max_retries: 0}
`)
  const quiet = { info: () => {}, warn: () => {}, error: () => {} }
  gateway = new Gateway({ config, logger: quiet })
})

afterAll(async () => {
  await gateway?.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function invoke(name: string, stream: boolean) {
  const response = await handleFetchRequest(
    gateway,
    new Request(`http://gateway.test/endpoints/${name}/invocations`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream }),
    }),
    { remoteAddress: '127.0.0.1' },
  )
  return { status: response.status, body: (await response.json()) as GatewayErrorBody }
}

describe('a provider that answers malformed JSON', () => {
  it('fails a stream with a gateway error naming the provider, not a parser message or a 400', async () => {
    const answer = await invoke('claude', true)
    expect(answer.status).toBe(500)
    expect(answer.body.error_code).toBe('INTERNAL_ERROR')
    expect(answer.body.message).toMatch(/anthropic sent a stream chunk that is not JSON/)
  })

  it('answers 500, not the client error 400, for a non-streamed answer that is not JSON', async () => {
    const answer = await invoke('gpt', false)
    expect(answer.status).toBe(500)
    expect(answer.body.message).toMatch(/openai answered with a body that is not JSON/)
  })
})
