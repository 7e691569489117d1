import type { Worker } from 'node:cluster'
import cluster from 'node:cluster'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { TrackingStore } from '@cairn/store'
import { createTrackingStore } from '@cairn/store'
import { serve } from '@hono/node-server'
import type { ServerLogger } from './app.js'
import { createApp } from './app.js'
import { type MountedGateway, openMountedGateway } from './gateway/mount-gateway.js'
import { readEnvironmentConfig } from './server-config.js'
import type { ArtifactSettings } from './services/artifact-service.js'

/** Options of `startServer`; each falls back to its `CAIRN_*` environment variable, then to the default. */
export interface ServerOptions {
  /** Database URI, `sqlite:///<path>` or `postgresql://…` (default `sqlite:///<cwd>/cairn-data/cairn.db`). */
  backendStoreUri?: string
  /** Artifact root of new experiments (default `mlflow-artifacts:/` when serving artifacts, else `artifactsDestination`). */
  defaultArtifactRoot?: string
  /** Where proxied artifacts are stored (default `<cwd>/cairn-data/artifacts`). */
  artifactsDestination?: string
  /** Serve `/api/2.0/mlflow-artifacts` (default true). */
  serveArtifacts?: boolean
  /** Serve only the artifact proxy; tracking endpoints answer 503 (default false). */
  artifactsOnly?: boolean
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string
  /** Port to listen on (default 5000; 0 picks a free port). */
  port?: number
  /** Processes serving requests (default 1; more uses `node:cluster`, each worker opens the store). */
  workers?: number
  /** Stop gracefully on SIGTERM and SIGINT, then exit (default true). */
  handleSignals?: boolean
  /** Receives unexpected errors (default: `console`). */
  logger?: ServerLogger
  /** Gateway config (MLflow's YAML) to serve the LLM gateway inside the server (issue 7). */
  gatewayConfigPath?: string
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:5000`. */
  url: string
  /** Stops accepting connections, finishes in-flight requests and closes the store. */
  close(): Promise<void>
}

interface ResolvedOptions {
  backendStoreUri: string
  defaultArtifactRoot: string
  artifacts: ArtifactSettings
  host: string
  port: number
  workers: number
  truncateLongValues: boolean
}

const DEFAULT_PORT = 5000
const SHUTDOWN_GRACE_MS = 10_000

function resolveOptions(options: ServerOptions): ResolvedOptions {
  const env = readEnvironmentConfig()
  const dataDirectory = path.join(process.cwd(), 'cairn-data')
  const artifactsOnly = options.artifactsOnly ?? env.artifactsOnly ?? false
  const serveArtifacts = artifactsOnly || (options.serveArtifacts ?? env.serveArtifacts ?? true)
  const artifactsDestination =
    options.artifactsDestination ?? env.artifactsDestination ?? path.join(dataDirectory, 'artifacts')
  const destination = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(artifactsDestination)
    ? artifactsDestination
    : path.resolve(artifactsDestination)
  const defaultArtifactRoot =
    options.defaultArtifactRoot ??
    env.defaultArtifactRoot ??
    (serveArtifacts ? 'mlflow-artifacts:/' : destination)
  return {
    backendStoreUri:
      options.backendStoreUri ?? env.backendStoreUri ?? `sqlite:///${path.join(dataDirectory, 'cairn.db')}`,
    defaultArtifactRoot,
    artifacts: { serveArtifacts, artifactsOnly, destination, defaultArtifactRoot },
    host: options.host ?? env.host ?? '127.0.0.1',
    port: options.port ?? env.port ?? DEFAULT_PORT,
    workers: options.workers ?? env.workers ?? 1,
    truncateLongValues: env.truncateLongValues,
  }
}

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

function listen(app: ReturnType<typeof createApp>, options: ResolvedOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }) as Server
    server.once('error', reject)
    server.once('listening', () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS)
    timer.unref()
    server.close(() => {
      clearTimeout(timer)
      resolve()
    })
    server.closeIdleConnections()
  })
}

function onShutdownSignal(close: () => Promise<void>, logger: ServerLogger): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Error while stopping on ${signal}`, error)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

async function startSingleServer(
  options: ResolvedOptions,
  serverOptions: ServerOptions,
): Promise<RunningServer> {
  const logger = serverOptions.logger ?? console
  const store: TrackingStore = await createTrackingStore(options.backendStoreUri, {
    defaultArtifactRoot: options.defaultArtifactRoot,
  })
  let server: Server
  let mounted: MountedGateway | undefined
  try {
    if (serverOptions.gatewayConfigPath)
      mounted = await openMountedGateway(serverOptions.gatewayConfigPath, options.backendStoreUri, logger)
    server = await listen(
      createApp({
        store,
        truncateLongValues: options.truncateLongValues,
        logger,
        artifacts: options.artifacts,
        gateway: mounted?.gateway,
      }),
      options,
    )
  } catch (error) {
    await mounted?.close()
    await store.close()
    throw error
  }
  const address = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= closeServer(server)
      .then(() => mounted?.close())
      .then(() => store.close())
    return closing
  }
  if (serverOptions.handleSignals ?? true) onShutdownSignal(close, logger)
  return { url: formatUrl(options.host, address.port), close }
}

async function startCluster(options: ResolvedOptions, serverOptions: ServerOptions): Promise<RunningServer> {
  const logger = serverOptions.logger ?? console
  // Open the store once first, so its migrations run in one process before the workers start.
  const store = await createTrackingStore(options.backendStoreUri, {
    defaultArtifactRoot: options.defaultArtifactRoot,
  })
  await store.close()

  const workers = new Set<Worker>()
  const listening = new WeakSet<Worker>()
  let closing: Promise<void> | undefined
  const fork = () => {
    const worker = cluster.fork({ CAIRN_WORKER_OPTIONS: JSON.stringify(options) })
    workers.add(worker)
    worker.once('listening', () => listening.add(worker))
    worker.once('exit', (code, signal) => {
      workers.delete(worker)
      // A worker that dies while serving is replaced, so one crash never shrinks the pool for good.
      if (!closing && listening.has(worker)) {
        logger.error(`Worker ${worker.process.pid} exited (${signal ?? code}); starting a replacement`)
        fork()
      }
    })
    return worker
  }
  const ports = await Promise.all(
    Array.from({ length: options.workers }, () => {
      const worker = fork()
      return new Promise<number>((resolve, reject) => {
        worker.once('listening', (address) => resolve(address.port))
        worker.once('exit', (code) =>
          reject(new Error(`Worker ${worker.id} exited with code ${code} while starting`)),
        )
      })
    }),
  )
  const close = () => {
    closing ??= Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve()
            // Past the grace period a worker that still hangs is killed, so the primary always exits.
            const timer = setTimeout(() => worker.process.kill('SIGKILL'), SHUTDOWN_GRACE_MS + 2_000)
            worker.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            worker.process.kill('SIGTERM')
          }),
      ),
    ).then(() => undefined)
    return closing
  }
  if (serverOptions.handleSignals ?? true) onShutdownSignal(close, logger)
  return { url: formatUrl(options.host, ports[0] ?? options.port), close }
}

/**
 * Opens the store and serves the API over HTTP. With `workers > 1` the primary process forks
 * workers that share the port; every worker opens its own store, and nothing is kept in memory
 * between requests, so several workers (or replicas on one PostgreSQL) can serve together.
 *
 * @example
 * const server = await startServer({ port: 0, backendStoreUri: 'sqlite:///tmp/cairn.db' })
 * await fetch(`${server.url}/health`)
 * await server.close()
 */
export async function startServer(serverOptions: ServerOptions = {}): Promise<RunningServer> {
  if (cluster.isWorker && process.env.CAIRN_WORKER_OPTIONS) {
    const options = JSON.parse(process.env.CAIRN_WORKER_OPTIONS) as ResolvedOptions
    return startSingleServer({ ...options, workers: 1 }, { ...serverOptions, handleSignals: true })
  }
  const options = resolveOptions(serverOptions)
  if (options.workers > 1) return startCluster(options, serverOptions)
  return startSingleServer(options, serverOptions)
}
