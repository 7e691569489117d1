import {
  MAX_BATCH_REQUEST_BYTES,
  MAX_ENTITIES_PER_BATCH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MlflowError,
} from '@cairn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CairnClient } from './cairn-client.js'
import { LogQueue } from './log-queue.js'
import { startTestServer, type TestServer, uniqueName } from './test-support/test-server.js'

interface SentBatch {
  path: string
  bytes: number
  body: {
    run_id: string
    metrics?: unknown[]
    params?: { key: string; value: string }[]
    tags?: { key: string; value: string }[]
    key?: string
  }
}

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

/** A client whose requests are recorded on their way to the real server. */
function recordingClient(): { client: CairnClient; sent: SentBatch[] } {
  const sent: SentBatch[] = []
  const recordingFetch: typeof fetch = (input, init) => {
    const url = new URL(String(input))
    if (typeof init?.body === 'string' && /log-batch|delete-tag/.test(url.pathname)) {
      sent.push({ path: url.pathname, bytes: Buffer.byteLength(init.body), body: JSON.parse(init.body) })
    }
    return fetch(input, init)
  }
  return { client: new CairnClient({ trackingUri: server.url, fetch: recordingFetch }), sent }
}

async function newRun(client: CairnClient): Promise<string> {
  const experimentId = await client.createExperiment({ name: uniqueName('queue') })
  return (await client.createRun({ experimentId })).info.runId
}

describe('LogQueue', () => {
  it('splits large amounts into batches within MLflow limits and delivers every point', async () => {
    const { client, sent } = recordingClient()
    const runId = await newRun(client)
    const queue = new LogQueue({ client, flushIntervalMs: 60_000 })
    for (let step = 0; step < 2500; step++) {
      queue.logMetric(runId, { key: 'loss', value: 1 / (step + 1), step, timestamp: 1000 + step })
    }
    for (let i = 0; i < 250; i++) queue.logParam(runId, { key: `p${i}`, value: String(i) })
    for (let i = 0; i < 250; i++) queue.setTag(runId, { key: `t${i}`, value: String(i) })
    await queue.flush()

    const batches = sent.filter((batch) => batch.path.endsWith('log-batch'))
    expect(batches.length).toBeGreaterThanOrEqual(6)
    for (const { body, bytes } of batches) {
      const metrics = body.metrics?.length ?? 0
      const params = body.params?.length ?? 0
      const tags = body.tags?.length ?? 0
      expect(metrics).toBeLessThanOrEqual(MAX_METRICS_PER_BATCH)
      expect(params).toBeLessThanOrEqual(MAX_PARAMS_TAGS_PER_BATCH)
      expect(tags).toBeLessThanOrEqual(MAX_PARAMS_TAGS_PER_BATCH)
      expect(metrics + params + tags).toBeLessThanOrEqual(MAX_ENTITIES_PER_BATCH)
      expect(bytes).toBeLessThanOrEqual(MAX_BATCH_REQUEST_BYTES)
    }

    const history = await client.getMetricHistoryAll({ runId, metricKey: 'loss' }).toArray()
    expect(history.map((point) => point.step)).toEqual(Array.from({ length: 2500 }, (_, step) => step))
    const { data } = await client.getRun(runId)
    expect(data.params).toHaveLength(250)
    expect(data.tags.filter((tag) => tag.key.startsWith('t'))).toHaveLength(250)
    expect(queue.pending).toBe(0)
  })

  it('keeps batches under 1 MB when values are long', async () => {
    const { client, sent } = recordingClient()
    const runId = await newRun(client)
    const queue = new LogQueue({ client })
    const long = 'x'.repeat(5900)
    for (let i = 0; i < 100; i++) queue.logParam(runId, { key: `long${i}`, value: `${i}${long}` })
    for (let i = 0; i < 100; i++) queue.setTag(runId, { key: `long${i}`, value: `${i}${'y'.repeat(7900)}` })
    await queue.flush()
    const batches = sent.filter((batch) => batch.path.endsWith('log-batch'))
    expect(batches.length).toBeGreaterThanOrEqual(2)
    expect(Math.max(...batches.map((batch) => batch.bytes))).toBeLessThanOrEqual(MAX_BATCH_REQUEST_BYTES)
    const { data } = await client.getRun(runId)
    expect(data.params).toHaveLength(100)
    expect(data.params.find((param) => param.key === 'long7')!.value).toBe(`7${long}`)
  })

  it('preserves the order of writes to a run: last tag value wins, deletes apply in place', async () => {
    const { client, sent } = recordingClient()
    const runId = await newRun(client)
    const queue = new LogQueue({ client })
    for (let i = 0; i < 50; i++) queue.setTag(runId, { key: 'state', value: String(i) })
    queue.setTag(runId, { key: 'temp', value: 'x' })
    queue.deleteTag(runId, 'temp')
    queue.setTag(runId, { key: 'after', value: 'y' })
    queue.deleteTag(runId, 'after')
    queue.setTag(runId, { key: 'after', value: 'z' })
    await queue.flush(runId)

    const { data } = await client.getRun(runId)
    const tags = Object.fromEntries(data.tags.map((tag) => [tag.key, tag.value]))
    expect(tags.state).toBe('49')
    expect(tags.temp).toBeUndefined()
    expect(tags.after).toBe('z')
    expect(sent.map((batch) => batch.path.split('/').at(-1))).toEqual([
      'log-batch',
      'delete-tag',
      'log-batch',
      'delete-tag',
      'log-batch',
    ])
  })

  it('sends on its own after the flush interval', async () => {
    const { client } = recordingClient()
    const runId = await newRun(client)
    const queue = new LogQueue({ client, flushIntervalMs: 50 })
    queue.logMetric(runId, { key: 'tick', value: 1, step: 0, timestamp: Date.now() })
    await expect
      .poll(async () => (await client.getRun(runId)).data.metrics.length, { timeout: 5000, interval: 50 })
      .toBe(1)
  })

  it('rejects flush with the server error of a failed batch and still delivers the other batches', async () => {
    const { client } = recordingClient()
    const runId = await newRun(client)
    const queue = new LogQueue({ client })
    const seen: MlflowError[] = []
    const watched = new LogQueue({ client, onError: (error) => seen.push(error) })
    queue.logParam(runId, { key: 'lr', value: '0.1' })
    await queue.flush()
    queue.logParam(runId, { key: 'lr', value: '0.2' })
    const error = await queue.flush().then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(MlflowError)
    expect((error as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
    // A failure is reported once.
    await expect(queue.flush()).resolves.toBeUndefined()

    watched.logParam(runId, { key: 'lr', value: '0.3' })
    watched.logMetric(runId, { key: 'later', value: 1, step: 0, timestamp: Date.now() })
    await expect(watched.flush()).rejects.toBeInstanceOf(MlflowError)
    expect(seen.map((failure) => failure.code)).toEqual(['INVALID_PARAMETER_VALUE'])
  })

  it('sends a changed param value in a batch of its own so the other writes survive', async () => {
    const { client, sent } = recordingClient()
    const runId = await newRun(client)
    const queue = new LogQueue({ client })
    queue.logParam(runId, { key: 'a', value: '1' })
    queue.logParam(runId, { key: 'a', value: '1' })
    queue.logMetric(runId, { key: 'm', value: 1, step: 0, timestamp: 1 })
    queue.logParam(runId, { key: 'a', value: '2' })
    await expect(queue.flush()).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    expect(sent).toHaveLength(2)
    expect(sent[0]!.body.params).toEqual([{ key: 'a', value: '1' }])
    const { data } = await client.getRun(runId)
    expect(data.params).toEqual([{ key: 'a', value: '1' }])
    expect(data.metrics.map((metric) => metric.key)).toEqual(['m'])
  })

  it('keeps runs apart: a flush of one run waits only for that run', async () => {
    const { client } = recordingClient()
    const first = await newRun(client)
    const second = await newRun(client)
    const queue = new LogQueue({ client, flushIntervalMs: 60_000 })
    queue.logMetric(first, { key: 'a', value: 1, step: 0, timestamp: 1 })
    queue.logMetric(second, { key: 'b', value: 2, step: 0, timestamp: 1 })
    await queue.flush(first)
    expect((await client.getRun(first)).data.metrics).toHaveLength(1)
    expect(queue.pending).toBe(1)
    await queue.flush()
    expect((await client.getRun(second)).data.metrics).toHaveLength(1)
  })
})
