import type { Context } from 'hono'
import type { z } from 'zod'
import type { Services } from '../services/create-services.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What a handler receives besides its validated request. */
export interface HandlerContext {
  services: Services
  /** The Hono context, for handlers that answer with a stream. */
  context: Context
}

/**
 * One API operation. The same definition registers the route and documents it in the OpenAPI
 * document, so what is served and what is described cannot drift apart.
 */
export interface RouteDefinition<TRequest extends z.ZodObject = z.ZodObject> {
  /** One verb per operation: `createRun` in the handler, service, store and SDK alike. */
  operationId: string
  summary: string
  methods: readonly HttpMethod[]
  /** Path below the API prefix, e.g. `/mlflow/runs/create`. */
  path: string
  /** Served only under `/ajax-api/2.0` (routes the MLflow UI alone calls). */
  ajaxOnly?: boolean
  request: TRequest
  response: z.ZodType
  /** Largest accepted request body in bytes (default: the server's general limit). */
  bodyLimit?: number
  /** Message for a body over `bodyLimit`. */
  bodyLimitMessage?: (size: number, limit: number) => string
  /** Returns the JSON body of a 200 answer, or a complete `Response`. */
  handle(request: z.output<TRequest>, context: HandlerContext): Promise<object | Response>
}

/** Keeps a route's handler typed by its own request schema. */
export function defineRoute<TRequest extends z.ZodObject>(route: RouteDefinition<TRequest>): RouteDefinition {
  return route as unknown as RouteDefinition
}
