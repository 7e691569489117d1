import http from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { MlflowError } from '@cairn/core'
import {
  describeUnsupportedContentType,
  type LoadedModel,
  type ModelOutput,
  type ModelSignature,
  parseScoringRequest,
  parseSignature,
  predictionsToJson,
  scoringFormatOf,
} from '@cairn/models'
import { ScoringMetrics, type ServedModelInfo } from './metrics.js'
import { MicroBatcher, type MicroBatcherOptions } from './micro-batcher.js'
import {
  loadServedModel,
  ModelSource,
  type ModelSourceOptions,
  type ResolvedModelSource,
} from './model-source.js'

const { version: CAIRN_VERSION } = createRequire(import.meta.url)('../package.json') as { version: string }

/** Default request size limit: 64 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
/** Default most rows per micro-batch. */
export const DEFAULT_MAX_BATCH_SIZE = 256

/** Options of {@link startScoringServer}. */
export interface ScoringServerOptions extends ModelSourceOptions {
  /** Address to listen on (default `127.0.0.1`). */
  readonly host?: string
  /** Port to listen on; 0 picks a free one (default 5000). */
  readonly port?: number
  /** Worker threads that each load a JavaScript model (default 0: predict in the main thread). */
  readonly workers?: number
  /** Most rows merged into one prediction (default 256; 1 turns batching off). */
  readonly maxBatchSize?: number
  /** How long a batch waits for more requests, in ms (default 0: only requests of the same event-loop turn). */
  readonly maxBatchWaitMs?: number
  /** Time limit of one request in ms (default `MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT` seconds, else 60 s). */
  readonly requestTimeoutMs?: number
  /** Largest request body in bytes (default 64 MiB). */
  readonly maxRequestBytes?: number
  /** For `@alias`, `latest` and stage URIs: look for a new version every this many seconds (default: never). */
  readonly refreshIntervalSeconds?: number
  /** Stop gracefully on SIGTERM/SIGINT (then exit the process) and re-resolve the model on SIGHUP (default false). */
  readonly handleSignals?: boolean
  /** Where log lines go (default stderr). */
  readonly log?: (line: string) => void
}

/** A running scoring server. */
export interface ScoringServer {
  /** `http://host:port`. */
  readonly url: string
  readonly port: number
  /** The model being served now. */
  readonly model: ServedModelInfo
  readonly metrics: ScoringMetrics
  /**
   * Re-resolves a movable model URI and, when it names another version, loads it and switches to it; requests
   * already running finish on the old model, which is closed after them. Answers whether the model changed.
   */
  refresh(): Promise<boolean>
  /** Stops accepting connections, finishes the requests in flight, then closes the model. */
  close(): Promise<void>
}

function requestTimeoutFromEnvironment(): number {
  const seconds = Number(process.env.MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT)
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 60_000
}

/** A loaded model with its batcher; requests hold it from start to answer so a swap never closes it under them. */
class ServedModel {
  inFlight = 0
  #retired = false
  #closed: Promise<void> | undefined
  #idle: (() => void) | undefined
  readonly batcher: MicroBatcher
  readonly signature: ModelSignature | undefined

  constructor(
    readonly model: LoadedModel,
    readonly info: ServedModelInfo,
    options: Omit<MicroBatcherOptions, 'model'>,
    readonly cleanup?: () => Promise<void>,
  ) {
    this.batcher = new MicroBatcher({ model, ...options })
    this.signature = parseSignature(model.metadata)
  }

  release(): void {
    this.inFlight--
    if (this.inFlight > 0) return
    this.#idle?.()
    if (this.#retired) void this.close()
  }

  /** Resolves once no request uses the model (requests that timed out may still be predicting on it). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const previous = this.#idle
      this.#idle = () => {
        this.#idle = undefined
        previous?.()
        resolve()
      }
    })
  }

  /** Closes the model once its last request is done; resolves when it is closed and its files deleted. */
  retire(): Promise<void> {
    this.#retired = true
    if (this.inFlight === 0) void this.close()
    return this.idle().then(() => this.close())
  }

  close(): Promise<void> {
    this.#closed ??= this.model
      .close()
      .catch(() => undefined)
      .then(() => this.cleanup?.())
      .catch(() => undefined)
    return this.#closed
  }
}

const JSON_TYPE = 'application/json'

/** How long shutdown waits for predictions of requests that already timed out before closing their model. */
const SHUTDOWN_PREDICT_GRACE_MS = 30_000

function send(
  response: http.ServerResponse,
  status: number,
  body: string,
  contentType: string = JSON_TYPE,
): void {
  if (response.headersSent) return
  // A body left unread (a route that takes none, or an error before reading it) would keep the socket busy reading it.
  if (!response.req.complete && hasBody(response.req)) response.shouldKeepAlive = false
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) })
  response.end(body)
}

function hasBody(request: http.IncomingMessage): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error_code: code, message })
}

function unexpectedPredictError(error: unknown): MlflowError {
  const detail = error instanceof Error ? error.message : String(error)
  return new MlflowError(
    'BAD_REQUEST',
    'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is ' +
      `compatible with the model for inference. Error: ${detail}`,
    { cause: error },
  )
}

/** Turns anything thrown while parsing or predicting into a status and MLflow error body (never 500 for input). */
function describeFailure(error: unknown): { status: number; code: string; message: string } {
  const failure = error instanceof MlflowError ? error : unexpectedPredictError(error)
  return { status: failure.httpStatus, code: failure.code, message: failure.message }
}

/**
 * Starts MLflow's scoring server protocol on `node:http`: GET `/ping`, `/health`, `/version`, `/metrics` (Prometheus)
 * and POST `/invocations`. Concurrent dataframe requests are micro-batched for row-batchable models; JavaScript
 * models can run in worker threads; movable registry URIs are re-resolved on SIGHUP and on an interval.
 *
 * @example
 * const server = await startScoringServer({ modelUri: 'models:/iris@champion', port: 5001 })
 * // POST {"dataframe_split": {...}} to `${server.url}/invocations`
 * await server.close()
 */
export async function startScoringServer(options: ScoringServerOptions): Promise<ScoringServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const metrics = new ScoringMetrics()
  const source = new ModelSource(options)
  const workers = options.workers ?? 0
  const requestTimeoutMs = options.requestTimeoutMs ?? requestTimeoutFromEnvironment()
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
  /** Bytes of request bodies held at once, over all requests: many slow large uploads cannot exhaust memory. */
  const bodyBudget: BodyBudget = { used: 0, limit: BODY_BUDGET_FACTOR * maxRequestBytes }
  const batchOptions = {
    maxBatchRows: Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE),
    maxWaitMs: Math.max(0, options.maxBatchWaitMs ?? 0),
    metrics,
  }

  async function load(resolved: ResolvedModelSource): Promise<ServedModel> {
    let model: LoadedModel
    let workerThreads: number
    try {
      ;({ model, workerThreads } = await loadServedModel(resolved.directory, workers))
    } catch (error) {
      await resolved.cleanup?.()
      throw error
    }
    const info: ServedModelInfo = {
      uri: resolved.uri,
      name: resolved.name,
      version: resolved.version,
      flavor: model.flavor,
      modelUuid: model.metadata.model_uuid,
      workerThreads,
    }
    // One batch per worker can predict at once (at least two, so one batch fills while another predicts).
    const batching = { ...batchOptions, maxConcurrentBatches: Math.max(2, workerThreads) }
    return new ServedModel(model, info, batching, resolved.cleanup)
  }

  let current = await load(await source.resolve())
  metrics.modelLoaded(current.info, false)
  /** Models replaced by a swap whose last requests (or download clean-up) may not be finished yet. */
  const retired = new Set<ServedModel>()
  /** Responses not yet sent, so that shutdown can tell their clients not to reuse the connection. */
  const pending = new Set<http.ServerResponse>()
  let draining = false
  let inFlight = 0
  let drained: (() => void) | undefined

  async function invocations(request: http.IncomingMessage, response: http.ServerResponse): Promise<number> {
    const contentType = request.headers['content-type']
    const format = scoringFormatOf(contentType)
    if (format === undefined) {
      send(response, 415, describeUnsupportedContentType(contentType), 'text/plain; charset=utf-8')
      return 415
    }
    const declared = Number(request.headers['content-length'])
    if (declared > maxRequestBytes) return tooLarge(response)
    const read = await readBody(request, { limit: maxRequestBytes, budget: bodyBudget })
    if (read === 'too-large') return tooLarge(response)
    if (read === 'over-budget') return busy(response)
    if (read === 'closed') return 0
    const { body } = read
    const served = current
    served.inFlight++
    try {
      const text = decodeUtf8(body)
      const { input, params } = parseScoringRequest({ format, body: text, signature: served.signature })
      const output: ModelOutput = await served.batcher.predict(input, params).catch((error: unknown) => {
        // MLflow answers 400 for whatever the model's predict raises; our own input errors keep their code, and so
        // does "no model worker is running", which is no fault of the request (clients and balancers retry a 503).
        if (
          error instanceof MlflowError &&
          (error.httpStatus < 500 || error.code === 'TEMPORARILY_UNAVAILABLE')
        )
          throw error
        throw unexpectedPredictError(error)
      })
      send(response, 200, JSON.stringify({ predictions: predictionsToJson(output) }))
      return 200
    } finally {
      bodyBudget.used -= body.length
      served.release()
    }
  }

  /** Answers 503 when the bodies held at once would pass the server's budget: the client may retry. */
  function busy(response: http.ServerResponse): number {
    response.shouldKeepAlive = false
    const message =
      `The server is holding ${bodyBudget.limit} bytes of request bodies already; retry later ` +
      '(the budget is 4 x --max-request-bytes)'
    metrics.errorAnswered('TEMPORARILY_UNAVAILABLE')
    send(response, 503, errorBody('TEMPORARILY_UNAVAILABLE', message))
    return 503
  }

  function tooLarge(response: http.ServerResponse): number {
    response.shouldKeepAlive = false
    const message = `The request body is larger than the limit of ${maxRequestBytes} bytes (--max-request-bytes)`
    metrics.errorAnswered('REQUEST_LIMIT_EXCEEDED')
    send(response, 413, errorBody('REQUEST_LIMIT_EXCEEDED', message))
    return 413
  }

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const started = performance.now()
    inFlight++
    metrics.requestStarted()
    if (draining) response.shouldKeepAlive = false
    else pending.add(response)
    const url = request.url ?? '/'
    const query = url.indexOf('?')
    const pathname = query < 0 ? url : url.slice(0, query)
    let route = 'other'
    let status = 0
    let timer: NodeJS.Timeout | undefined
    try {
      if (pathname === '/invocations') {
        route = 'invocations'
        if (request.method !== 'POST') {
          status = 405
          response.setHeader('Allow', 'POST')
          send(
            response,
            405,
            errorBody('BAD_REQUEST', `Method ${request.method} is not allowed on /invocations`),
          )
        } else {
          const timedOut = new Promise<number>((resolve) => {
            timer = setTimeout(() => {
              response.shouldKeepAlive = false
              metrics.errorAnswered('DEADLINE_EXCEEDED')
              send(response, 504, errorBody('DEADLINE_EXCEEDED', 'Request processing time exceeded limit'))
              resolve(504)
            }, requestTimeoutMs)
          })
          status = await Promise.race([invocations(request, response), timedOut])
        }
      } else if (
        request.method !== 'GET' &&
        request.method !== 'HEAD' &&
        (pathname === '/ping' || pathname === '/health' || pathname === '/version' || pathname === '/metrics')
      ) {
        // MLflow's scoring server declares these GET routes (HEAD included) and answers anything else 405.
        route = pathname.slice(1)
        status = 405
        response.setHeader('Allow', 'GET, HEAD')
        send(
          response,
          405,
          errorBody('BAD_REQUEST', `Method ${request.method} is not allowed on ${pathname}`),
        )
      } else if (pathname === '/ping' || pathname === '/health') {
        route = pathname.slice(1)
        status = 200
        send(response, 200, '\n')
      } else if (pathname === '/version') {
        route = 'version'
        status = 200
        send(response, 200, CAIRN_VERSION)
      } else if (pathname === '/metrics') {
        route = 'metrics'
        status = 200
        send(response, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8')
      } else {
        status = 404
        send(response, 404, errorBody('ENDPOINT_NOT_FOUND', `No route for ${request.method} ${pathname}`))
      }
    } catch (error) {
      const failure = describeFailure(error)
      if (!response.headersSent) {
        status = failure.status
        metrics.errorAnswered(failure.code)
        send(response, failure.status, errorBody(failure.code, failure.message))
      }
    } finally {
      clearTimeout(timer)
      pending.delete(response)
      if (status === 0) status = response.headersSent ? response.statusCode : 499
      metrics.requestFinished(route, status, (performance.now() - started) / 1000)
      inFlight--
      if (draining && inFlight === 0) drained?.()
    }
  }

  const server = http.createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    void handle(request, response)
  })
  server.headersTimeout = 66_000
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 5000, options.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    // The model is loaded already: free its workers and delete its download before failing.
    await current.close()
    throw error
  }
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`

  let refreshing: Promise<boolean> | undefined
  async function refreshOnce(): Promise<boolean> {
    if (!source.movable || draining) return false
    const latest = await source.currentVersion()
    if (!latest || latest.version === current.info.version) return false
    log(`Model ${source.uri} now names version ${latest.version} (was ${current.info.version}); loading it`)
    const next = await load(await source.resolve(latest))
    if (draining) {
      await next.close()
      return false
    }
    const previous = current
    current = next
    metrics.modelLoaded(next.info, true)
    retired.add(previous)
    void previous.retire().then(() => retired.delete(previous))
    log(`Serving ${source.uri} version ${latest.version}`)
    return true
  }
  // A refresh asked for while one runs must not share its answer: the alias may have moved after that one looked.
  let queued: Promise<boolean> | undefined
  function refresh(): Promise<boolean> {
    if (refreshing) {
      queued ??= refreshing
        .catch(() => false)
        .then(() => {
          queued = undefined
          return refresh()
        })
      return queued
    }
    refreshing = refreshOnce().finally(() => {
      refreshing = undefined
    })
    return refreshing
  }
  const refreshInBackground = () => {
    refresh().catch((error: unknown) => {
      log(`Could not refresh ${source.uri}: ${error instanceof Error ? error.message : String(error)}`)
    })
  }
  const interval =
    options.refreshIntervalSeconds && options.refreshIntervalSeconds > 0 && source.movable
      ? setInterval(refreshInBackground, options.refreshIntervalSeconds * 1000)
      : undefined
  interval?.unref()

  let closing: Promise<void> | undefined
  async function closeOnce(): Promise<void> {
    draining = true
    clearInterval(interval)
    // Requests being handled answer with `Connection: close`, so no client sends another one on a socket about to end.
    for (const response of pending) response.shouldKeepAlive = false
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve))
    server.closeAllConnections()
    await stopped
    await refreshing?.catch(() => undefined)
    // Requests answered 504 may still be predicting: closing a model (an ONNX session) under them is unsafe.
    const models = [current, ...retired]
    let grace: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(models.map((model) => model.idle())),
      new Promise((resolve) => {
        grace = setTimeout(resolve, SHUTDOWN_PREDICT_GRACE_MS)
      }),
    ])
    clearTimeout(grace)
    await Promise.all(models.map((model) => model.close()))
  }
  const close = () => {
    closing ??= closeOnce()
    return closing
  }

  if (options.handleSignals) {
    const stop = (signal: NodeJS.Signals) => {
      if (closing) {
        log(`${signal} again: exiting now`)
        process.exit(1)
      }
      log(`${signal}: finishing requests in flight, then exiting`)
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          log(`Shutdown failed: ${String(error)}`)
          process.exit(1)
        },
      )
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    process.on('SIGHUP', () => {
      log('SIGHUP: re-resolving the model')
      refreshInBackground()
    })
  }

  return {
    url,
    port: address.port,
    get model() {
      return current.info
    },
    metrics,
    refresh,
    close,
  }
}

/** Bytes of request bodies the server holds at once, and how many it may. */
interface BodyBudget {
  used: number
  readonly limit: number
}

/** The body budget is this many times the largest request. */
const BODY_BUDGET_FACTOR = 4

/**
 * Reads a request body of at most `limit` bytes, counting it against `budget` as it arrives (the caller gives it back
 * when done with the body). Stops reading, and gives back what it took, when either would be passed.
 */
function readBody(
  request: http.IncomingMessage,
  options: { limit: number; budget: BodyBudget },
): Promise<{ body: Buffer } | 'too-large' | 'over-budget' | 'closed'> {
  const { limit, budget } = options
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const stop = (outcome: 'too-large' | 'over-budget' | 'closed') => {
      if (settled) return
      settled = true
      request.off('data', onData)
      request.pause()
      budget.used -= size
      size = 0
      resolve(outcome)
    }
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) return stop('too-large')
      if (budget.used + chunk.length > budget.limit) return stop('over-budget')
      size += chunk.length
      budget.used += chunk.length
      chunks.push(chunk)
    }
    request.on('data', onData)
    request.once('end', () => {
      if (settled) return
      settled = true
      request.off('data', onData)
      resolve({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) })
    })
    request.once('close', () => stop('closed'))
    request.once('error', () => stop('closed'))
  })
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

function decodeUtf8(body: Buffer): string {
  try {
    return UTF8.decode(body)
  } catch (error) {
    throw new MlflowError('BAD_REQUEST', 'Ensure that input is a valid UTF-8 encoded string', {
      cause: error,
    })
  }
}
