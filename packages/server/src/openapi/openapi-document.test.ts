import { describe, expect, it } from 'vitest'
import { API_PREFIXES } from '../app.js'
import { TRACKING_ROUTES } from '../routes/tracking-routes.js'
import { buildOpenApiDocument } from './openapi-document.js'

// biome-ignore lint/suspicious/noExplicitAny: walking a JSON document
type Json = any

function collectRefs(value: Json, refs: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) collectRefs(item, refs)
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') refs.add(item)
      else collectRefs(item, refs)
    }
  }
}

describe('OpenAPI document', () => {
  const document: Json = buildOpenApiDocument(TRACKING_ROUTES, API_PREFIXES)

  it('is OpenAPI 3.1 and documents every route under each of its prefixes', () => {
    expect(document.openapi).toBe('3.1.0')
    for (const route of TRACKING_ROUTES) {
      const prefixes = route.ajaxOnly ? ['/ajax-api/2.0'] : ['/api/2.0', '/ajax-api/2.0']
      for (const prefix of prefixes) {
        const item = document.paths[prefix + route.path]
        expect(item, prefix + route.path).toBeDefined()
        expect(Object.keys(item).sort()).toEqual(route.methods.map((method) => method.toLowerCase()).sort())
      }
      if (route.ajaxOnly) expect(document.paths[`/api/2.0${route.path}`]).toBeUndefined()
    }
    expect(document.paths['/health']).toBeDefined()
    expect(document.paths['/version']).toBeDefined()
  })

  it('gives every operation a unique id, a 200 answer and the error schema', () => {
    const ids: string[] = []
    for (const item of Object.values<Json>(document.paths)) {
      for (const operation of Object.values<Json>(item)) {
        if (operation.operationId) ids.push(operation.operationId)
        expect(operation.responses['200']).toBeDefined()
      }
    }
    expect(new Set(ids).size).toBe(ids.length)
    const createRun = document.paths['/api/2.0/mlflow/runs/create'].post
    expect(createRun.responses.default.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ErrorResponse',
    })
  })

  it('puts GET fields in the query and POST fields in a JSON body', () => {
    const getRun = document.paths['/api/2.0/mlflow/runs/get'].get
    expect(getRun.requestBody).toBeUndefined()
    expect(getRun.parameters.map((p: Json) => [p.name, p.in, p.required])).toEqual([
      ['run_id', 'query', true],
      ['run_uuid', 'query', false],
    ])
    const interval = document.paths['/api/2.0/mlflow/metrics/get-history-bulk-interval'].get
    const runIds = interval.parameters.find((p: Json) => p.name === 'run_ids')
    expect(runIds).toMatchObject({ in: 'query', required: true, style: 'form', explode: true })
    expect(runIds.schema.type).toBe('array')

    const logMetric = document.paths['/api/2.0/mlflow/runs/log-metric'].post
    expect(logMetric.parameters).toBeUndefined()
    const body = logMetric.requestBody.content['application/json'].schema
    const schema = document.components.schemas[body.$ref.split('/').pop()]
    expect(schema.required).toEqual(['run_id', 'key', 'value', 'timestamp'])
    expect(schema.properties.timestamp.anyOf.map((s: Json) => s.type)).toEqual(['integer', 'string'])
  })

  it('resolves every $ref to a component', () => {
    const refs = new Set<string>()
    collectRefs(document, refs)
    expect(refs.size).toBeGreaterThan(10)
    for (const ref of refs) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true)
      expect(document.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined()
    }
    expect(JSON.stringify(document)).not.toContain('$defs')
    expect(JSON.stringify(document)).not.toContain('"$schema"')
  })

  it('describes metric values as numbers or the non-finite strings', () => {
    const metric = document.components.schemas.Metric
    expect(metric.properties.value.anyOf).toEqual([
      { type: 'number' },
      { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] },
    ])
  })
})
