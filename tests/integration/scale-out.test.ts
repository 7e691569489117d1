// Scale-out: two server processes on one fresh PostgreSQL database, started together, written through both.
// Each must see the other's writes at once, ids must be unique, and races must end in MLflow's errors, never a 5xx.
// Skipped only when PostgreSQL is not asked for (STORES) or, outside CI, unreachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CairnProcess, startCairn } from './helpers/cairn-process.mjs'
import {
  createDatabase,
  postgresProblem,
  postgresUrl,
  requestedStores,
  type TestDatabase,
} from './helpers/postgres.mjs'

const CI = process.env.CI === 'true' || process.env.CI === '1'
const wanted = requestedStores().includes('postgres')
const problem = wanted ? await postgresProblem() : undefined
const skip = !wanted || (problem !== undefined && !CI)

interface Answer<T> {
  status: number
  body: T & { error_code?: string; message?: string }
}

async function request<T = Record<string, unknown>>(
  baseUrl: string,
  method: 'GET' | 'POST',
  route: string,
  body: Record<string, unknown> = {},
): Promise<Answer<T>> {
  const url = new URL(`/api/2.0/mlflow/${route}`, baseUrl)
  const init: RequestInit = { method, signal: AbortSignal.timeout(30_000) }
  if (method === 'GET') {
    for (const [key, value] of Object.entries(body)) url.searchParams.append(key, String(value))
  } else {
    init.headers = { 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  const response = await fetch(url, init)
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : {} }
}

/** A call that must succeed. */
async function ok<T = Record<string, unknown>>(
  baseUrl: string,
  method: 'GET' | 'POST',
  route: string,
  body?: Record<string, unknown>,
): Promise<T> {
  const answer = await request<T>(baseUrl, method, route, body)
  if (answer.status !== 200) {
    throw new Error(
      `${method} ${route} via ${baseUrl} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
    )
  }
  return answer.body
}

interface RunJson {
  info: { run_id: string; experiment_id: string }
  data: {
    metrics?: Array<{ key: string; value: number; step: number }>
    params?: Array<{ key: string; value: string }>
    tags?: Array<{ key: string; value: string }>
  }
}

describe.skipIf(skip)('two servers on one PostgreSQL database', () => {
  let database: TestDatabase | undefined
  let servers: CairnProcess[] = []
  const prefix = `scale-${Date.now()}`

  beforeAll(async () => {
    if (problem) throw new Error(`PostgreSQL at ${postgresUrl()} is unreachable under CI: ${problem}`)
    database = await createDatabase(postgresUrl(), 'cairn_scale_out')
    const url = database.url
    // Replicas of one deployment start together on a database nobody has migrated yet.
    servers = await Promise.all([startCairn({ backendStoreUri: url }), startCairn({ backendStoreUri: url })])
  }, 120_000)

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    await database?.drop()
  }, 60_000)

  const via = (index: number) => servers[index % 2]!.url

  it('shares experiments: ids unique, each server reads the other one’s writes', async () => {
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        ok<{ experiment_id: string }>(via(index), 'POST', 'experiments/create', {
          name: `${prefix}-exp-${index}`,
        }),
      ),
    )
    const ids = created.map((answer) => answer.experiment_id)
    expect(new Set(ids).size).toBe(12)

    for (const [index, id] of ids.entries()) {
      const other = via(index + 1)
      const { experiment } = await ok<{ experiment: { name: string } }>(other, 'GET', 'experiments/get', {
        experiment_id: id,
      })
      expect(experiment.name).toBe(`${prefix}-exp-${index}`)
    }
    for (const server of servers) {
      const { experiments = [] } = await ok<{ experiments?: Array<{ experiment_id: string }> }>(
        server.url,
        'POST',
        'experiments/search',
        { filter: `name LIKE '${prefix}-exp-%'`, max_results: 100 },
      )
      expect(new Set(experiments.map((experiment) => experiment.experiment_id))).toEqual(new Set(ids))
    }
  }, 90_000)

  it('answers a name created through both at once with one success and RESOURCE_ALREADY_EXISTS', async () => {
    for (let round = 0; round < 8; round++) {
      const name = `${prefix}-race-${round}`
      const answers = await Promise.all(
        servers.map((server) => request(server.url, 'POST', 'experiments/create', { name })),
      )
      const statuses = answers.map((answer) => answer.status).sort()
      expect(statuses, JSON.stringify(answers.map((answer) => answer.body))).toEqual([200, 400])
      expect(answers.find((answer) => answer.status === 400)?.body.error_code).toBe('RESOURCE_ALREADY_EXISTS')
    }
  }, 90_000)

  it('interleaves runs and log-batch through both servers without losing a write', async () => {
    const { experiment_id } = await ok<{ experiment_id: string }>(via(0), 'POST', 'experiments/create', {
      name: `${prefix}-runs`,
    })
    const runs = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        ok<{ run: RunJson }>(via(index), 'POST', 'runs/create', { experiment_id, start_time: 1000 + index }),
      ),
    )
    const runIds = runs.map((answer) => answer.run.info.run_id)
    expect(new Set(runIds).size).toBe(16)

    const BATCHES = 12
    await Promise.all(
      runIds.map(async (run_id, runIndex) => {
        for (let batch = 0; batch < BATCHES; batch++) {
          await ok(via(runIndex + batch), 'POST', 'runs/log-batch', {
            run_id,
            metrics: [
              { key: 'loss', value: 1 / (batch + 1), timestamp: 10_000 + batch, step: batch },
              { key: 'acc', value: batch / BATCHES, timestamp: 10_000 + batch, step: batch },
            ],
            params: [{ key: `p${batch}`, value: String(batch) }],
            tags: [{ key: 'last-batch', value: String(batch) }],
          })
        }
      }),
    )

    for (const server of servers) {
      const { runs: found = [] } = await ok<{ runs?: RunJson[] }>(server.url, 'POST', 'runs/search', {
        experiment_ids: [experiment_id],
        max_results: 100,
      })
      expect(new Set(found.map((run) => run.info.run_id))).toEqual(new Set(runIds))
      for (const run of found) {
        expect(run.data.params ?? []).toHaveLength(BATCHES)
        const metrics = Object.fromEntries((run.data.metrics ?? []).map((metric) => [metric.key, metric]))
        expect(metrics.loss).toMatchObject({ step: BATCHES - 1, value: 1 / BATCHES })
        expect(metrics.acc).toMatchObject({ step: BATCHES - 1 })
        const tags = Object.fromEntries((run.data.tags ?? []).map((tag) => [tag.key, tag.value]))
        expect(tags['last-batch']).toBe(String(BATCHES - 1))
      }
      for (const run_id of runIds.slice(0, 4)) {
        const { metrics = [] } = await ok<{ metrics?: Array<{ step: number }> }>(
          server.url,
          'GET',
          'metrics/get-history',
          {
            run_id,
            metric_key: 'loss',
          },
        )
        expect(metrics.map((point) => point.step)).toEqual(Array.from({ length: BATCHES }, (_, step) => step))
      }
    }
  }, 90_000)

  it('keeps the highest step as the latest metric when both servers log the same key at once', async () => {
    const { experiment_id } = await ok<{ experiment_id: string }>(via(1), 'POST', 'experiments/create', {
      name: `${prefix}-latest`,
    })
    const { run } = await ok<{ run: RunJson }>(via(0), 'POST', 'runs/create', {
      experiment_id,
      start_time: 1,
    })
    const run_id = run.info.run_id
    for (let round = 0; round < 25; round++) {
      await Promise.all(
        servers.map((server, index) =>
          ok(server.url, 'POST', 'runs/log-metric', {
            run_id,
            key: 'contended',
            value: round * 2 + index,
            timestamp: 5_000,
            step: round * 2 + index,
          }),
        ),
      )
    }
    for (const server of servers) {
      const { run: fetched } = await ok<{ run: RunJson }>(server.url, 'GET', 'runs/get', { run_id })
      const latest = (fetched.data.metrics ?? []).find((metric) => metric.key === 'contended')
      expect(latest).toMatchObject({ step: 49, value: 49 })
    }
  }, 90_000)

  it('lets exactly one of two different values for a param win, with INVALID_PARAMETER_VALUE for the other', async () => {
    const { experiment_id } = await ok<{ experiment_id: string }>(via(0), 'POST', 'experiments/create', {
      name: `${prefix}-params`,
    })
    const { run } = await ok<{ run: RunJson }>(via(1), 'POST', 'runs/create', {
      experiment_id,
      start_time: 1,
    })
    const run_id = run.info.run_id
    for (let round = 0; round < 10; round++) {
      const key = `contended-${round}`
      const answers = await Promise.all(
        servers.map((server, index) =>
          request(server.url, 'POST', 'runs/log-parameter', { run_id, key, value: `server-${index}` }),
        ),
      )
      const statuses = answers.map((answer) => answer.status)
      expect(statuses.slice().sort(), JSON.stringify(answers.map((answer) => answer.body))).toEqual([
        200, 400,
      ])
      const loser = answers.find((answer) => answer.status === 400)
      expect(loser?.body.error_code).toBe('INVALID_PARAMETER_VALUE')
      const winner = statuses.indexOf(200)
      for (const server of servers) {
        const { run: fetched } = await ok<{ run: RunJson }>(server.url, 'GET', 'runs/get', { run_id })
        const value = (fetched.data.params ?? []).find((param) => param.key === key)?.value
        expect(value).toBe(`server-${winner}`)
      }
      // The same value again through either server is fine.
      for (const server of servers) {
        await ok(server.url, 'POST', 'runs/log-parameter', { run_id, key, value: `server-${winner}` })
      }
    }
  }, 90_000)
})
