import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GatewayStore } from '@cairn/core'
import { loadGatewayConfig } from './config/gateway-config.js'
import { watchGatewayConfig } from './config/watch-config.js'
import { Gateway } from './gateway.js'
import { createNodeHandler } from './server/node-adapter.js'

export interface StartGatewayOptions {
  configPath: string
  host?: string
  port?: number
  /** Shared counters, keys and usage (a database); in-process when omitted. */
  store?: GatewayStore
  /** Reload the config when the file changes (default true). */
  watch?: boolean
  logger?: Pick<Console, 'info' | 'warn' | 'error'>
}

export interface RunningGateway {
  gateway: Gateway
  server: http.Server
  url: string
  /** Stops accepting connections, waits for calls in flight, and flushes usage. */
  close(): Promise<void>
}

/** Loads the config, serves the gateway over node:http and reloads the config on change. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? console
  const gateway = new Gateway({ config: loadGatewayConfig(options.configPath), store: options.store, logger })
  const stopWatching =
    options.watch === false
      ? () => {}
      : watchGatewayConfig(options.configPath, {
          onReload: (config) => {
            gateway.reload(config)
            logger.info(
              `cairn gateway: reloaded ${options.configPath} (${config.endpoints.length} endpoints)`,
            )
          },
          onError: (error) =>
            logger.error(`cairn gateway: kept the running config: ${gateway.redact(error.message)}`),
        })
  const server = http.createServer(
    { keepAliveTimeout: 65_000, noDelay: true },
    createNodeHandler(() => gateway),
  )
  server.headersTimeout = 66_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 5000, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    gateway,
    server,
    url: `http://${host}:${address.port}`,
    async close() {
      stopWatching()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      await gateway.close()
    },
  }
}
