import { expect, it } from 'vitest'
import { createApp } from '../app.js'
import { apiClient } from '../test-support/api-client.js'
import { describeEachStore } from '../test-support/store-fixtures.js'
import {
  AJAX,
  API,
  createExperiment,
  createRun,
  expectError,
  expectOk,
  getRun,
} from '../test-support/test-data.js'

const JSON_TYPE = { 'content-type': 'application/json' }

describeEachStore('wire rules', (context) => {
  it('answers /health, /version and the OpenAPI document', async () => {
    const { api } = context
    const health = await api.get('/health')
    expect([health.status, health.text]).toEqual([200, 'OK'])
    expect(health.headers.get('x-content-type-options')).toBe('nosniff')
    expect(health.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    const version = await api.get('/version')
    expect(version.status).toBe(200)
    expect(version.text).toMatch(/^\d+\.\d+\.\d+$/)
    const openapi = await api.get('/api/openapi.json')
    expectOk(openapi)
    expect(openapi.body.openapi).toBe('3.1.0')
  })

  it('answers unknown API paths with 404 ENDPOINT_NOT_FOUND and wrong methods with 405', async () => {
    const { api } = context
    for (const path of [`${API}/no-such-endpoint`, `${AJAX}/runs/nope`, '/api/2.0/mlflow', '/nothing-here']) {
      expectError(await api.get(path), 404, 'ENDPOINT_NOT_FOUND')
    }
    expectError(await api.post(`${API}/no-such-endpoint`, {}), 404, 'ENDPOINT_NOT_FOUND')
    const wrongMethod = await api.get(`${API}/runs/create`)
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('POST')
    const wrongPost = await api.post(`${API}/runs/get`, {})
    expect(wrongPost.status).toBe(405)
    expect((await api.send('DELETE', `${API}/experiments/search`)).headers.get('allow')).toBe('GET, POST')
  })

  it('requires Content-Type: application/json on POST, with MLflow’s messages', async () => {
    const { api } = context
    const body = JSON.stringify({ name: 'content-type-test' })
    // A string body would get a default text/plain type; bytes go without one.
    const missing = await context.app.request(`${API}/experiments/create`, {
      method: 'POST',
      body: new TextEncoder().encode(body),
    })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Bad Request. Content-Type header is missing.',
    })
    const text = await api.post(`${API}/experiments/create`, undefined, {
      rawBody: body,
      headers: { 'content-type': 'text/plain' },
    })
    expect(expectError(text, 400, 'INVALID_PARAMETER_VALUE')).toBe(
      "Bad Request. Content-Type must be one of ['application/json'].",
    )
    const withCharset = await api.post(`${API}/experiments/search`, undefined, {
      rawBody: '{}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    })
    expectOk(withCharset)
  })

  it('answers malformed JSON and non-object bodies with 400, never 500', async () => {
    const { api } = context
    for (const rawBody of [
      '{bad',
      '{"name": ',
      '[1, 2]',
      '42',
      'true',
      '"{not json"',
      '\u0000',
      '{"a": 1}}',
    ]) {
      const response = await api.post(`${API}/experiments/create`, undefined, { rawBody, headers: JSON_TYPE })
      expectError(response, 400, 'INVALID_PARAMETER_VALUE')
    }
    const empty = await api.post(`${API}/experiments/search`, undefined, { rawBody: '', headers: JSON_TYPE })
    expectOk(empty)
    const nullBody = await api.post(`${API}/experiments/search`, undefined, {
      rawBody: 'null',
      headers: JSON_TYPE,
    })
    expectOk(nullBody)
  })

  it('decodes a JSON string body twice, ignores unknown fields and treats null as absent', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const doubleEncoded = await api.post(`${API}/runs/create`, undefined, {
      rawBody: JSON.stringify(JSON.stringify({ experiment_id: experimentId, run_name: 'twice' })),
      headers: JSON_TYPE,
    })
    expectOk(doubleEncoded)
    expect(doubleEncoded.body.run.info.run_name).toBe('twice')

    const extra = await api.post(`${API}/runs/create`, {
      experiment_id: experimentId,
      run_name: 'extra',
      no_such_field: { deeply: ['nested'] },
      tags: [{ key: 'k', value: 'v', unknown: 1 }],
    })
    expectOk(extra)
    const runId = extra.body.run.info.run_id

    const nulls = await api.post(`${API}/runs/log-metric`, {
      run_id: runId,
      key: 'm',
      value: 1,
      timestamp: 5,
      step: null,
      model_id: null,
    })
    expectOk(nulls)
    const run = await getRun(api, runId)
    expect(run.data.metrics).toEqual([{ key: 'm', value: 1, timestamp: 5, step: 0 }])
  })

  it('accepts the bare NaN and Infinity tokens Python’s json module writes', async () => {
    const { api } = context
    const runId = (await createRun(api, await createExperiment(api))).info.run_id
    const response = await api.post(`${API}/runs/log-batch`, undefined, {
      rawBody: `{"run_id": "${runId}", "metrics": [{"key": "bare-nan", "value": NaN, "timestamp": 1}, {"key": "NaN text", "value": -Infinity, "timestamp": 1}]}`,
      headers: JSON_TYPE,
    })
    expectOk(response)
    const metrics = Object.fromEntries(
      (await getRun(api, runId)).data.metrics.map((m: { key: string; value: unknown }) => [m.key, m.value]),
    )
    expect(metrics['bare-nan']).toBe('NaN')
    expect(
      metrics['NaN text'] === '-Infinity' || (metrics['NaN text'] as number) <= -1.7976931348623157e308,
    ).toBe(true)
  })

  it('reads GET fields from the query string: repeated keys for lists, first value otherwise', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const twice = await api.get(`${API}/experiments/get`, { experiment_id: [experimentId, '987654321'] })
    expectOk(twice)
    expect(twice.body.experiment.experiment_id).toBe(experimentId)
    const runs = [
      (await createRun(api, experimentId)).info.run_id,
      (await createRun(api, experimentId)).info.run_id,
    ]
    for (const runId of runs) {
      expectOk(await api.post(`${API}/runs/log-metric`, { run_id: runId, key: 'q', value: 1, timestamp: 1 }))
    }
    const single = await api.get(`${API}/metrics/get-history-bulk-interval`, {
      run_ids: runs[0]!,
      metric_key: 'q',
    })
    expectOk(single)
    expect(single.body.metrics).toHaveLength(1)
    const both = await api.get(`${API}/metrics/get-history-bulk-interval`, { run_ids: runs, metric_key: 'q' })
    expect(both.body.metrics).toHaveLength(2)
    const ignored = await api.get(`${API}/experiments/get`, { experiment_id: experimentId, unknown: 'x' })
    expectOk(ignored)
  })

  it('refuses NUL characters in strings, which PostgreSQL cannot store', async () => {
    const { api } = context
    const body = await api.post(`${API}/experiments/create`, { name: 'with\u0000nul' })
    expect(expectError(body, 400, 'INVALID_PARAMETER_VALUE')).toBe(
      "Invalid value for parameter 'name': strings may not contain NUL characters (\\u0000).",
    )
    const nested = await api.post(`${API}/runs/create`, { tags: [{ key: 'k', value: 'a\u0000' }] })
    expect(expectError(nested, 400, 'INVALID_PARAMETER_VALUE')).toContain("'tags[0].value'")
    const query = await api.get(`${API}/experiments/get-by-name`, { experiment_name: 'a\u0000b' })
    expect(expectError(query, 400, 'INVALID_PARAMETER_VALUE')).toContain("'experiment_name'")
    const escapedBackslash = await api.post(`${API}/experiments/search`, { filter: "name = '\\u0000'" })
    expectOk(escapedBackslash)
  })

  it('refuses bodies over the general limit with a clear 400', async () => {
    const small = createApp({ store: context.store, maxRequestBytes: 1024 })
    const response = await apiClient(small).post(`${API}/experiments/create`, { name: 'x'.repeat(2000) })
    expect(expectError(response, 400, 'INVALID_PARAMETER_VALUE')).toMatch(
      /^Request body of \d+ bytes exceeds the limit of 1024 bytes for this endpoint\.$/,
    )
  })

  it('answers unexpected failures with INTERNAL_ERROR 500 and logs them', async () => {
    const logged: unknown[] = []
    const failing = new Proxy(context.store, {
      get(target, property, receiver) {
        if (property === 'getExperiment') {
          return async () => {
            throw new Error('database went away')
          }
        }
        return Reflect.get(target, property, receiver)
      },
    })
    const app = createApp({ store: failing, logger: { error: (_message, error) => logged.push(error) } })
    const response = await apiClient(app).get(`${API}/experiments/get`, { experiment_id: '0' })
    expect(expectError(response, 500, 'INTERNAL_ERROR')).not.toContain('database went away')
    expect(logged).toHaveLength(1)
  })

  it('encodes int64 as JSON numbers and leaves unset fields out', async () => {
    const { api } = context
    const run = await createRun(api, await createExperiment(api), { start_time: 456 })
    expect(run.info.start_time).toBe(456)
    expect(run.info).not.toHaveProperty('end_time')
    expect(run.data).toEqual({ tags: [{ key: 'mlflow.runName', value: run.info.run_name }] })
    const deleted = await api.post(`${API}/runs/delete`, { run_id: run.info.run_id })
    expect(deleted.text).toBe('{}')
  })
})
