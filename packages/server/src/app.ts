import { MlflowError, stringifyExactJson } from '@cairn/core'
import type { Gateway } from '@cairn/gateway'
import type { TrackingStore } from '@cairn/store'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { ZodError } from 'zod'
import { registerGatewayRoutes } from './gateway/mount-gateway.js'
import { getModelVersionArtifactHandler } from './handlers/model-version-artifact-handler.js'
import type { RequestShape } from './http/request-input.js'
import {
  checkJsonContentType,
  describeRequest,
  parseBodyInput,
  parseRequestInput,
  readBodyText,
  readQueryInput,
} from './http/request-input.js'
import { buildOpenApiDocument } from './openapi/openapi-document.js'
import { ARTIFACT_API_ROUTES, registerArtifactRoutes } from './routes/artifact-routes.js'
import { CAIRN_ROUTES } from './routes/cairn-routes.js'
import { PROMPTLAB_ROUTES } from './routes/promptlab-routes.js'
import { REGISTRY_ROUTES } from './routes/registry-routes.js'
import type { HttpMethod, RouteDefinition } from './routes/route-definition.js'
import { TRACKING_ROUTES } from './routes/tracking-routes.js'
import type { ArtifactSettings } from './services/artifact-service.js'
import type { Services } from './services/create-services.js'
import { createServices } from './services/create-services.js'
import type { WebhookSettings } from './services/webhook-settings.js'
import { serveUi } from './ui/static-ui.js'
import { MLFLOW_COMPATIBLE_VERSION, SERVER_VERSION } from './version.js'

/** Where errors that are not MLflow errors are reported. */
export interface ServerLogger {
  error(message: string, error?: unknown): void
}

export interface CreateAppOptions {
  store: TrackingStore
  /** Truncate long param and run tag values instead of rejecting them (default true, as MLFLOW_TRUNCATE_LONG_VALUES). */
  truncateLongValues?: boolean
  /** Directory a relative experiment `artifact_location` is resolved against (default: `process.cwd()`). */
  workingDirectory?: string
  /** Largest request body accepted by routes without their own limit (default 16 MiB). */
  maxRequestBytes?: number
  /** Receives unexpected errors (default: `console`). */
  logger?: ServerLogger
  /** Artifact storage and proxy modes (default: proxy served from `<workingDirectory>/cairn-data/artifacts`). */
  artifacts?: ArtifactSettings
  /** Folder of the built web UI served at `/` (default `packages/ui/dist`); `false` serves no UI. */
  uiDirectory?: string | false
  /** Webhook delivery settings (default: MLflow's `MLFLOW_WEBHOOK_*` environment variables). */
  webhooks?: WebhookSettings
  /** LLM gateway served at its own paths and through the UI's `gateway-proxy` (issue 7). */
  gateway?: Gateway
}

/** Prefixes every tracking route is served under; the MLflow UI calls `/ajax-api`. */
export const API_PREFIXES = ['/api/2.0', '/ajax-api/2.0'] as const

const DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
const JSON_HEADERS = { 'content-type': 'application/json' }

function errorResponse(error: { toJSON(): object; httpStatus: number }): Response {
  return new Response(JSON.stringify(error.toJSON()), { status: error.httpStatus, headers: JSON_HEADERS })
}

function routeHandler(route: RouteDefinition, shape: RequestShape, services: Services) {
  return async (c: Context): Promise<Response> => {
    const method = c.req.method
    let input: Record<string, unknown>
    let rawBody: string | undefined
    if (method === 'GET' || method === 'HEAD') {
      input = readQueryInput(c.req.url, shape)
    } else {
      checkJsonContentType(method, c.req.header('content-type'))
      rawBody = await readBodyText(c.req.raw, shape)
      input = parseBodyInput(rawBody)
    }
    // Path parameters (`/logged-models/{model_id}`) join the query or body fields.
    if (route.path.includes('{')) Object.assign(input, c.req.param())
    const request = parseRequestInput(shape, input, rawBody)
    const result = await route.handle(request, { services, context: c })
    if (result instanceof Response) return result
    return new Response(stringifyExactJson(result), { headers: JSON_HEADERS })
  }
}

/**
 * The Cairn HTTP app: the MLflow tracking REST API under `/api/2.0/mlflow` and
 * `/ajax-api/2.0/mlflow`, plus `/health`, `/version` and `/api/openapi.json`.
 *
 * @example
 * const app = createApp({ store })
 * const response = await app.request('/api/2.0/mlflow/experiments/get?experiment_id=0')
 */
export function createApp(options: CreateAppOptions): Hono {
  const services = createServices(options.store, {
    truncateLongValues: options.truncateLongValues ?? true,
    workingDirectory: options.workingDirectory ?? process.cwd(),
    artifacts: options.artifacts,
    webhooks: options.webhooks,
  })
  const logger = options.logger ?? console
  const generalLimit = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
  const app = new Hono()

  app.onError((error, c) => {
    if (error instanceof MlflowError) return errorResponse(error)
    if (error instanceof ZodError) {
      return errorResponse(
        new MlflowError('INVALID_PARAMETER_VALUE', error.issues[0]?.message ?? 'Invalid request'),
      )
    }
    logger.error(`Unexpected error in ${c.req.method} ${c.req.path}`, error)
    return errorResponse(new MlflowError('INTERNAL_ERROR', 'An internal error occurred. See the server log.'))
  })

  // MLflow's security middleware (3.5+) sends these on every answer.
  app.use(async (c, next) => {
    await next()
    c.res.headers.set('X-Content-Type-Options', 'nosniff')
    c.res.headers.set('X-Frame-Options', 'SAMEORIGIN')
  })

  app.get('/health', (c) => c.text('OK'))
  app.get('/version', (c) => c.text(MLFLOW_COMPATIBLE_VERSION, 200, { 'X-Cairn-Version': SERVER_VERSION }))

  // Before the tracking routes: `--artifacts-only` answers them with 503 from here.
  registerArtifactRoutes(app, services)
  app.get('/model-versions/get-artifact', getModelVersionArtifactHandler(services))

  const openApiDocument = buildOpenApiDocument(
    [...TRACKING_ROUTES, ...CAIRN_ROUTES, ...ARTIFACT_API_ROUTES, ...REGISTRY_ROUTES, ...PROMPTLAB_ROUTES],
    API_PREFIXES,
  )
  const openApiText = JSON.stringify(openApiDocument)
  app.get('/api/openapi.json', () => new Response(openApiText, { headers: JSON_HEADERS }))

  const allowedByPath = new Map<string, HttpMethod[]>()
  for (const route of [
    ...TRACKING_ROUTES,
    ...CAIRN_ROUTES,
    ...ARTIFACT_API_ROUTES,
    ...REGISTRY_ROUTES,
    ...PROMPTLAB_ROUTES,
  ]) {
    const limit = route.bodyLimit ?? generalLimit
    const shape = describeRequest(route.request, {
      bodyLimit: limit,
      bodyLimitMessage: (size) =>
        route.bodyLimitMessage?.(size, limit) ??
        `Request body of ${size} bytes exceeds the limit of ${limit} bytes for this endpoint.`,
    })
    const handler = routeHandler(route, shape, services)
    const prefixes = route.ajaxOnly ? API_PREFIXES.slice(1) : API_PREFIXES
    for (const prefix of prefixes) {
      const path = prefix + route.path.replace(/\{(\w+)\}/g, ':$1')
      app.on([...route.methods], path, handler)
      allowedByPath.set(path, [...(allowedByPath.get(path) ?? []), ...route.methods])
    }
  }
  for (const [path, methods] of allowedByPath) {
    const allow = methods.join(', ')
    app.all(path, (c) =>
      c.json(
        {
          error_code: 'BAD_REQUEST',
          message: `The method ${c.req.method} is not allowed for ${path}. Allowed: ${allow}.`,
        },
        405,
        { Allow: allow },
      ),
    )
  }

  registerGatewayRoutes(app, options.gateway)

  if (options.uiDirectory !== false) app.get('*', serveUi(options.uiDirectory))

  app.notFound((c) =>
    c.json(
      { error_code: 'ENDPOINT_NOT_FOUND', message: `No API route for ${c.req.method} ${c.req.path}` },
      404,
    ),
  )
  return app
}
