// Crash safety: several clients stream runs/log-batch into a server on SQLite, the server is SIGKILLed mid-stream,
// and after a restart on the same file every batch that was answered 200 is there in full. A batch still in flight
// at the kill may be missing, but never half-written.
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type CairnProcess, sqliteUri, startCairn, tempDir } from './helpers/cairn-process.mjs'

const CLIENTS = 4
const METRICS_PER_BATCH = 40
const MAX_BATCHES_PER_CLIENT = 2000
const KILL_AFTER_ACKED_BATCHES = 300
const STREAM_TIME_LIMIT_MS = 20_000

const servers: CairnProcess[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

async function call<T>(baseUrl: string, method: 'GET' | 'POST', route: string, body?: object): Promise<T> {
  const url = new URL(`/api/2.0/mlflow/${route}`, baseUrl)
  const init: RequestInit = { method, signal: AbortSignal.timeout(15_000) }
  if (method === 'GET' && body) {
    for (const [key, value] of Object.entries(body)) url.searchParams.append(key, String(value))
  } else if (body) {
    init.headers = { 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  const response = await fetch(url, init)
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${route} → ${response.status}: ${text.slice(0, 300)}`)
  return (text ? JSON.parse(text) : {}) as T
}

interface Batch {
  client: number
  index: number
}

function batchBody(runId: string, { client, index }: Batch) {
  return {
    run_id: runId,
    metrics: Array.from({ length: METRICS_PER_BATCH }, (_, key) => ({
      key: `m${key}`,
      value: client * 1_000_000 + index * 100 + key,
      timestamp: 1_000 + index,
      step: index,
    })),
    params: [{ key: `p${index}`, value: `v${client}-${index}` }],
    tags: [{ key: `t${index}`, value: `${client}:${index}` }],
  }
}

interface RunData {
  metrics?: Array<{ key: string; value: number; step: number }>
  params?: Array<{ key: string; value: string }>
  tags?: Array<{ key: string; value: string }>
}

/** Which parts of a batch a run holds: its param, its tag, and per metric key whether its step is in the history. */
function presence(
  batch: Batch,
  params: Map<string, string>,
  tags: Map<string, string>,
  steps: Map<string, Set<number>>,
) {
  const parts = [
    params.get(`p${batch.index}`) === `v${batch.client}-${batch.index}`,
    tags.get(`t${batch.index}`) === `${batch.client}:${batch.index}`,
  ]
  for (let key = 0; key < METRICS_PER_BATCH; key++)
    parts.push(steps.get(`m${key}`)?.has(batch.index) ?? false)
  return parts
}

describe('a server killed while clients stream log-batch', () => {
  it('keeps every acknowledged batch in full and never half a batch', async () => {
    const dataDir = tempDir('cairn-crash-')
    const backendStoreUri = sqliteUri(path.join(dataDir, 'crash.db'))
    const first = await startCairn({ backendStoreUri })
    servers.push(first)

    const { experiment_id } = await call<{ experiment_id: string }>(first.url, 'POST', 'experiments/create', {
      name: `crash-${Date.now()}`,
    })
    const runIds: string[] = []
    for (let client = 0; client < CLIENTS; client++) {
      const { run } = await call<{ run: { info: { run_id: string } } }>(first.url, 'POST', 'runs/create', {
        experiment_id,
        start_time: Date.now(),
      })
      runIds.push(run.info.run_id)
    }

    const acknowledged: Batch[] = []
    const inFlight = new Map<string, Batch>()
    let killed = false
    const started = Date.now()
    let killTimer: NodeJS.Timeout | undefined

    const kill = async () => {
      if (killed) return
      killed = true
      clearTimeout(killTimer)
      await first.kill()
    }
    // Kill after enough acknowledged batches, or after a while in any case.
    killTimer = setTimeout(() => void kill(), STREAM_TIME_LIMIT_MS)

    const stream = async (client: number) => {
      const runId = runIds[client]!
      for (let index = 0; index < MAX_BATCHES_PER_CLIENT && !killed; index++) {
        const batch = { client, index }
        const id = `${client}:${index}`
        inFlight.set(id, batch)
        try {
          await call(first.url, 'POST', 'runs/log-batch', batchBody(runId, batch))
        } catch {
          // Refused or cut off by the kill: the batch stays "in flight" (unknown outcome).
          if (killed) return
          throw new Error(`log-batch failed before the kill (client ${client}, batch ${index})`)
        }
        inFlight.delete(id)
        acknowledged.push(batch)
        // Kill a moment later, at no particular point of any request.
        if (acknowledged.length === KILL_AFTER_ACKED_BATCHES)
          setTimeout(() => void kill(), Math.random() * 20)
      }
    }
    const outcomes = await Promise.allSettled(Array.from({ length: CLIENTS }, (_, client) => stream(client)))
    await kill()
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason
    expect(acknowledged.length).toBeGreaterThan(0)
    expect(Date.now() - started).toBeLessThan(60_000)

    const second = await startCairn({ backendStoreUri })
    servers.push(second)

    for (let client = 0; client < CLIENTS; client++) {
      const runId = runIds[client]!
      const { run } = await call<{ run: { data: RunData } }>(second.url, 'GET', 'runs/get', { run_id: runId })
      const params = new Map((run.data.params ?? []).map((param) => [param.key, param.value]))
      const tags = new Map((run.data.tags ?? []).map((tag) => [tag.key, tag.value]))
      const steps = new Map<string, Set<number>>()
      for (let key = 0; key < METRICS_PER_BATCH; key++) {
        const { metrics = [] } = await call<{ metrics?: Array<{ step: number; value: number }> }>(
          second.url,
          'GET',
          'metrics/get-history',
          { run_id: runId, metric_key: `m${key}` },
        )
        for (const point of metrics) {
          expect(point.value).toBe(client * 1_000_000 + point.step * 100 + key)
        }
        steps.set(`m${key}`, new Set(metrics.map((point) => point.step)))
      }

      for (const batch of acknowledged.filter((entry) => entry.client === client)) {
        const parts = presence(batch, params, tags, steps)
        expect(parts.every(Boolean), `acknowledged batch ${client}:${batch.index} is incomplete`).toBe(true)
      }
      for (const batch of [...inFlight.values()].filter((entry) => entry.client === client)) {
        const parts = presence(batch, params, tags, steps)
        const all = parts.every(Boolean)
        const none = parts.every((part) => !part)
        expect(all || none, `in-flight batch ${client}:${batch.index} was half-written`).toBe(true)
      }
      // Nothing was stored that no client sent.
      const sent = acknowledged.filter((entry) => entry.client === client).length + 1
      expect(params.size).toBeLessThanOrEqual(sent)
    }
  }, 180_000)
})
