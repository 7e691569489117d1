import { MlflowError } from '@cairn/core'
import {
  Gateway,
  handleFetchRequest,
  loadGatewayConfig,
  readRequestText,
  watchGatewayConfig,
} from '@cairn/gateway'
import { openGatewayStore } from '@cairn/store'
import type { Context, Hono } from 'hono'

/** Paths of the gateway's own API served by the tracking server when a gateway is mounted. */
const GATEWAY_PATHS = [
  '/endpoints/:name/invocations',
  '/gateway/:name/invocations',
  '/api/2.0/endpoints',
  '/api/2.0/endpoints/*',
  '/api/2.0/gateway/*',
  '/api/3.0/gateway/*',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/models',
  '/v1/models/*',
]

function remoteAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
  return incoming?.socket?.remoteAddress ?? ''
}

/**
 * MLflow's UI proxy `/ajax-api/2.0/mlflow/gateway-proxy` (GET lists endpoints, POST invokes
 * `gateway/{name}/invocations` with `json_data`), and, when a gateway is mounted, the gateway's own API.
 * Without a gateway the proxy answers an empty endpoint list, as MLflow does without a deployments target.
 */
export function registerGatewayRoutes(app: Hono, gateway: Gateway | undefined): void {
  app.on(['GET', 'POST'], '/ajax-api/2.0/mlflow/gateway-proxy', async (c) => {
    if (!gateway) return c.json({ endpoints: [] })
    let args: Record<string, unknown>
    if (c.req.method === 'GET') args = Object.fromEntries(new URL(c.req.url).searchParams)
    else {
      const text = await readRequestText(c.req.raw)
      if (text === undefined)
        throw new MlflowError('INVALID_PARAMETER_VALUE', 'The request body is too large for the gateway')
      try {
        args = JSON.parse(text) as Record<string, unknown>
      } catch {
        throw new MlflowError('INVALID_PARAMETER_VALUE', 'The request body is not valid JSON')
      }
    }
    const gatewayPath =
      typeof args.gateway_path === 'string' ? args.gateway_path.replace(/^\/+|\/+$/g, '') : ''
    if (!gatewayPath)
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        'Deployments proxy request must specify a gateway_path.',
      )
    const valid =
      c.req.method === 'GET'
        ? gatewayPath === 'api/2.0/endpoints'
        : /^gateway\/[^/]+\/invocations$/.test(gatewayPath)
    if (!valid)
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Invalid gateway_path: ${gatewayPath} for method: ${c.req.method}`,
      )
    const response = await handleFetchRequest(gateway, c.req.raw, {
      path: `/${gatewayPath}${c.req.method === 'GET' ? '/' : ''}`,
      body: c.req.method === 'POST' ? (args.json_data ?? {}) : undefined,
      remoteAddress: remoteAddress(c),
    })
    if (response.status === 200) return response
    const text = await response.text()
    throw new MlflowError(
      response.status === 429
        ? 'REQUEST_LIMIT_EXCEEDED'
        : response.status >= 500
          ? 'INTERNAL_ERROR'
          : 'BAD_REQUEST',
      `Deployments proxy request failed with error code ${response.status}. Error message: ${text}`,
    )
  })
  if (!gateway) return
  app.get('/api/2.0/gateway/metrics', (c) => handleFetchRequest(gateway, c.req.raw, { path: '/metrics' }))
  for (const path of GATEWAY_PATHS)
    app.all(path, (c) => handleFetchRequest(gateway, c.req.raw, { remoteAddress: remoteAddress(c) }))
}

export interface MountedGateway {
  gateway: Gateway
  close(): Promise<void>
}

/** The gateway of `cairn server --gateway-config-path`: limits and usage in the server's database, config reloaded on change. */
export async function openMountedGateway(
  configPath: string,
  backendStoreUri: string,
  logger: { error(message: string, error?: unknown): void },
): Promise<MountedGateway> {
  const config = loadGatewayConfig(configPath)
  const store = await openGatewayStore(backendStoreUri)
  const quiet = { info: () => {}, warn: () => {}, error: (message: string) => logger.error(message) }
  const gateway = new Gateway({ config, store, logger: quiet })
  const stop = watchGatewayConfig(configPath, {
    onReload: (next) => gateway.reload(next),
    onError: (error) =>
      logger.error(`cairn gateway: kept the running config: ${gateway.redact(error.message)}`),
  })
  return {
    gateway,
    async close() {
      stop()
      await gateway.close()
      await store.close()
    },
  }
}
