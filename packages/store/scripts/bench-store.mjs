#!/usr/bin/env node
// Store-level benchmark (no HTTP): node packages/store/scripts/bench-store.mjs [sqlite|postgres] [--runs N] [--points N]
// Build first: npx tsc -b packages/store. PostgreSQL uses CAIRN_TEST_POSTGRES_URL (a scratch database is created and dropped).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createTrackingStore } from '../dist/index.js'

const kind = process.argv[2] ?? 'sqlite'
const option = (name, fallback) => {
  const index = process.argv.indexOf(name)
  return index > 0 ? Number(process.argv[index + 1]) : fallback
}
const RUNS = option('--runs', 100_000)
const POINTS = option('--points', 1_000_000)
const BASE_URL = process.env.CAIRN_TEST_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:55432/postgres'

async function openStore() {
  if (kind === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'cairn-bench-'))
    const store = await createTrackingStore(`sqlite:///${join(folder, 'bench.db')}`, {
      defaultArtifactRoot: 'mlflow-artifacts:/',
    })
    return { store, cleanup: async () => rmSync(folder, { recursive: true, force: true }) }
  }
  const name = `cairn_bench_${randomBytes(4).toString('hex')}`
  const admin = async (text) => {
    const client = new pg.Client({ connectionString: BASE_URL })
    await client.connect()
    try {
      await client.query(text)
    } finally {
      await client.end()
    }
  }
  await admin(`CREATE DATABASE "${name}"`)
  const url = new URL(BASE_URL)
  url.pathname = `/${name}`
  const store = await createTrackingStore(url.toString(), { defaultArtifactRoot: 'mlflow-artifacts:/' })
  return { store, cleanup: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
/** Wall time, and CPU time of this process (with SQLite all database work happens in-process). */
const time = async (work) => {
  const cpu = process.cpuUsage()
  const started = performance.now()
  const result = await work()
  const used = process.cpuUsage(cpu)
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, result }
}

const { store, cleanup } = await openStore()
try {
  const experimentId = await store.createExperiment({ name: 'bench' })
  const report = (label, value) => console.log(`${kind.padEnd(8)} ${label.padEnd(58)} ${value}`)

  // Run creation
  {
    const count = 2000
    const { ms, cpuMs } = await time(async () => {
      for (let index = 0; index < count; index++) {
        await store.createRun({
          experimentId,
          userId: 'bench',
          runName: `run-${index}`,
          startTime: Date.now(),
          tags: [{ key: 'mlflow.user', value: 'bench' }],
        })
      }
    })
    report(
      'createRun (sequential)',
      `${Math.round((count / ms) * 1000)} runs/s (per CPU-second: ${Math.round((count / cpuMs) * 1000)})`,
    )
  }

  // log-batch of 1000 metrics
  for (const [label, keys] of [
    ['log-batch 1000 metrics, 10 keys x 100 steps', 10],
    ['log-batch 1000 metrics, 1000 keys x 1 step', 1000],
  ]) {
    const run = await store.createRun({
      experimentId,
      userId: 'bench',
      runName: 'batch',
      startTime: 1,
      tags: [],
    })
    const batches = 200
    let step = 0
    const { ms, cpuMs } = await time(async () => {
      for (let batch = 0; batch < batches; batch++) {
        const metrics = []
        const steps = 1000 / keys
        for (let s = 0; s < steps; s++, step++) {
          for (let k = 0; k < keys; k++)
            metrics.push({
              key: `metric_${k}`,
              value: Math.random(),
              timestamp: 1_700_000_000_000 + step,
              step,
            })
        }
        await store.logBatch({ runId: run.info.runId, metrics, params: [], tags: [] })
      }
    })
    report(
      label,
      `${Math.round(((batches * 1000) / ms) * 1000)} metrics/s (per CPU-second: ${Math.round(((batches * 1000) / cpuMs) * 1000)})`,
    )
  }

  // 1M-point history
  {
    const run = await store.createRun({
      experimentId,
      userId: 'bench',
      runName: 'history',
      startTime: 1,
      tags: [],
    })
    for (let start = 0; start < POINTS; start += 1000) {
      const metrics = []
      for (let step = start; step < Math.min(start + 1000, POINTS); step++) {
        metrics.push({ key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step })
      }
      await store.logBatch({ runId: run.info.runId, metrics, params: [], tags: [] })
    }
    for (let repeat = 0; repeat < 2; repeat++) {
      const objects = await time(async () => {
        let count = 0
        for await (const chunk of store.streamMetricHistory(run.info.runId, 'loss')) count += chunk.length
        return count
      })
      report(
        `full history read, Metric objects (${objects.result} points)`,
        `${objects.ms.toFixed(0)} ms (CPU ${objects.cpuMs.toFixed(0)} ms)`,
      )
      const json = await time(async () => {
        let bytes = 0
        for await (const chunk of store.streamMetricHistoryJson(run.info.runId, 'loss')) bytes += chunk.length
        return bytes
      })
      report(
        `full history read, JSON chunks (${(json.result / 1e6).toFixed(0)} MB)`,
        `${json.ms.toFixed(0)} ms (CPU ${json.cpuMs.toFixed(0)} ms)`,
      )
    }
    const intervals = []
    for (let repeat = 0; repeat < 20; repeat++) {
      intervals.push(
        (
          await time(() =>
            store.getMetricHistoryBulkInterval({
              runIds: [run.info.runId],
              metricKey: 'loss',
              maxResults: 2500,
            }),
          )
        ).ms,
      )
    }
    report('bulk-interval 2500 of 1M points (p50 of 20)', `${median(intervals).toFixed(1)} ms`)
    const zoomed = []
    for (let repeat = 0; repeat < 20; repeat++) {
      zoomed.push(
        (
          await time(() =>
            store.getMetricHistoryBulkInterval({
              runIds: [run.info.runId],
              metricKey: 'loss',
              startStep: 250_000,
              endStep: 750_000,
              maxResults: 2500,
            }),
          )
        ).ms,
      )
    }
    report('bulk-interval 2500, steps 250k..750k (p50 of 20)', `${median(zoomed).toFixed(1)} ms`)
  }

  // searchRuns over RUNS runs with 10 params, 10 metrics, 5 tags each
  {
    const searchExperimentId = await store.createExperiment({ name: 'bench-search' })
    const populate = await time(async () => {
      for (let index = 0; index < RUNS; index++) {
        const tags = Array.from({ length: 5 }, (_, t) => ({
          key: `tag_${t}`,
          value: `t${(index * 7 + t) % 13}`,
        }))
        const run = await store.createRun({
          experimentId: searchExperimentId,
          userId: 'bench',
          runName: `r${index}`,
          startTime: 1_700_000_000_000 + index,
          tags,
        })
        const params = Array.from({ length: 10 }, (_, p) => ({
          key: `param_${p}`,
          value: `v${(index * 31 + p * 17) % 10}`,
        }))
        const metrics = Array.from({ length: 10 }, (_, m) => ({
          key: `metric_${m}`,
          value: ((index * 2654435761 + m * 97) % 1000) / 1000,
          timestamp: 1,
          step: 0,
        }))
        await store.logBatch({ runId: run.info.runId, metrics, params, tags: [] })
      }
    })
    report(`populate ${RUNS} runs (createRun + logBatch each)`, `${(populate.ms / 1000).toFixed(1)} s`)
    const cases = [
      [
        'metric > 0.5 AND param = v3, order by metric DESC',
        {
          filter: {
            kind: 'and',
            operands: [
              { kind: 'comparison', entity: 'metric', key: 'metric_1', comparator: '>', value: 0.5 },
              { kind: 'comparison', entity: 'param', key: 'param_2', comparator: '=', value: 'v3' },
            ],
          },
          orderBy: [{ entity: 'metric', key: 'metric_3', ascending: false }],
        },
      ],
      ['no filter, default order', { orderBy: [] }],
      [
        'metric < 0.9 (unselective), order by metric ASC',
        {
          filter: { kind: 'comparison', entity: 'metric', key: 'metric_4', comparator: '<', value: 0.9 },
          orderBy: [{ entity: 'metric', key: 'metric_5', ascending: true }],
        },
      ],
      [
        'param = v1 OR tag = t3, order by param',
        {
          filter: {
            kind: 'or',
            operands: [
              { kind: 'comparison', entity: 'param', key: 'param_0', comparator: '=', value: 'v1' },
              { kind: 'comparison', entity: 'tag', key: 'tag_0', comparator: '=', value: 't3' },
            ],
          },
          orderBy: [{ entity: 'param', key: 'param_1', ascending: true }],
        },
      ],
    ]
    for (const [label, query] of cases) {
      const samples = []
      let count = 0
      for (let repeat = 0; repeat < 25; repeat++) {
        const { ms, result } = await time(() =>
          store.searchRuns({
            experimentIds: [searchExperimentId],
            viewType: 'ACTIVE_ONLY',
            maxResults: 100,
            offset: 0,
            ...query,
          }),
        )
        samples.push(ms)
        count = result.items.length
      }
      report(`searchRuns ${label} (${count} of ${RUNS}, p50)`, `${median(samples).toFixed(1)} ms`)
    }
  }
} finally {
  await store.close()
  await cleanup()
}
