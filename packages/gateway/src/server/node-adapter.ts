import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Gateway } from '../gateway.js'
import {
  errorResponse,
  type GatewayHttpRequest,
  type GatewayHttpResponse,
  handleGatewayRequest,
} from './gateway-routes.js'

const MAX_BODY_BYTES = 16 * 1024 * 1024

/** A node:http request listener serving the gateway (the standalone `cairn gateway start`). */
export function createNodeHandler(
  getGateway: () => Gateway,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (incoming, outgoing) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) tooLarge = true
      else chunks.push(chunk)
    })
    incoming.on('end', () => {
      const controller = new AbortController()
      outgoing.on('close', () => {
        if (!outgoing.writableFinished) controller.abort()
      })
      const gateway = getGateway()
      const url = incoming.url ?? '/'
      const queryStart = url.indexOf('?')
      const request: GatewayHttpRequest = {
        method: incoming.method ?? 'GET',
        path: queryStart === -1 ? url : url.slice(0, queryStart),
        query: new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1)),
        header: (name) => {
          const value = incoming.headers[name]
          return Array.isArray(value) ? value[0] : value
        },
        body: undefined,
        remoteAddress: incoming.socket.remoteAddress ?? '',
        signal: controller.signal,
      }
      if (tooLarge) request.bodyError = `The request body is larger than ${MAX_BODY_BYTES} bytes`
      else if (chunks.length > 0) {
        try {
          request.body = JSON.parse(
            chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
          )
        } catch {
          request.bodyError = 'The request body is not valid JSON'
        }
      }
      handleGatewayRequest(gateway, request).then(
        (response) => writeResponse(outgoing, response),
        (error) => writeResponse(outgoing, errorResponse(error, false, gateway)),
      )
    })
  }
}

async function writeResponse(outgoing: ServerResponse, response: GatewayHttpResponse): Promise<void> {
  if ('body' in response) {
    outgoing.writeHead(response.status, {
      ...response.headers,
      'content-length': Buffer.byteLength(response.body),
    })
    outgoing.end(response.body)
    return
  }
  outgoing.writeHead(response.status, response.headers)
  outgoing.flushHeaders()
  let closed = false
  outgoing.once('close', () => {
    closed = true
  })
  // Events produced in the same turn (one provider packet often holds several) leave in one write.
  let corked = false
  const uncork = () => {
    corked = false
    if (!closed) outgoing.uncork()
  }
  try {
    for await (const text of response.stream) {
      if (closed) break
      if (!corked) {
        corked = true
        outgoing.cork()
        process.nextTick(uncork)
      }
      if (!outgoing.write(text))
        await new Promise<void>((resolve) => {
          const done = () => {
            outgoing.off('drain', done)
            outgoing.off('close', done)
            resolve()
          }
          outgoing.once('drain', done)
          outgoing.once('close', done)
        })
    }
  } finally {
    outgoing.end()
  }
}
