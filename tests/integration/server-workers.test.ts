// `cairn server --workers 2`, started from the built CLI on a fresh SQLite file and on a fresh PostgreSQL database:
// concurrent experiments, runs and log-batch calls must all be answered 200 by two worker processes that both take
// connections, every write must be there afterwards, and SIGTERM to the primary must end all three processes.
// The server names no worker in its answers, so Linux's /proc tells which process holds each accepted connection.
// PostgreSQL is skipped when STORES leaves it out or, outside CI, when it is unreachable.
import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CairnProcess, sqliteUri, startCairn, tempDir } from './helpers/cairn-process.mjs'
import {
  acceptedConnections,
  commandLine,
  findProcess,
  HAS_PROC,
  isAlive,
  listProcesses,
  socketInodes,
} from './helpers/linux-processes.js'
import {
  createDatabase,
  postgresProblem,
  postgresUrl,
  requestedStores,
  type TestDatabase,
} from './helpers/postgres.mjs'

const CI = process.env.CI === 'true' || process.env.CI === '1'
const STORES = requestedStores()
const problem = STORES.includes('postgres') ? await postgresProblem() : undefined

const WORKERS = 2
const EXPERIMENTS = 6
const RUNS_PER_EXPERIMENT = 4
const BATCHES_PER_RUN = 10
const METRIC_KEYS = ['loss', 'accuracy', 'learning_rate'] as const
const CONCURRENCY = 16
const STOP_DEADLINE_MS = 5_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Answer {
  status: number
  text: string
}

async function request(
  baseUrl: string,
  method: 'GET' | 'POST',
  route: string,
  body: Record<string, unknown>,
): Promise<Answer> {
  const url = new URL(`/api/2.0/mlflow/${route}`, baseUrl)
  const init: RequestInit = { method, signal: AbortSignal.timeout(30_000) }
  if (method === 'GET') {
    for (const [key, value] of Object.entries(body)) url.searchParams.append(key, String(value))
  } else {
    init.headers = { 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  const response = await fetch(url, init)
  return { status: response.status, text: await response.text() }
}

/** A call that must be answered 200. */
async function ok<T>(
  baseUrl: string,
  method: 'GET' | 'POST',
  route: string,
  body: Record<string, unknown>,
): Promise<T> {
  const answer = await request(baseUrl, method, route, body)
  if (answer.status !== 200)
    throw new Error(`${method} ${route} → ${answer.status} ${answer.text.slice(0, 300)}`)
  return (answer.text ? JSON.parse(answer.text) : {}) as T
}

/** Runs `task` over `items` with at most `limit` at a time; collects failures instead of stopping at the first. */
async function inParallel<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<string[]> {
  const failures: string[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T
        await task(item).catch((error: unknown) =>
          failures.push(error instanceof Error ? error.message : String(error)),
        )
      }
    }),
  )
  return failures
}

/** The server's worker processes, once `count` of them run. */
async function waitForWorkers(primary: number, count: number, timeoutMs = 15_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let workers: number[] = []
  while (Date.now() < deadline) {
    workers = listProcesses()
      .filter((info) => info.ppid === primary)
      .map((info) => info.pid)
    if (workers.length >= count) return workers.sort((a, b) => a - b)
    await sleep(50)
  }
  throw new Error(`expected ${count} workers under pid ${primary}, found ${workers.length}`)
}

/** Every live process of the server: its process group (the primary's pid) plus any worker that left it. */
function serverProcesses(primary: number, workers: number[]): number[] {
  const group = listProcesses()
    .filter((info) => info.pgrp === primary)
    .map((info) => info.pid)
  return [...new Set([...group, ...workers.filter(isAlive)])].sort((a, b) => a - b)
}

function metricValue(run: number, batch: number, key: number): number {
  return run * 1000 + batch * 10 + key + 0.5
}

interface RunJson {
  info: { run_id: string; experiment_id: string; status: string; end_time?: number | string }
  data: {
    metrics?: Array<{ key: string; value: number; step: number | string }>
    params?: Array<{ key: string; value: string }>
    tags?: Array<{ key: string; value: string }>
  }
}

const CASES = [
  { store: 'sqlite', skip: !STORES.includes('sqlite') },
  { store: 'postgres', skip: !STORES.includes('postgres') || (problem !== undefined && !CI) },
] as const

for (const { store, skip } of CASES) {
  describe.skipIf(skip || !HAS_PROC)(`cairn server --workers ${WORKERS} on ${store}`, () => {
    const prefix = `workers-${store}-${Date.now()}`
    let server: CairnProcess
    let database: TestDatabase | undefined
    let dataDir: string | undefined
    let workers: number[] = []
    /** Run ids in creation order, with the index their metric values are derived from. */
    const runs: Array<{ runId: string; experimentId: string; index: number }> = []
    const experimentIds: string[] = []

    beforeAll(async () => {
      if (problem && store === 'postgres') {
        throw new Error(`PostgreSQL at ${postgresUrl()} is unreachable under CI: ${problem}`)
      }
      let backendStoreUri: string
      if (store === 'postgres') {
        database = await createDatabase(postgresUrl(), 'cairn_workers')
        backendStoreUri = database.url
      } else {
        dataDir = tempDir('cairn-workers-')
        backendStoreUri = sqliteUri(path.join(dataDir, 'cairn.db'))
      }
      server = await startCairn({ backendStoreUri, extraArgs: ['--workers', String(WORKERS)] })
      workers = await waitForWorkers(server.pid, WORKERS)
    }, 120_000)

    afterAll(async () => {
      // A worker that outlived its primary has left the primary's group bookkeeping: end it by pid.
      for (const pid of workers) {
        if (!isAlive(pid)) continue
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      await server?.stop()
      await database?.drop()
      if (server) rmSync(server.workDir, { recursive: true, force: true })
      if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    }, 60_000)

    it('runs a primary and two worker processes of the built CLI in one process group', async () => {
      // A moment later still exactly these two: no worker died and was replaced, no extra one was forked.
      await sleep(300)
      const children = listProcesses().filter((info) => info.ppid === server.pid)
      expect(children.map((info) => info.pid).sort((a, b) => a - b)).toEqual(workers)
      expect(workers).toHaveLength(WORKERS)
      for (const pid of workers) {
        expect(findProcess(pid)?.pgrp).toBe(server.pid)
        expect(commandLine(pid)).toContain(path.join('packages', 'cli', 'dist', 'bin.js'))
      }
      expect(serverProcesses(server.pid, workers)).toEqual([server.pid, ...workers].sort((a, b) => a - b))
    })

    it('answers concurrent experiments, runs and log-batch 200 through both workers', async () => {
      const connections = new Map(workers.map((pid) => [pid, new Set<number>()]))
      const sample = () => {
        const accepted = acceptedConnections(server.port)
        for (const [pid, seen] of connections) {
          for (const inode of socketInodes(pid)) if (accepted.has(inode)) seen.add(inode)
        }
      }
      const cpuBefore = new Map(workers.map((pid) => [pid, findProcess(pid)?.cpuTicks ?? 0]))
      const sampler = setInterval(sample, 10)
      const failures: string[] = []
      try {
        failures.push(
          ...(await inParallel(
            Array.from({ length: EXPERIMENTS }, (_, index) => index),
            CONCURRENCY,
            async (index) => {
              const { experiment_id } = await ok<{ experiment_id: string }>(
                server.url,
                'POST',
                'experiments/create',
                { name: `${prefix}-exp-${index}`, tags: [{ key: 'index', value: String(index) }] },
              )
              experimentIds[index] = experiment_id
            },
          )),
        )
        expect(failures).toEqual([])

        const slots = Array.from({ length: EXPERIMENTS * RUNS_PER_EXPERIMENT }, (_, index) => index)
        failures.push(
          ...(await inParallel(slots, CONCURRENCY, async (index) => {
            const experimentId = experimentIds[index % EXPERIMENTS]!
            const { run } = await ok<{ run: RunJson }>(server.url, 'POST', 'runs/create', {
              experiment_id: experimentId,
              run_name: `${prefix}-run-${index}`,
              start_time: 1_700_000_000_000 + index,
            })
            runs[index] = { runId: run.info.run_id, experimentId, index }
          })),
        )
        expect(failures).toEqual([])

        // Every batch of every run at once, in an order that interleaves runs: nothing depends on arrival order.
        const batches = Array.from({ length: BATCHES_PER_RUN }, (_, batch) =>
          runs.map((run) => ({ ...run, batch })),
        ).flat()
        failures.push(
          ...(await inParallel(batches, CONCURRENCY, async ({ runId, index, batch }) => {
            await ok(server.url, 'POST', 'runs/log-batch', {
              run_id: runId,
              metrics: METRIC_KEYS.map((key, keyIndex) => ({
                key,
                value: metricValue(index, batch, keyIndex),
                timestamp: 1_700_000_000_000 + batch,
                step: batch,
              })),
              params: [{ key: `param-${batch}`, value: `${index}/${batch}` }],
              tags: [{ key: `tag-${batch}`, value: `${index}:${batch}` }],
            })
          })),
        )
        failures.push(
          ...(await inParallel(runs, CONCURRENCY, async ({ runId, index }) => {
            await ok(server.url, 'POST', 'runs/update', {
              run_id: runId,
              status: 'FINISHED',
              end_time: 1_700_000_100_000 + index,
            })
          })),
        )
      } finally {
        clearInterval(sampler)
      }
      sample()
      expect(failures, server.logTail(40)).toEqual([])

      const cpu = workers.map((pid) => (findProcess(pid)?.cpuTicks ?? 0) - (cpuBefore.get(pid) ?? 0))
      const perWorker = workers.map((pid) => connections.get(pid)?.size ?? 0)
      const summary = `connections per worker ${perWorker.join('/')}, CPU ticks per worker ${cpu.join('/')}`
      for (const [index, count] of perWorker.entries()) {
        expect(count, `worker ${workers[index]} accepted no connection (${summary})`).toBeGreaterThan(0)
        expect(cpu[index], `worker ${workers[index]} did no work (${summary})`).toBeGreaterThan(0)
      }
    }, 120_000)

    it('keeps every experiment, run, param, tag and metric point written through the workers', async () => {
      expect(runs).toHaveLength(EXPERIMENTS * RUNS_PER_EXPERIMENT)
      const { experiments = [] } = await ok<{ experiments?: Array<{ experiment_id: string; name: string }> }>(
        server.url,
        'POST',
        'experiments/search',
        { filter: `name LIKE '${prefix}-exp-%'`, max_results: 100 },
      )
      expect(new Map(experiments.map((experiment) => [experiment.experiment_id, experiment.name]))).toEqual(
        new Map(experimentIds.map((id, index) => [id, `${prefix}-exp-${index}`])),
      )

      const { runs: found = [] } = await ok<{ runs?: RunJson[] }>(server.url, 'POST', 'runs/search', {
        experiment_ids: experimentIds,
        max_results: 1000,
      })
      const byId = new Map(found.map((run) => [run.info.run_id, run]))
      expect(new Set(byId.keys())).toEqual(new Set(runs.map((run) => run.runId)))

      for (const { runId, experimentId, index } of runs) {
        const run = byId.get(runId)!
        expect(run.info).toMatchObject({ experiment_id: experimentId, status: 'FINISHED' })
        expect(Number(run.info.end_time)).toBe(1_700_000_100_000 + index)
        const params = Object.fromEntries((run.data.params ?? []).map((param) => [param.key, param.value]))
        const tags = Object.fromEntries((run.data.tags ?? []).map((tag) => [tag.key, tag.value]))
        for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
          expect(params[`param-${batch}`]).toBe(`${index}/${batch}`)
          expect(tags[`tag-${batch}`]).toBe(`${index}:${batch}`)
        }
        expect(Object.keys(params)).toHaveLength(BATCHES_PER_RUN)
        const latest = Object.fromEntries((run.data.metrics ?? []).map((metric) => [metric.key, metric]))
        for (const [keyIndex, key] of METRIC_KEYS.entries()) {
          expect(Number(latest[key]?.step)).toBe(BATCHES_PER_RUN - 1)
          expect(latest[key]?.value).toBe(metricValue(index, BATCHES_PER_RUN - 1, keyIndex))
        }
      }

      const histories = runs.flatMap((run) => METRIC_KEYS.map((key, keyIndex) => ({ ...run, key, keyIndex })))
      const failures = await inParallel(histories, CONCURRENCY, async ({ runId, index, key, keyIndex }) => {
        const { metrics = [] } = await ok<{ metrics?: Array<{ step: number | string; value: number }> }>(
          server.url,
          'GET',
          'metrics/get-history',
          { run_id: runId, metric_key: key },
        )
        const points = metrics
          .map((point) => [Number(point.step), point.value])
          .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
        const expected = Array.from({ length: BATCHES_PER_RUN }, (_, batch) => [
          batch,
          metricValue(index, batch, keyIndex),
        ])
        if (JSON.stringify(points) !== JSON.stringify(expected)) {
          throw new Error(`history of ${key} in run ${runId}: ${JSON.stringify(points)}`)
        }
      })
      expect(failures).toEqual([])
    }, 120_000)

    it('replaces a worker that dies and keeps answering', async () => {
      const [victim, survivor] = workers as [number, number]
      process.kill(victim, 'SIGKILL')
      const deadline = Date.now() + 15_000
      let current: number[] = []
      while (Date.now() < deadline) {
        current = listProcesses()
          .filter((info) => info.ppid === server.pid)
          .map((info) => info.pid)
        if (current.length === WORKERS && !current.includes(victim)) break
        await sleep(50)
      }
      expect(current).toHaveLength(WORKERS)
      expect(current).not.toContain(victim)
      expect(current).toContain(survivor)
      const failures = await inParallel(
        Array.from({ length: 20 }, (_, index) => index),
        4,
        async () => {
          await ok(server.url, 'GET', 'experiments/search', { max_results: 1 })
        },
      )
      expect(failures).toEqual([])
      workers = current.sort((a, b) => a - b)
    }, 30_000)

    it(`ends the primary and both workers within ${STOP_DEADLINE_MS / 1000} s of SIGTERM to the primary`, async () => {
      const before = serverProcesses(server.pid, workers)
      expect(before).toEqual([server.pid, ...workers].sort((a, b) => a - b))

      const started = Date.now()
      process.kill(server.pid, 'SIGTERM')
      const exit = await Promise.race([server.exited, sleep(STOP_DEADLINE_MS).then(() => 'still running')])
      let left = serverProcesses(server.pid, workers)
      while (left.length > 0 && Date.now() - started < STOP_DEADLINE_MS) {
        await sleep(50)
        left = serverProcesses(server.pid, workers)
      }
      const elapsed = Date.now() - started
      const leftover = left.map((pid) => `${pid} (${commandLine(pid)})`)
      expect(leftover, `processes left ${elapsed} ms after SIGTERM`).toEqual([])
      expect(exit, server.logTail(40)).toEqual({ code: 0, signal: null })
      expect(elapsed).toBeLessThan(STOP_DEADLINE_MS)
    }, 30_000)
  })
}
