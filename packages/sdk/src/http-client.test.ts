import { createServer } from 'node:net'
import { MlflowError } from '@cairn/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CairnClient } from './cairn-client.js'
import { parseRetryAfter } from './http-client.js'
import { startLoopbackServer } from './test-support/loopback-server.js'

const FAST_RETRIES = { maxRetries: 3, initialDelayMs: 10, maxDelayMs: 20 }
const RUN = {
  run: {
    info: { run_id: 'r1', experiment_id: '0', status: 'RUNNING', start_time: 1, lifecycle_stage: 'active' },
    data: {},
  },
}

let closeServer: (() => Promise<void>) | undefined
afterEach(async () => {
  await closeServer?.()
  closeServer = undefined
  vi.unstubAllEnvs()
})

async function loopback(script: Parameters<typeof startLoopbackServer>[0]) {
  const server = await startLoopbackServer(script)
  closeServer = server.close
  return server
}

async function caught(promise: Promise<unknown>): Promise<MlflowError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(MlflowError)
  return error as MlflowError
}

describe('retries', () => {
  it('retries a 503 and answers the following 200', async () => {
    const server = await loopback([
      { status: 503, body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' } },
      { status: 200, body: RUN },
    ])
    const client = new CairnClient({ trackingUri: server.url, retries: FAST_RETRIES })
    const run = await client.getRun('r1')
    expect(run.info.runId).toBe('r1')
    expect(server.seen).toHaveLength(2)
  })

  it('retries 429 and 500 answers until one succeeds', async () => {
    const server = await loopback([
      { status: 429, body: { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' } },
      { status: 500, body: 'Internal Server Error' },
      { status: 200, body: { experiment_id: '7' } },
    ])
    const client = new CairnClient({ trackingUri: server.url, retries: FAST_RETRIES })
    expect(await client.createExperiment({ name: 'x' })).toBe('7')
    expect(server.seen).toHaveLength(3)
  })

  it('waits as long as Retry-After asks', async () => {
    const server = await loopback([
      {
        status: 429,
        body: { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'wait' },
        headers: { 'Retry-After': '1' },
      },
      { status: 200, body: RUN },
    ])
    const client = new CairnClient({ trackingUri: server.url, retries: FAST_RETRIES })
    await client.getRun('r1')
    const [first, second] = server.seen
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
  })

  it('gives up after maxRetries and reports the last error code', async () => {
    const server = await loopback([
      { status: 503, body: { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'down' } },
    ])
    const client = new CairnClient({ trackingUri: server.url, retries: FAST_RETRIES })
    const error = await caught(client.getRun('r1'))
    expect(error.code).toBe('TEMPORARILY_UNAVAILABLE')
    expect(error.message).toBe('down')
    expect(server.seen).toHaveLength(4)
  })

  it('does not retry 501, 4xx or INVALID_STATE answers', async () => {
    const server = await loopback([{ status: 501, body: { error_code: 'NOT_IMPLEMENTED', message: 'no' } }])
    const client = new CairnClient({ trackingUri: server.url, retries: FAST_RETRIES })
    expect((await caught(client.getRun('r1'))).code).toBe('NOT_IMPLEMENTED')
    expect(server.seen).toHaveLength(1)
    await server.close()

    const invalidState = await loopback([
      { status: 500, body: { error_code: 'INVALID_STATE', message: 'deleted' } },
    ])
    const client2 = new CairnClient({ trackingUri: invalidState.url, retries: FAST_RETRIES })
    expect((await caught(client2.updateExperiment({ experimentId: '1', newName: 'b' }))).code).toBe(
      'INVALID_STATE',
    )
    expect(invalidState.seen).toHaveLength(1)
    await invalidState.close()

    const notFound = await loopback([
      { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'gone' } },
    ])
    const client3 = new CairnClient({ trackingUri: notFound.url, retries: FAST_RETRIES })
    expect((await caught(client3.getRun('r1'))).code).toBe('RESOURCE_DOES_NOT_EXIST')
    expect(notFound.seen).toHaveLength(1)
  })

  it('retries network errors and then reports TEMPORARILY_UNAVAILABLE', async () => {
    const port = await freePort()
    const client = new CairnClient({ trackingUri: `http://127.0.0.1:${port}`, retries: FAST_RETRIES })
    const error = await caught(client.getRun('r1'))
    expect(error.code).toBe('TEMPORARILY_UNAVAILABLE')
    expect(error.message).toContain('after 4 attempts')
  })

  it('reports DEADLINE_EXCEEDED when every attempt times out', async () => {
    const server = await loopback([{ status: 200, body: RUN, delayMs: 500 }])
    const client = new CairnClient({
      trackingUri: server.url,
      timeoutMs: 50,
      retries: { maxRetries: 1, initialDelayMs: 1 },
    })
    const error = await caught(client.getRun('r1'))
    expect(error.code).toBe('DEADLINE_EXCEEDED')
    expect(server.seen).toHaveLength(2)
  })
})

describe('error mapping', () => {
  it('maps bodies without an error_code by HTTP status', async () => {
    const server = await loopback([{ status: 404, body: '<html>Not Found</html>' }])
    const client = new CairnClient({ trackingUri: server.url, retries: { maxRetries: 0 } })
    const error = await caught(client.getRun('r1'))
    expect(error.code).toBe('ENDPOINT_NOT_FOUND')
    expect(error.message).toContain('404')
  })

  it('keeps the server message of MLflow error bodies', async () => {
    const server = await loopback([
      {
        status: 400,
        body: {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: "Missing value for required parameter 'name'.",
        },
      },
    ])
    const client = new CairnClient({ trackingUri: server.url })
    const error = await caught(client.createExperiment({ name: '' }))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toBe("Missing value for required parameter 'name'.")
    expect(error.httpStatus).toBe(400)
  })
})

describe('requests', () => {
  it('sends a bearer token and JSON bodies', async () => {
    const server = await loopback([{ status: 200, body: { experiment_id: '1' } }])
    const client = new CairnClient({ trackingUri: `${server.url}/`, token: 'secret' })
    await client.createExperiment({ name: 'n', tags: { team: 'a' } })
    const [request] = server.seen
    expect(request!.url).toBe('/api/2.0/mlflow/experiments/create')
    expect(request!.headers.authorization).toBe('Bearer secret')
    expect(request!.headers['content-type']).toBe('application/json')
    expect(JSON.parse(request!.body)).toEqual({ name: 'n', tags: [{ key: 'team', value: 'a' }] })
  })

  it('sends basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD and the URI from MLFLOW_TRACKING_URI', async () => {
    const server = await loopback([{ status: 200, body: RUN }])
    vi.stubEnv('CAIRN_TRACKING_URI', '')
    vi.stubEnv('MLFLOW_TRACKING_URI', server.url)
    vi.stubEnv('CAIRN_TRACKING_TOKEN', '')
    vi.stubEnv('MLFLOW_TRACKING_TOKEN', '')
    vi.stubEnv('MLFLOW_TRACKING_USERNAME', 'ada')
    vi.stubEnv('MLFLOW_TRACKING_PASSWORD', 'pässword')
    const client = new CairnClient()
    expect(client.trackingUri).toBe(server.url)
    await client.getRun('r1')
    const expected = `Basic ${Buffer.from('ada:pässword', 'utf8').toString('base64')}`
    expect(server.seen[0]!.headers.authorization).toBe(expected)
  })

  it('prefers CAIRN_TRACKING_URI and CAIRN_TRACKING_TOKEN over the MLflow variables', async () => {
    const server = await loopback([{ status: 200, body: RUN }])
    vi.stubEnv('CAIRN_TRACKING_URI', server.url)
    vi.stubEnv('MLFLOW_TRACKING_URI', 'http://127.0.0.1:1')
    vi.stubEnv('CAIRN_TRACKING_TOKEN', 'cairn-token')
    vi.stubEnv('MLFLOW_TRACKING_TOKEN', 'mlflow-token')
    await new CairnClient().getRun('r1')
    expect(server.seen[0]!.headers.authorization).toBe('Bearer cairn-token')
  })

  it('encodes repeated query fields for GET calls', async () => {
    const server = await loopback([
      { status: 200, body: { metrics: [{ key: 'm', value: 'NaN', timestamp: 1, step: 2, run_id: 'a' }] } },
    ])
    const client = new CairnClient({ trackingUri: server.url })
    const metrics = await client.getMetricHistoryBulkInterval({
      runIds: ['a', 'b'],
      metricKey: 'm',
      maxResults: 10,
    })
    expect(server.seen[0]!.url).toBe(
      '/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=a&run_ids=b&metric_key=m&max_results=10',
    )
    expect(metrics[0]!.value).toBeNaN()
    expect(metrics[0]!.runId).toBe('a')
  })

  it('refuses a tracking URI that is not http(s)', () => {
    expect(() => new CairnClient({ trackingUri: 'sqlite:///mlflow.db' })).toThrow(MlflowError)
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000)
    expect(parseRetryAfter(null)).toBeUndefined()
    expect(parseRetryAfter('soon')).toBeUndefined()
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString()
    expect(parseRetryAfter(inTenSeconds)).toBeGreaterThan(8000)
  })
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
