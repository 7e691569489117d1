import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCommonErrorMessage, requestJson } from './upstream.js'

let server: Server
let url: string

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    if (request.url === '/large') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`)
      return
    }
    // An error answer whose body never ends.
    response.writeHead(500, { 'content-type': 'text/plain' })
    const chunk = 'e'.repeat(64 * 1024)
    const timer = setInterval(() => response.write(chunk), 1)
    response.on('close', () => clearInterval(timer))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('requestJson', () => {
  it('refuses an answer larger than its limit instead of buffering it', async () => {
    await expect(
      requestJson(
        {
          url: `${url}/large`,
          headers: {},
          body: '{}',
          timeoutMs: 5000,
          provider: 'fake',
          maxBodyBytes: 1024 * 1024,
        },
        readCommonErrorMessage,
      ),
    ).rejects.toMatchObject({ failure: 'invalid-response' })
  })

  it('reads only the start of an endless error body', async () => {
    const started = Date.now()
    await expect(
      requestJson(
        { url: `${url}/endless-error`, headers: {}, body: '{}', timeoutMs: 5000, provider: 'fake' },
        readCommonErrorMessage,
      ),
    ).rejects.toMatchObject({ failure: 'http', details: { status: 500 } })
    expect(Date.now() - started).toBeLessThan(3000)
  }, 10_000)
})
