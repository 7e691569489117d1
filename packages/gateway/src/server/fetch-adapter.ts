import type { Gateway } from '../gateway.js'
import { type GatewayHttpRequest, handleGatewayRequest } from './gateway-routes.js'

/** The largest request body read, as in the standalone server (`node-adapter.ts`). */
export const MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024

/**
 * The body as text, or undefined when it is larger than `maxBytes` (then it is not read further): a mounted
 * gateway does not get the tracking server's per-route body limits.
 */
export async function readRequestText(
  request: Request,
  maxBytes = MAX_REQUEST_BODY_BYTES,
): Promise<string | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) return undefined
  if (!request.body) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    // Leaving the loop cancels the body.
    if (size > maxBytes) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The gateway as a WHATWG fetch handler, to mount inside another server (Cairn's Hono app). `path` replaces
 * the request's own path (for proxies such as MLflow's `gateway-proxy`).
 */
export async function handleFetchRequest(
  gateway: Gateway,
  request: Request,
  options: { remoteAddress?: string; path?: string; body?: unknown } = {},
): Promise<Response> {
  const url = new URL(request.url)
  const gatewayRequest: GatewayHttpRequest = {
    method: request.method,
    path: options.path ?? url.pathname,
    query: url.searchParams,
    header: (name) => request.headers.get(name) ?? undefined,
    body: options.body,
    remoteAddress: options.remoteAddress ?? '',
    signal: request.signal,
  }
  if (options.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') {
    const text = await readRequestText(request)
    if (text === undefined)
      gatewayRequest.bodyError = `The request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`
    else if (text) {
      try {
        gatewayRequest.body = JSON.parse(text)
      } catch {
        gatewayRequest.bodyError = 'The request body is not valid JSON'
      }
    }
  }
  const response = await handleGatewayRequest(gateway, gatewayRequest)
  if ('body' in response)
    return new Response(response.body, { status: response.status, headers: response.headers })
  const encoder = new TextEncoder()
  const iterator = response.stream[Symbol.asyncIterator]()
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next()
      if (next.done) controller.close()
      else controller.enqueue(encoder.encode(next.value))
    },
    async cancel() {
      await iterator.return?.(undefined)
    },
  })
  return new Response(stream, { status: 200, headers: response.headers })
}
