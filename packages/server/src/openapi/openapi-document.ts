import { ErrorResponse } from '@cairn/core'
import { z } from 'zod'
import type { RouteDefinition } from '../routes/route-definition.js'
import { SERVER_VERSION } from '../version.js'

type JsonSchema = Record<string, unknown>

const COMPONENT_PREFIX = '#/components/schemas/'

/** Converts a zod schema, moving every named sub-schema into `components`. */
function toSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' })
  // Single-schema conversion puts named schemas under `$defs`; OpenAPI keeps them in components.
  const json = JSON.parse(
    JSON.stringify(generated).replaceAll('"#/$defs/', `"${COMPONENT_PREFIX}`),
  ) as JsonSchema
  const { $schema: _dialect, $defs, ...root } = json as JsonSchema & { $defs?: Record<string, JsonSchema> }
  for (const [id, definition] of Object.entries($defs ?? {})) {
    // Requests are described as accepted (io: input), responses as sent (io: output): a named
    // schema used on both sides with different shapes would make one of them wrong.
    if (components[id] && JSON.stringify(components[id]) !== JSON.stringify(definition)) {
      throw new Error(`Schema '${id}' has different request and response shapes; give each its own id`)
    }
    components[id] = definition
  }
  return root
}

/** Names of the `{name}` path parameters of a route. */
function pathParameterNames(route: RouteDefinition): string[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '')
}

function pathParameters(route: RouteDefinition): JsonSchema[] {
  return pathParameterNames(route).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }))
}

function queryParameters(route: RouteDefinition, components: Record<string, JsonSchema>): JsonSchema[] {
  const shape = route.request.shape as Record<string, z.ZodType>
  const inPath = pathParameterNames(route)
  const query = Object.entries(shape).filter(([name]) => !inPath.includes(name))
  return [
    ...pathParameters(route),
    ...query.map(([name, field]) => {
      const schema = toSchema(field, 'input', components)
      const isList = schema.type === 'array'
      const parameter: JsonSchema = {
        name,
        in: 'query',
        required: !field.safeParse(undefined).success,
        schema,
      }
      if (isList) {
        parameter.style = 'form'
        parameter.explode = true
      }
      return parameter
    }),
  ]
}

/**
 * The OpenAPI 3.1 document of the API, generated from the same route table and zod schemas the
 * server validates with.
 */
export function buildOpenApiDocument(
  routes: readonly RouteDefinition[],
  prefixes: readonly string[],
): JsonSchema {
  const components: Record<string, JsonSchema> = {}
  const errorSchema = toSchema(ErrorResponse, 'output', components)
  const errorResponse = {
    description: 'An MLflow error: `{"error_code", "message"}`',
    content: { 'application/json': { schema: errorSchema } },
  }
  const paths: Record<string, Record<string, JsonSchema>> = {}

  for (const route of routes) {
    const responseSchema = toSchema(route.response, 'output', components)
    const responses = {
      '200': { description: 'Success', content: { 'application/json': { schema: responseSchema } } },
      '400': errorResponse,
      '404': errorResponse,
      default: errorResponse,
    }
    const routePrefixes = route.ajaxOnly ? prefixes.slice(1) : prefixes
    for (const prefix of routePrefixes) {
      const item: Record<string, JsonSchema> = {}
      for (const method of route.methods) {
        const ajaxSuffix = prefix === prefixes[0] || route.ajaxOnly ? '' : 'Ajax'
        const methodSuffix = route.methods.length > 1 && method === 'GET' ? 'Get' : ''
        const operation: JsonSchema = {
          operationId: route.operationId + methodSuffix + ajaxSuffix,
          summary: route.summary,
          responses,
        }
        if (method === 'GET') {
          operation.parameters = queryParameters(route, components)
        } else {
          operation.requestBody = {
            required: true,
            content: { 'application/json': { schema: toSchema(route.request, 'input', components) } },
          }
          if (route.path.includes('{')) operation.parameters = pathParameters(route)
        }
        item[method.toLowerCase()] = operation
      }
      // Several operations may share a path (`registered-models/alias`: POST, GET, DELETE).
      paths[prefix + route.path] = { ...paths[prefix + route.path], ...item }
    }
  }

  const text = (description: string) => ({
    get: {
      summary: description,
      responses: { '200': { description, content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  })
  paths['/health'] = text('Health check: `OK`')
  paths['/version'] = text('Server version')

  return {
    openapi: '3.1.0',
    info: {
      title: 'Cairn tracking API',
      version: SERVER_VERSION,
      description: 'MLflow-compatible tracking REST API.',
    },
    paths,
    components: { schemas: components },
  }
}
