import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import v8 from 'node:v8'
import vm from 'node:vm'
import type { Context } from 'hono'

interface NodeBindings {
  incoming?: IncomingMessage
  outgoing?: ServerResponse
}

/** Headers MLflow's security middleware sends on every answer; a response written directly needs them too. */
const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'SAMEORIGIN' }

/** How many bytes pass between two young-generation collections while a body streams. */
const RELEASE_EVERY_BYTES = 8 * 1024 * 1024

type Collect = (options: { type: 'minor' }) => void
let collect: Collect | undefined

function collector(): Collect {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc')
    collect = vm.runInNewContext('gc') as Collect
  }
  return collect
}

/**
 * Passes a body through and runs a young-generation collection (≈ 0.2 ms) every 8 MiB. Every socket read and
 * file chunk is a fresh off-heap buffer; V8 frees them only at its next collection, which it schedules by JS heap
 * use, not by those bytes, so at 1 GB/s tens of MB of dead buffers could pile up between collections. This keeps
 * a multi-GB transfer flat in RSS.
 */
export function releasingBuffers(source: Readable): Readable {
  let since = 0
  const release = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      since += chunk.length
      if (since >= RELEASE_EVERY_BYTES) {
        since = 0
        collector()({ type: 'minor' })
      }
      callback(null, chunk)
    },
  })
  source.on('error', (error) => release.destroy(error))
  return source.pipe(release)
}

function bindings(c: Context): NodeBindings {
  return (c.env ?? {}) as NodeBindings
}

/**
 * The request target exactly as the client sent it (before URL parsing folds `..` segments away),
 * so a traversal attempt is seen, and refused, rather than silently routed elsewhere.
 */
export function rawRequestPath(c: Context): string {
  const raw = bindings(c).incoming?.url
  const target = raw?.startsWith('/') ? raw : new URL(c.req.url).pathname
  const query = target.indexOf('?')
  return query < 0 ? target : target.slice(0, query)
}

/** The request body as a Node stream, read straight from the socket under Node. */
export function requestBodyStream(c: Context): Readable {
  const incoming = bindings(c).incoming
  if (incoming && !incoming.readableEnded) return releasingBuffers(incoming)
  const body = c.req.raw.body
  return body ? Readable.fromWeb(body as import('node:stream/web').ReadableStream) : Readable.from([])
}

/**
 * Answers with a stream. Under Node the stream is piped straight into the socket (no web-stream
 * conversion per chunk); elsewhere (tests through `app.request`) it becomes a `Response` body.
 */
export function sendStream(
  c: Context,
  response: { status: number; headers: Record<string, string>; body?: Readable },
): Response {
  const outgoing = bindings(c).outgoing
  if (!outgoing) {
    const body = response.body ? (Readable.toWeb(response.body) as unknown as ReadableStream) : null
    return new Response(body, { status: response.status, headers: response.headers })
  }
  outgoing.writeHead(response.status, { ...response.headers, ...SECURITY_HEADERS })
  if (response.body) {
    const body = response.body
    // A client that disconnects mid-download ends the pipeline, but `pipe` inside releasingBuffers does not
    // destroy its source: close the file handle (or free the S3 socket) here.
    pipeline(releasingBuffers(body), outgoing).catch(() => {
      body.destroy()
      outgoing.destroy()
    })
  } else {
    outgoing.end()
  }
  return new Response(null, { headers: { 'x-hono-already-sent': 'true' } })
}
