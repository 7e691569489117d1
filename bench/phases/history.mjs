import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { API, createExperiment, createRun, forEachConcurrent, json } from '../lib/api.mjs'
import { bodyJson, bodyText, expectOk } from '../lib/http.mjs'
import { insertMlflowHistory } from '../lib/populate-mlflow-sqlite.mjs'
import { median, rng } from '../lib/stats.mjs'

const KEY = 'loss'
const PAGE_SIZE = 25_000
const BATCH = 1000

/**
 * Metric history of N points in one run: full get-history (no max_results), the Python client's paging
 * (max_results=25000 with page tokens until none is returned), and get-history-bulk-interval with its
 * default max_results (2500).
 */
export const history = {
  name: 'history',

  prepare(ctx) {
    const random = rng(7)
    const points = ctx.options.historyPoints
    this.values = new Float64Array(points)
    for (let i = 0; i < points; i++) this.values[i] = random()
    this.runs = {}
  },

  pointAt(ctx, i) {
    return { key: KEY, value: this.values[i], timestamp: ctx.t0 + i, step: i }
  },

  async populate(ctx, server) {
    const { client } = server
    const points = ctx.options.historyPoints
    const experimentId = await createExperiment(client, `bench-history-${Date.now()}`)
    const runId = await createRun(client, {
      experiment_id: experimentId,
      run_name: 'history',
      start_time: ctx.t0,
    })
    const started = performance.now()
    let method
    if (server.kind === 'mlflow' && ctx.options.mlflowHistoryPopulate === 'sql') {
      insertMlflowHistory({
        dbPath: path.join(server.dir, 'mlflow.db'),
        runId,
        key: KEY,
        points,
        pointAt: (i) => this.pointAt(ctx, i),
      })
      method = 'SQL INSERTs into MLflow schema (better-sqlite3, one transaction)'
    } else {
      const batches = Math.ceil(points / BATCH)
      await forEachConcurrent(batches, ctx.options.concurrency, async (b) => {
        const metrics = []
        for (let i = b * BATCH; i < Math.min(points, (b + 1) * BATCH); i++) metrics.push(this.pointAt(ctx, i))
        expectOk(
          await client.post(`${API}/runs/log-batch`, json({ run_id: runId, metrics })),
          'runs/log-batch',
        )
      })
      method = `REST: runs/log-batch of ${BATCH} points, ${ctx.options.concurrency} concurrent clients`
    }
    const seconds = (performance.now() - started) / 1000
    this.runs[server.name] = runId
    ctx.log(`  ${server.name}: populated ${points} points in ${seconds.toFixed(1)} s (${method})`)
    return { points, seconds, pointsPerSecond: points / seconds, method }
  },

  async measure(ctx, server, rep) {
    const { client } = server
    const runId = this.runs[server.name]
    const points = ctx.options.historyPoints
    const result = { rep }

    const full = await client.get(`${API}/metrics/get-history?run_id=${runId}&metric_key=${KEY}`)
    result.fullMs = full.ms
    result.fullBytes = full.bytes
    result.fullCheck = this.checkFull(full, points)

    const pagedStarted = performance.now()
    const pages = []
    let token
    for (let page = 0; page < Math.ceil(points / PAGE_SIZE) + 2; page++) {
      const query = `run_uuid=${runId}&run_id=${runId}&metric_key=${KEY}&max_results=${PAGE_SIZE}`
      const response = await client.get(
        `${API}/metrics/get-history?${query}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
      )
      pages.push(response)
      if (response.status !== 200) break
      token = nextPageToken(response)
      if (!token) break
    }
    result.pagedMs = performance.now() - pagedStarted
    result.pages = pages.length
    result.pageMs = pages.map((page) => Math.round(page.ms))
    result.pagedCheck = this.checkPaged(pages, points)

    const bulkPath = `${API}/metrics/get-history-bulk-interval?run_ids=${runId}&metric_key=${KEY}`
    const bulkLatencies = []
    let bulkCheck = true
    const deadline = performance.now() + ctx.options.bulkSeconds * 1000
    for (let q = 0; q < ctx.options.bulkQueries && (q < 3 || performance.now() < deadline); q++) {
      const response = await client.get(bulkPath)
      bulkLatencies.push(response.ms)
      if (q === 0) bulkCheck = this.checkBulk(response, points)
    }
    result.bulkMs = median(bulkLatencies)
    result.bulkLatencies = bulkLatencies
    result.bulkCheck = bulkCheck
    return result
  },

  checkFull(response, points) {
    if (response.status !== 200) return `status ${response.status}: ${bodyText(response).slice(0, 300)}`
    const metrics = bodyJson(response).metrics ?? []
    if (metrics.length !== points) return `${metrics.length} points, expected ${points}`
    return checkSteps(metrics, this.values)
  },

  checkPaged(pages, points) {
    const metrics = []
    for (const page of pages) {
      if (page.status !== 200) return `status ${page.status}: ${bodyText(page).slice(0, 300)}`
      for (const metric of bodyJson(page).metrics ?? []) metrics.push(metric)
    }
    if (metrics.length !== points)
      return `${metrics.length} points over ${pages.length} pages, expected ${points}`
    return checkSteps(metrics, this.values)
  },

  checkBulk(response, points) {
    if (response.status !== 200) return `status ${response.status}: ${bodyText(response).slice(0, 300)}`
    const metrics = bodyJson(response).metrics ?? []
    if (metrics.length === 0 || metrics.length > 2500 + 2) return `${metrics.length} points`
    const steps = metrics.map((metric) => Number(metric.step))
    if (steps[0] !== 0 || steps.at(-1) !== points - 1)
      return `steps ${steps[0]}..${steps.at(-1)}, expected 0..${points - 1}`
    return true
  },
}

function nextPageToken(response) {
  // The token sits at either end of the body; avoid parsing megabytes of JSON inside the timed loop.
  const head = response.chunks[0]?.subarray(0, 512).toString('utf8') ?? ''
  const last = response.chunks.at(-1)
  const tailText = last ? last.subarray(Math.max(0, last.length - 512)).toString('utf8') : ''
  const pattern = /"next_page_token"\s*:\s*"([^"]*)"/
  return (pattern.exec(tailText) ?? pattern.exec(head) ?? pattern.exec(bodyText(response)))?.[1]
}

function checkSteps(metrics, values) {
  const sorted = [...metrics].sort((a, b) => Number(a.step) - Number(b.step))
  for (let i = 0; i < sorted.length; i += 997) {
    const metric = sorted[i]
    if (Number(metric.step) !== i || metric.value !== values[i]) {
      return `point ${i}: step ${metric.step} value ${metric.value}, expected step ${i} value ${values[i]}`
    }
  }
  return true
}
