import { ListArtifactsRequest, ListArtifactsResponse } from '@cairn/core'
import type { Context, Hono } from 'hono'
import * as artifacts from '../handlers/artifact-handlers.js'
import type { Services } from '../services/create-services.js'
import type { RouteDefinition } from './route-definition.js'
import { defineRoute } from './route-definition.js'

/** JSON routes of the tracking API about artifacts, served like every other tracking route. */
export const ARTIFACT_API_ROUTES: readonly RouteDefinition[] = [
  defineRoute({
    operationId: 'listArtifacts',
    summary: "List a run's artifacts (one directory level; `max_results` pages, a Cairn extension)",
    methods: ['GET'],
    path: '/mlflow/artifacts/list',
    request: ListArtifactsRequest,
    response: ListArtifactsResponse,
    handle: artifacts.listArtifacts,
  }),
]

const PREFIXES = ['/api/2.0', '/ajax-api/2.0'] as const

function unavailable(c: Context, reason: 'no-serve' | 'artifacts-only'): Response {
  const text =
    reason === 'no-serve'
      ? `Endpoint: ${c.req.path} disabled due to the server running with \`--no-serve-artifacts\`. To enable artifacts server functionality, run the server with \`--serve-artifacts\``
      : `Endpoint: ${c.req.path} disabled due to the server running in \`--artifacts-only\` mode. To enable tracking server functionality, run the server without \`--artifacts-only\``
  return new Response(text, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}

/**
 * Registers the streaming artifact routes, which bypass the JSON request pipeline: the proxy
 * (`/api/2.0/mlflow-artifacts/artifacts[/path]` GET, PUT, DELETE and list), its multipart calls,
 * `/get-artifact` and the UI's `upload-artifact`. With `--no-serve-artifacts` the proxy answers 503,
 * with `--artifacts-only` everything else under the tracking API does, as MLflow's server.
 */
export function registerArtifactRoutes(app: Hono, services: Services): void {
  const { serveArtifacts, artifactsOnly } = services.artifacts.settings

  for (const prefix of PREFIXES) {
    const proxy = `${prefix}/mlflow-artifacts`
    app.use(`${proxy}/*`, async (c, next) => {
      if (!serveArtifacts) return unavailable(c, 'no-serve')
      // Checked on the raw request target: URL parsing would fold `..` away and route elsewhere.
      artifacts.artifactPathAfter(c, proxy)
      await next()
    })
    const files = artifacts.proxyHandlers(services, prefix)
    app.get(`${proxy}/artifacts`, files.list)
    app.get(`${proxy}/artifacts/`, files.list)
    app.get(`${proxy}/artifacts/*`, files.download)
    app.put(`${proxy}/artifacts/*`, files.upload)
    app.delete(`${proxy}/artifacts/*`, files.remove)
    const multipart = artifacts.multipartHandlers(services, prefix)
    app.post(`${proxy}/mpu/create/*`, multipart.create)
    app.post(`${proxy}/mpu/complete/*`, multipart.complete)
    app.post(`${proxy}/mpu/abort/*`, multipart.abort)
    app.put(`${proxy}/mpu/upload-part/*`, multipart.uploadPart)

    if (artifactsOnly) {
      app.use(`${prefix}/mlflow/*`, (c) => Promise.resolve(unavailable(c, 'artifacts-only')))
    }
  }

  if (artifactsOnly) {
    app.use('/get-artifact', (c) => Promise.resolve(unavailable(c, 'artifacts-only')))
    app.use('/model-versions/get-artifact', (c) => Promise.resolve(unavailable(c, 'artifacts-only')))
  }
  app.get('/get-artifact', artifacts.getArtifactHandler(services))
  app.post('/ajax-api/2.0/mlflow/upload-artifact', artifacts.uploadArtifactHandler(services))
}
