#!/usr/bin/env node
// Store-level benchmark of the chart's bucket reads on SQLite (no HTTP, no browser), to compare where the scans run:
// on the store's own connection (CAIRN_BUCKET_THREADS=0) or on 1 or 2 worker threads. Fills a fresh SQLite store
// with --runs runs × --points points of one metric through logBatch, then, interleaving the settings so each sees
// the same machine load, asks for the buckets of --requests concurrent one-run requests (as the UI sends them) and
// reports medians of: the first answer, all answers, and a getRun issued 5 ms after them (how long other requests
// wait). Needs the store built (`npx tsc -b packages/store`).
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createTrackingStore } from '@cairn/store'
import { median } from './lib/stats.mjs'

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    points: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '5' },
    buckets: { type: 'string', default: '760' },
    reps: { type: 'string', default: '8' },
    threads: { type: 'string', default: '0,1,2' },
  },
})
const RUNS = Number(flags.runs)
const POINTS = Number(flags.points)
const REQUESTS = Number(flags.requests)
const BUCKETS = Number(flags.buckets)
const REPS = Number(flags.reps)
const SETTINGS = flags.threads.split(',')

const dir = mkdtempSync(path.join(os.tmpdir(), 'bucket-bench-'))
const store = await createTrackingStore(`sqlite:///${path.join(dir, 'cairn.db')}`, {
  defaultArtifactRoot: path.join(dir, 'artifacts'),
})
try {
  const experimentId = await store.createExperiment({ name: 'buckets', tags: [] })
  const runIds = []
  const fillStart = performance.now()
  for (let run = 0; run < RUNS; run++) {
    const created = await store.createRun({
      experimentId,
      userId: 'bench',
      runName: `r${run}`,
      startTime: 1,
      tags: [],
    })
    runIds.push(created.info.runId)
    for (let offset = 0; offset < POINTS; offset += 1000) {
      const metrics = []
      for (let step = offset; step < Math.min(POINTS, offset + 1000); step++) {
        const spike = step === 123_457 * (run + 1)
        metrics.push({
          key: 'loss',
          value: spike ? 500 : Math.sin(step / 5000 + run),
          timestamp: 1e12 + step,
          step,
        })
      }
      await store.logBatch({ runId: created.info.runId, metrics, params: [], tags: [] })
    }
  }
  console.error(
    `filled ${RUNS} × ${POINTS} points in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`,
  )

  const results = Object.fromEntries(
    SETTINGS.map((setting) => [setting, { first: [], all: [], otherRequest: [] }]),
  )
  for (let rep = 0; rep < REPS + 1; rep++) {
    for (const setting of SETTINGS) {
      process.env.CAIRN_BUCKET_THREADS = setting
      const start = performance.now()
      let first = 0
      const other = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 5))
        await store.getRun(runIds[0])
        return performance.now() - start - 5
      })()
      await Promise.all(
        Array.from({ length: REQUESTS }, async (_, index) => {
          await store.getMetricHistoryBuckets({
            runIds: [runIds[index % RUNS]],
            metricKey: 'loss',
            buckets: BUCKETS,
          })
          first ||= performance.now() - start
        }),
      )
      const all = performance.now() - start
      const otherMs = await other
      if (rep === 0) continue // warm-up: thread start, page cache
      results[setting].first.push(first)
      results[setting].all.push(all)
      results[setting].otherRequest.push(otherMs)
    }
  }
  const round = (value) => Math.round(value * 10) / 10
  const report = {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    loadAverage: os.loadavg(),
    runs: RUNS,
    points: POINTS,
    requests: REQUESTS,
    buckets: BUCKETS,
    reps: REPS,
    medians: Object.fromEntries(
      Object.entries(results).map(([setting, values]) => [
        `CAIRN_BUCKET_THREADS=${setting}`,
        {
          firstMs: round(median(values.first)),
          allMs: round(median(values.all)),
          otherRequestMs: round(median(values.otherRequest)),
        },
      ]),
    ),
  }
  console.log(JSON.stringify(report, null, 2))
} finally {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
