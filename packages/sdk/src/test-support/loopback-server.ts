import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a scripted answer of the loopback server consists of. */
export interface ScriptedAnswer {
  status: number
  body?: unknown
  headers?: Record<string, string>
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number
}

/** A request the loopback server saw. */
export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  at: number
}

/**
 * A tiny HTTP server on 127.0.0.1 that answers a script of canned responses, one per request
 * (the last one repeats). It stands in for the network, never for Cairn's own code.
 */
export async function startLoopbackServer(script: ScriptedAnswer[]) {
  const seen: SeenRequest[] = []
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      })
      const answer = script[Math.min(seen.length - 1, script.length - 1)]!
      setTimeout(() => {
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {})
        response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers })
        response.end(text)
      }, answer.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
