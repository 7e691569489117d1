import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ScoringServer, startScoringServer } from './scoring-server.js'
import { writeCrashingModel, writeSumModel } from './test-support/js-models.js'

const ONNX_MODEL = fileURLToPath(
  new URL('../../models/src/flavors/onnx/__fixtures__/mlflow-iris-mlp', import.meta.url),
)

/** Numbers equal to 1e-6, recursively through arrays and objects. */
function closeTo(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'number') return typeof actual === 'number' && Math.abs(actual - expected) <= 1e-6
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((value, index) => closeTo(actual[index], value))
    )
  }
  if (expected && typeof expected === 'object') {
    const entries = Object.entries(expected)
    return (
      !!actual &&
      typeof actual === 'object' &&
      Object.keys(actual).length === entries.length &&
      entries.every(([key, value]) => closeTo((actual as Record<string, unknown>)[key], value))
    )
  }
  return actual === expected
}

let root: string
let server: ScoringServer
let tensorServer: ScoringServer

const split = (rows: unknown[][], columns = ['a', 'b']) =>
  JSON.stringify({ dataframe_split: { columns, data: rows } })

async function invoke(
  url: string,
  body: string | Blob,
  contentType = 'application/json',
): Promise<{ status: number; contentType: string | null; text: string; json: () => unknown }> {
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body,
  })
  const text = await response.text()
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    json: () => JSON.parse(text),
  }
}

async function expectStillServing(url: string): Promise<void> {
  const answer = await invoke(url, split([[1, 2]]))
  expect(answer.status).toBe(200)
  expect(answer.json()).toEqual({ predictions: [{ sum: 3, thread: expect.any(Number) }] })
}

/** The value of one series of the Prometheus text. */
function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : Number.NaN
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cairn-serving-test-'))
  const modelDir = await writeSumModel(path.join(root, 'sum'))
  const tensorDir = await writeSumModel(path.join(root, 'tensor'), { signature: 'tensor' })
  const silent = () => {}
  server = await startScoringServer({
    modelDir,
    port: 0,
    maxRequestBytes: 4096,
    maxBatchWaitMs: 0,
    log: silent,
  })
  tensorServer = await startScoringServer({ modelDir: tensorDir, port: 0, log: silent })
})

afterAll(async () => {
  await server?.close()
  await tensorServer?.close()
  if (root) await rm(root, { recursive: true, force: true })
})

describe('scoring server routes', () => {
  it('answers /ping and /health with 200 and a newline', async () => {
    for (const route of ['/ping', '/health']) {
      const response = await fetch(`${server.url}${route}`)
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('\n')
    }
  })

  it('answers /version with the version text', async () => {
    const response = await fetch(`${server.url}/version`)
    expect(response.status).toBe(200)
    expect(await response.text()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('answers /metrics in the Prometheus text format with the model info', async () => {
    await fetch(`${server.url}/ping`)
    const response = await fetch(`${server.url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toContain('# TYPE cairn_scoring_request_duration_seconds histogram')
    expect(text).toMatch(/cairn_scoring_requests_total\{route="ping",status="200"\} \d+/)
    expect(text).toMatch(/cairn_scoring_model_info\{[^}]*flavor="js"[^}]*\} 1/)
  })

  it('answers other methods on /invocations with 405 and an Allow header', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(`${server.url}/invocations`, { method })
      expect(response.status, method).toBe(405)
      expect(response.headers.get('allow')).toBe('POST')
      expect(await response.json()).toMatchObject({ error_code: 'BAD_REQUEST' })
    }
    const head = await fetch(`${server.url}/invocations`, { method: 'HEAD' })
    expect(head.status).toBe(405)
    expect(head.headers.get('allow')).toBe('POST')
  })

  it('answers methods other than GET and HEAD on the GET routes with 405, as MLflow', async () => {
    for (const target of ['/ping', '/health', '/version', '/metrics']) {
      const response = await fetch(`${server.url}${target}`, { method: 'POST', body: '{}' })
      expect(response.status, target).toBe(405)
      expect(response.headers.get('allow')).toBe('GET, HEAD')
      expect(await response.json()).toMatchObject({ error_code: 'BAD_REQUEST' })
      const head = await fetch(`${server.url}${target}`, { method: 'HEAD' })
      expect(head.status, target).toBe(200)
    }
  })

  it('closes the connection after answering a request whose body was not read', async () => {
    for (const target of ['/nope', '/ping', '/invocations']) {
      const method = target === '/invocations' ? 'PUT' : 'POST'
      const socket = net.connect(server.port, '127.0.0.1')
      let received = ''
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString()
      })
      const ended = new Promise<boolean>((resolve) => {
        socket.once('end', () => resolve(true))
        setTimeout(() => resolve(false), 1_000)
      })
      socket.write(
        `${method} ${target} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      )
      // A body that never ends: the server must not hold the socket open to read it after answering.
      const timer = setInterval(() => socket.write('1\r\n \r\n'), 20)
      const closedByServer = await ended
      clearInterval(timer)
      socket.destroy()
      expect(received, target).toMatch(/^HTTP\/1\.1 (200|404|405) /)
      expect(closedByServer, target).toBe(true)
    }
    await expectStillServing(server.url)
  })

  it('answers an unknown route with 404 in MLflow error shape', async () => {
    const response = await fetch(`${server.url}/nope`)
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' })
  })
})

describe('POST /invocations', () => {
  it('predicts dataframe_split, dataframe_records, instances, inputs and CSV', async () => {
    const expected = {
      predictions: [
        { sum: 3, thread: 0 },
        { sum: 7, thread: 0 },
      ],
    }
    const bodies: [string, string][] = [
      [
        split([
          [1, 2],
          [3, 4],
        ]),
        'application/json',
      ],
      [
        JSON.stringify({
          dataframe_records: [
            { a: 1, b: 2 },
            { a: 3, b: 4 },
          ],
        }),
        'application/json',
      ],
      [
        JSON.stringify({
          instances: [
            { a: 1, b: 2 },
            { a: 3, b: 4 },
          ],
        }),
        'application/json; charset=utf-8',
      ],
      [JSON.stringify({ inputs: { a: [1, 3], b: [2, 4] } }), 'application/json'],
      ['a,b\n1,2\n3,4\n', 'text/csv'],
    ]
    for (const [body, contentType] of bodies) {
      const answer = await invoke(server.url, body, contentType)
      expect(answer.status, `${contentType} ${body}`).toBe(200)
      expect(answer.contentType).toBe('application/json')
      expect(answer.json()).toEqual(expected)
    }
  })

  it('answers 415 text/plain for a wrong content type, as MLflow, and keeps serving', async () => {
    for (const contentType of ['text/plain', 'application/xml', 'application/json; charset=latin-1']) {
      const answer = await invoke(server.url, split([[1, 2]]), contentType)
      expect(answer.status, contentType).toBe(415)
      expect(answer.contentType).toContain('text/plain')
    }
    await expectStillServing(server.url)
  })

  it.each([
    ['malformed JSON', '{"dataframe_split": {'],
    ['a JSON list', '[1, 2, 3]'],
    ['no input field', '{"rows": [[1, 2]]}'],
    ['two input fields', `{"instances": [], "inputs": []}`],
    ['a missing column', split([[1]], ['a'])],
    ['a wrong column type', split([['x', 2]])],
  ])('answers 400 in MLflow error shape for %s, then keeps serving', async (_, body) => {
    const answer = await invoke(server.url, body)
    expect(answer.status).toBe(400)
    expect(answer.json()).toMatchObject({
      error_code: expect.stringMatching(/^(BAD_REQUEST|INVALID_PARAMETER_VALUE)$/),
    })
    expect(typeof (answer.json() as { message: unknown }).message).toBe('string')
    await expectStillServing(server.url)
  })

  it('answers 400 for malformed CSV and for bytes that are not UTF-8', async () => {
    const csv = await invoke(server.url, 'a,b\n1,2,3,4\n"unterminated', 'text/csv')
    expect(csv.status).toBe(400)
    expect(csv.json()).toMatchObject({ error_code: expect.any(String), message: expect.any(String) })
    const bytes = await invoke(server.url, new Blob([new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]))
    expect(bytes.status).toBe(400)
    expect(bytes.json()).toMatchObject({ error_code: 'BAD_REQUEST' })
    await expectStillServing(server.url)
  })

  it('answers 400 (not 500) when the model itself fails, as MLflow', async () => {
    const answer = await invoke(server.url, split([[13, 1]]))
    expect(answer.status).toBe(400)
    expect(answer.json()).toMatchObject({
      error_code: 'BAD_REQUEST',
      message: expect.stringContaining('unlucky'),
    })
    await expectStillServing(server.url)
  })

  it('answers 400 for tensors of the wrong shape', async () => {
    const good = await invoke(
      tensorServer.url,
      JSON.stringify({
        inputs: [
          [1, 2],
          [3, 4],
        ],
      }),
    )
    expect(good.status).toBe(200)
    expect(good.json()).toEqual({
      predictions: [
        [1, 2],
        [3, 4],
      ],
    })
    for (const inputs of [[[1, 2, 3]], [1, 2], [[[1, 2]]]]) {
      const answer = await invoke(tensorServer.url, JSON.stringify({ inputs }))
      expect(answer.status, JSON.stringify(inputs)).toBe(400)
      expect(answer.json()).toMatchObject({ error_code: expect.any(String), message: expect.any(String) })
    }
    const again = await invoke(tensorServer.url, JSON.stringify({ inputs: [[5, 6]] }))
    expect(again.status).toBe(200)
  })

  it('answers 413 for a body over the limit, declared or chunked, without reading it all', async () => {
    const big = split(Array.from({ length: 1000 }, () => [1, 2]))
    const declared = await invoke(server.url, big)
    expect(declared.status).toBe(413)
    expect(declared.json()).toMatchObject({
      error_code: 'REQUEST_LIMIT_EXCEEDED',
      message: expect.stringContaining('4096 bytes'),
    })
    // A chunked upload that never ends: the answer must come before the body does.
    const url = new URL(`${server.url}/invocations`)
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
        },
        (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
          request.destroy()
        },
      )
      request.on('error', (error) => (request.destroyed ? undefined : reject(error)))
      request.write('{"dataframe_split": {"columns": ["a", "b"], "data": [')
      const chunk = '[1, 2], '.repeat(200)
      const timer = setInterval(() => {
        if (!request.destroyed) request.write(chunk)
        else clearInterval(timer)
      }, 5)
    })
    expect(status).toBe(413)
    await expectStillServing(server.url)
  })
  it('answers 503 when slow uploads would hold more than four times --max-request-bytes, and frees it after', async () => {
    // Each upload declares 4,000 bytes (under the 4,096 limit) and sends 3,500, then stalls: four fit in the
    // 16,384-byte budget, the fifth does not.
    const upload = () => {
      const socket = net.connect(server.port, '127.0.0.1')
      let received = ''
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString()
      })
      socket.on('error', () => {})
      socket.write(
        'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n',
      )
      socket.write('x'.repeat(3_500))
      return { socket, answer: () => received }
    }
    const stalled = [upload(), upload(), upload(), upload()]
    await new Promise((resolve) => setTimeout(resolve, 200))
    const fifth = upload()
    const deadline = Date.now() + 5_000
    while (!fifth.answer().includes('\r\n\r\n') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    expect(fifth.answer()).toMatch(/^HTTP\/1\.1 503 /)
    expect(fifth.answer()).toContain('"error_code":"TEMPORARILY_UNAVAILABLE"')
    for (const { answer } of stalled) expect(answer()).toBe('')
    for (const { socket } of [...stalled, fifth]) socket.destroy()
    await new Promise((resolve) => setTimeout(resolve, 200))
    // The budget is given back: five more stalled uploads of the same size would again be refused only at the fifth.
    const again = [upload(), upload(), upload(), upload()]
    await new Promise((resolve) => setTimeout(resolve, 200))
    for (const { answer } of again) expect(answer()).toBe('')
    for (const { socket } of again) socket.destroy()
    await expectStillServing(server.url)
  })
})

describe('worker threads', () => {
  it('answers 503 TEMPORARILY_UNAVAILABLE, not 400, while no model worker is running', async () => {
    const dir = await writeCrashingModel(path.join(root, 'crashing'))
    const crashing = await startScoringServer({ modelDir: dir, port: 0, workers: 1, log: () => {} })
    try {
      expect((await invoke(crashing.url, split([[1, 0]]))).status).toBe(200)
      await writeFile(path.join(dir, 'js', 'broken'), '')
      // The worker's thread ends under this request: the model failed on it.
      expect((await invoke(crashing.url, split([[99, 0]]))).status).toBe(400)
      const loads = async () => (await readFile(path.join(dir, 'js', 'loads'), 'utf8')).split('\n').length - 1
      const deadline = Date.now() + 5_000
      while ((await loads()) < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10))
      // The replacement could not load; until it is retried, nothing can predict.
      await new Promise((resolve) => setTimeout(resolve, 50))
      const answer = await invoke(crashing.url, split([[1, 0]]))
      expect(answer.status).toBe(503)
      expect(answer.json()).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' })
    } finally {
      await crashing.close()
    }
  })
})

describe('micro-batching', () => {
  it('merges concurrent requests into one prediction with the same answers as alone', async () => {
    const dir = await writeSumModel(path.join(root, 'merging'))
    const merging = await startScoringServer({ modelDir: dir, port: 0, maxBatchWaitMs: 10, log: () => {} })
    try {
      const rows = Array.from({ length: 24 }, (_, index) => [index + 100, index * 10])
      const alone = []
      for (const row of rows) alone.push((await invoke(server.url, split([row]))).json())
      const together = await Promise.all(rows.map((row) => invoke(merging.url, split([row]))))
      expect(together.map((answer) => answer.status)).toEqual(rows.map(() => 200))
      expect(together.map((answer) => answer.json())).toEqual(alone)
      const text = await (await fetch(`${merging.url}/metrics`)).text()
      // 24 requests answered by fewer predictions than requests.
      expect(metricValue(text, 'cairn_scoring_batch_requests_sum')).toBe(24)
      expect(metricValue(text, 'cairn_scoring_batch_requests_count')).toBeLessThan(24)
      expect(metricValue(text, 'cairn_scoring_batch_requests_bucket{le="1"}')).toBeLessThan(24)
    } finally {
      await merging.close()
    }
  })

  it('fails only the bad request of a batch', async () => {
    const dir = await writeSumModel(path.join(root, 'falling-back'))
    const batching = await startScoringServer({ modelDir: dir, port: 0, maxBatchWaitMs: 20, log: () => {} })
    try {
      const bodies = [split([[1, 1]]), split([[13, 1]]), split([[2, 2]]), split([['x', 1]]), split([[3, 3]])]
      const answers = await Promise.all(bodies.map((body) => invoke(batching.url, body)))
      expect(answers.map((answer) => answer.status)).toEqual([200, 400, 200, 400, 200])
      expect(answers[2]!.json()).toEqual({ predictions: [{ sum: 4, thread: 0 }] })
      expect(answers[1]!.json()).toMatchObject({
        error_code: 'BAD_REQUEST',
        message: expect.stringContaining('unlucky'),
      })
      const text = batching.metrics.render()
      expect(metricValue(text, 'cairn_scoring_batch_fallbacks_total')).toBeGreaterThan(0)
    } finally {
      await batching.close()
    }
  })

  it.each([0, 2])(
    'batches ONNX tensor requests (worker threads: %i) with the answers of unbatched ones',
    async (workers) => {
      const onnx = await startScoringServer({
        modelDir: ONNX_MODEL,
        port: 0,
        maxBatchWaitMs: 10,
        workers,
        log: () => {},
      })
      try {
        const rows = Array.from({ length: 12 }, (_, index) => [
          4 + index * 0.3,
          3 - index * 0.1,
          1 + index * 0.4,
          0.2 + index * 0.15,
        ])
        const alone: unknown[] = []
        for (const row of rows) alone.push((await invoke(onnx.url, JSON.stringify({ inputs: [row] }))).json())
        const together = await Promise.all(
          rows.map((row) => invoke(onnx.url, JSON.stringify({ inputs: [row] }))),
        )
        expect(together.map((answer) => answer.status)).toEqual(rows.map(() => 200))
        together.forEach((answer, index) => {
          const got = answer.json() as { predictions: Record<string, unknown[]> }
          const want = alone[index] as { predictions: Record<string, unknown[]> }
          expect(Object.keys(got.predictions).sort()).toEqual(Object.keys(want.predictions).sort())
          for (const [name, values] of Object.entries(want.predictions)) {
            expect(got.predictions[name]).toHaveLength(1)
            expect(closeTo(got.predictions[name]![0], values[0])).toBe(true)
          }
        })
        const text = onnx.metrics.render()
        expect(metricValue(text, 'cairn_scoring_batch_requests_count')).toBeLessThan(24)
        expect(
          metricValue(
            text,
            'cairn_scoring_model_info{uri="' +
              ONNX_MODEL +
              `",name="",version="",flavor="onnx",model_uuid="dfc580accea840e88cc1d9793b064450",worker_threads="${workers}"}`,
          ),
        ).toBe(1)
      } finally {
        await onnx.close()
      }
    },
  )

  it('waits up to --max-batch-wait-ms to fill a batch', async () => {
    const dir = await writeSumModel(path.join(root, 'waiting'))
    const waiting = await startScoringServer({
      modelDir: dir,
      port: 0,
      maxBatchWaitMs: 50,
      maxBatchSize: 4,
      log: () => {},
    })
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, index) => invoke(waiting.url, split([[index, 1]]))),
      )
      expect(
        answers.map((answer) => (answer.json() as { predictions: { sum: number }[] }).predictions[0]!.sum),
      ).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      const text = waiting.metrics.render()
      // Batches never exceed 4 rows; 8 one-row requests fill two of them.
      expect(metricValue(text, 'cairn_scoring_batch_rows_bucket{le="4"}')).toBe(
        metricValue(text, 'cairn_scoring_batch_rows_count'),
      )
      expect(metricValue(text, 'cairn_scoring_batch_rows_count')).toBeLessThanOrEqual(4)
    } finally {
      await waiting.close()
    }
  })
})

describe('timeouts and shutdown', () => {
  it('answers 504 when a request takes longer than the time limit', async () => {
    const dir = await writeSumModel(path.join(root, 'slow'))
    const slow = await startScoringServer({ modelDir: dir, port: 0, requestTimeoutMs: 200, log: () => {} })
    try {
      const answer = await invoke(slow.url, split([[1, 2, 1000]], ['a', 'b', 'sleep_ms']))
      expect(answer.status).toBe(504)
      expect(answer.json()).toMatchObject({ error_code: 'DEADLINE_EXCEEDED' })
      const fast = await invoke(slow.url, split([[1, 2, 0]], ['a', 'b', 'sleep_ms']))
      expect(fast.status).toBe(200)
    } finally {
      await slow.close()
    }
  })

  it('closes the model only after a request that timed out has finished predicting', async () => {
    const dir = await writeSumModel(path.join(root, 'timed-out-close'))
    const slow = await startScoringServer({ modelDir: dir, port: 0, requestTimeoutMs: 100, log: () => {} })
    const answer = await invoke(slow.url, split([[1, 2, 500]], ['a', 'b', 'sleep_ms']))
    expect(answer.status).toBe(504)
    await slow.close()
    expect(existsSync(path.join(dir, 'js', 'closed-while-predicting'))).toBe(false)
  })

  it('answers requests in flight during shutdown with Connection: close', async () => {
    const dir = await writeSumModel(path.join(root, 'keep-alive'))
    const draining = await startScoringServer({ modelDir: dir, port: 0, log: () => {} })
    const body = split([[1, 2, 300]], ['a', 'b', 'sleep_ms'])
    const socket = net.connect(draining.port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString()
    })
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(
      `POST /invocations HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
    await draining.close()
    await ended
    expect(received).toMatch(/^HTTP\/1\.1 200 /)
    expect(received.toLowerCase()).toContain('connection: close')
    expect(received).toContain('{"predictions":[{"sum":3,"thread":0}]}')
  })

  it('finishes a request in flight before closing, and then refuses connections', async () => {
    const dir = await writeSumModel(path.join(root, 'draining'))
    const draining = await startScoringServer({ modelDir: dir, port: 0, log: () => {} })
    const inFlight = invoke(draining.url, split([[1, 2, 400]], ['a', 'b', 'sleep_ms']))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closed = draining.close()
    const answer = await inFlight
    expect(answer.status).toBe(200)
    expect(answer.json()).toEqual({ predictions: [{ sum: 3, thread: 0 }] })
    await closed
    await expect(fetch(`${draining.url}/ping`)).rejects.toThrow()
  })
})
