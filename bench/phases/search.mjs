import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { API, createExperiment, forEachConcurrent, getExperiment, json } from '../lib/api.mjs'
import { bodyJson, bodyText, expectOk } from '../lib/http.mjs'
import { insertMlflowRuns } from '../lib/populate-mlflow-sqlite.mjs'
import { median, rng } from '../lib/stats.mjs'

const VARIANTS = 10
const PAGE = 100

/** Run i of the data set; identical on every server. 10 params, 10 metrics, 5 tags. */
function runData(t0, i) {
  const random = rng(1_000_003 + i)
  const startTime = t0 + i * 10
  return {
    runName: `search-run-${i}`,
    startTime,
    params: Array.from({ length: 10 }, (_, k) => ({
      key: `p${k}`,
      value: k === 0 ? `v${Math.floor(random() * VARIANTS)}` : `value-${Math.floor(random() * 1000)}`,
    })),
    metrics: Array.from({ length: 10 }, (_, k) => ({
      key: `m${k}`,
      value: random(),
      timestamp: startTime,
      step: 0,
    })),
    tags: Array.from({ length: 5 }, (_, k) => ({ key: `t${k}`, value: `tag-${Math.floor(random() * 100)}` })),
  }
}

const filterFor = (variant) => `metrics.m0 > 0.5 and params.p0 = 'v${variant}'`

/**
 * search-runs over N runs: filter on a metric and a param, ordered by another metric, first page of 100, one
 * client, sequential requests cycling through 10 values of the param (the same cycle on every server).
 */
export const search = {
  name: 'search',
  unit: 'ms (p50)',

  prepare(ctx) {
    const count = ctx.options.searchRuns
    const matches = Array.from({ length: VARIANTS }, () => [])
    for (let i = 0; i < count; i++) {
      const data = runData(ctx.t0, i)
      const m0 = data.metrics[0].value
      if (m0 > 0.5) matches[Number(data.params[0].value.slice(1))].push(data.metrics[1].value)
    }
    this.expected = matches.map((values) => ({
      total: values.length,
      firstPage: values.sort((a, b) => b - a).slice(0, PAGE),
    }))
  },

  async populate(ctx, server) {
    const { client } = server
    const count = ctx.options.searchRuns
    const experimentId = await createExperiment(client, `bench-search-${Date.now()}`)
    const started = performance.now()
    if (server.kind === 'mlflow' && ctx.options.mlflowSearchPopulate === 'sql') {
      const experiment = await getExperiment(client, experimentId)
      insertMlflowRuns({
        dbPath: path.join(server.dir, 'mlflow.db'),
        experimentId: Number(experimentId),
        artifactLocation: experiment.artifact_location,
        count,
        runData: (i) => runData(ctx.t0, i),
      })
    } else {
      let done = 0
      await forEachConcurrent(count, ctx.options.concurrency, async (i) => {
        const data = runData(ctx.t0, i)
        const created = bodyJson(
          expectOk(
            await client.post(
              `${API}/runs/create`,
              json({
                experiment_id: experimentId,
                run_name: data.runName,
                start_time: data.startTime,
                user_id: 'bench',
                tags: data.tags,
              }),
            ),
            'runs/create',
          ),
        )
        const runId = created.run.info.run_id
        expectOk(
          await client.post(
            `${API}/runs/log-batch`,
            json({ run_id: runId, params: data.params, metrics: data.metrics }),
          ),
          'runs/log-batch',
        )
        done += 1
        if (done % 10_000 === 0) ctx.log(`  ${server.name}: ${done}/${count} runs`)
      })
    }
    const seconds = (performance.now() - started) / 1000
    this.experiments ??= {}
    this.experiments[server.name] = experimentId
    this.bodies ??= {}
    this.bodies[server.name] = Array.from({ length: VARIANTS }, (_, variant) =>
      json({
        experiment_ids: [experimentId],
        filter: filterFor(variant),
        run_view_type: 'ACTIVE_ONLY',
        max_results: PAGE,
        order_by: ['metrics.m1 DESC'],
      }),
    )
    const method =
      server.kind === 'mlflow' && ctx.options.mlflowSearchPopulate === 'sql'
        ? 'SQL INSERTs into MLflow schema (better-sqlite3, one transaction)'
        : `REST: runs/create + runs/log-batch per run, ${ctx.options.concurrency} concurrent clients`
    ctx.log(`  ${server.name}: populated ${count} runs in ${seconds.toFixed(1)} s (${method})`)
    return { runs: count, seconds, runsPerSecond: count / seconds, method }
  },

  async measure(ctx, server, rep) {
    const { client } = server
    const bodies = this.bodies[server.name]
    const { searchQueries, searchSeconds } = ctx.options
    const path = `${API}/runs/search`
    // One untimed query per repetition keeps the first-touch cost out of the p50 comparably on both sides.
    if (rep === 0) await client.post(path, bodies[VARIANTS - 1])
    const latencies = []
    const checks = []
    const deadline = performance.now() + searchSeconds * 1000
    for (let q = 0; q < searchQueries && (q < 3 || performance.now() < deadline); q++) {
      const variant = (rep * searchQueries + q) % VARIANTS
      const response = await client.post(path, bodies[variant])
      latencies.push(response.ms)
      checks.push(this.check(response, variant))
    }
    const failures = checks.filter((check) => check !== true)
    return {
      value: median(latencies),
      latencies,
      queries: latencies.length,
      resultsMatchExpected: failures.length === 0,
      firstMismatch: failures[0],
    }
  },

  check(response, variant) {
    if (response.status !== 200) return `status ${response.status}: ${bodyText(response).slice(0, 300)}`
    const { runs = [] } = bodyJson(response)
    const expected = this.expected[variant]
    const got = runs.map((run) => run.data?.metrics?.find((metric) => metric.key === 'm1')?.value)
    if (got.length !== expected.firstPage.length)
      return `variant ${variant}: ${got.length} runs, expected ${expected.firstPage.length}`
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== expected.firstPage[i])
        return `variant ${variant}: run ${i} has m1=${got[i]}, expected ${expected.firstPage[i]}`
    }
    const run = runs[0]
    if (
      run.data.params?.length !== 10 ||
      run.data.metrics?.length !== 10 ||
      (run.data.tags?.length ?? 0) < 5
    ) {
      return `variant ${variant}: first run has ${run.data.params?.length} params, ${run.data.metrics?.length} metrics, ${run.data.tags?.length} tags`
    }
    return true
  },
}
