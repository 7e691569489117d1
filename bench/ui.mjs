#!/usr/bin/env node
// Browser benchmark of the web UI (issue 5), side by side with MLflow's own UI on the same data:
//   - runs page of one experiment with 10,000 runs × (20 params, 20 metrics): time to interactive after navigation,
//     and the longest frame while scrolling the whole table;
//   - a chart of 5 runs × 1,000,000 points: first draw, and zoom (re-fetch + redraw).
// Cairn is filled through its REST API (runs/create + runs/log-batch); MLflow's SQLite database gets the same rows
// with SQL (bench/lib/populate-mlflow-sqlite.mjs), as bench/run.mjs does. Drives Debian's chromium through
// playwright-core; medians over --runs fresh browser contexts. Needs `npm run build` (CLI and UI).
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { createExperiment, forEachConcurrent, getExperiment } from './lib/api.mjs'
import { bodyJson, expectOk, json } from './lib/http.mjs'
import { insertMlflowHistory, insertMlflowRuns } from './lib/populate-mlflow-sqlite.mjs'
import { cairnCommand, freePort, mlflowCommand, startServer } from './lib/servers.mjs'
import { median } from './lib/stats.mjs'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const API = '/api/2.0/mlflow'
const T0 = 1_750_000_000_000

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'table-runs': { type: 'string', default: '10000' },
    keys: { type: 'string', default: '20' },
    'chart-runs': { type: 'string', default: '5' },
    points: { type: 'string', default: '1000000' },
    servers: { type: 'string', default: 'cairn,mlflow' },
    chromium: { type: 'string', default: process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium' },
    'mlflow-timeout': { type: 'string', default: '60000' },
    keep: { type: 'boolean', default: false },
    // Also measure the chart on a second Cairn server over the same database with CAIRN_BUCKET_THREADS=0
    // (buckets read on the store's own connection, one run after another) for comparison.
    'serial-chart': { type: 'boolean', default: false },
  },
})
const REPS = Number(flags.runs)
const TABLE_RUNS = Number(flags['table-runs'])
const KEYS = Number(flags.keys)
const CHART_RUNS = Number(flags['chart-runs'])
const POINTS = Number(flags.points)
const MLFLOW_TIMEOUT = Number(flags['mlflow-timeout'])
const servers = flags.servers.split(',')
const log = (...parts) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts)

function runData(index) {
  return {
    runName: `r${String(index).padStart(5, '0')}`,
    startTime: T0 + index * 1000,
    tags: [{ key: 'team', value: `t${index % 7}` }],
    params: Array.from({ length: KEYS }, (_, key) => ({
      key: `p${key}`,
      value: String((index * (key + 3)) % 97),
    })),
    metrics: Array.from({ length: KEYS }, (_, key) => ({
      key: `m${key}`,
      value: Math.sin(index + key) * 100,
      timestamp: T0 + index,
      step: 0,
    })),
  }
}

/** Point `step` of chart run `run`: a noisy wave with one spike per run. */
function chartPoint(run, step) {
  const spike = step === 123_457 * (run + 1)
  return {
    value: spike ? 500 : Math.sin(step / 5000 + run) + (step % 97) / 970,
    timestamp: T0 + step * 10,
    step,
  }
}

async function postOk(client, route, body) {
  return bodyJson(expectOk(await client.post(`${API}/${route}`, json(body)), route))
}

async function populateCairn(server) {
  const client = server.client
  let started = performance.now()
  const tableExperiment = await createExperiment(client, 'ui-bench-table')
  await forEachConcurrent(TABLE_RUNS, 4, async (index) => {
    const data = runData(index)
    const created = await postOk(client, 'runs/create', {
      experiment_id: tableExperiment,
      run_name: data.runName,
      start_time: data.startTime,
      user_id: 'bench',
      tags: data.tags,
    })
    await postOk(client, 'runs/log-batch', {
      run_id: created.run.info.run_id,
      params: data.params,
      metrics: data.metrics,
    })
  })
  log(`cairn: ${TABLE_RUNS} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  started = performance.now()
  const chartExperiment = await createExperiment(client, 'ui-bench-chart')
  const chartRunIds = []
  for (let run = 0; run < CHART_RUNS; run++) {
    const created = await postOk(client, 'runs/create', {
      experiment_id: chartExperiment,
      run_name: `chart-${run}`,
      start_time: T0,
      user_id: 'bench',
    })
    chartRunIds.push(created.run.info.run_id)
  }
  await forEachConcurrent(CHART_RUNS * Math.ceil(POINTS / 1000), 4, async (job) => {
    const run = job % CHART_RUNS
    const offset = Math.floor(job / CHART_RUNS) * 1000
    const metrics = []
    for (let step = offset; step < Math.min(POINTS, offset + 1000); step++)
      metrics.push({ key: 'loss', ...chartPoint(run, step) })
    await postOk(client, 'runs/log-batch', { run_id: chartRunIds[run], metrics })
  })
  for (const runId of chartRunIds)
    await postOk(client, 'runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + POINTS * 10 })
  log(`cairn: ${CHART_RUNS} × ${POINTS} points in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return { tableExperiment, chartExperiment, chartRunIds }
}

async function populateMlflow(server, dir) {
  const client = server.client
  const dbPath = path.join(dir, 'mlflow.db')
  const tableExperiment = await createExperiment(client, 'ui-bench-table')
  const chartExperiment = await createExperiment(client, 'ui-bench-chart')
  // MLflow 3's UI opens GenAI experiments on a traces overview; these are model-training experiments.
  for (const experimentId of [tableExperiment, chartExperiment]) {
    await postOk(client, 'experiments/set-experiment-tag', {
      experiment_id: experimentId,
      key: 'mlflow.experimentKind',
      value: 'custom_model_development',
    })
  }
  const table = await getExperiment(client, tableExperiment)
  insertMlflowRuns({
    dbPath,
    experimentId: Number(tableExperiment),
    artifactLocation: table.artifact_location,
    count: TABLE_RUNS,
    runData,
  })
  const chart = await getExperiment(client, chartExperiment)
  const chartRunIds = insertMlflowRuns({
    dbPath,
    experimentId: Number(chartExperiment),
    artifactLocation: chart.artifact_location,
    count: CHART_RUNS,
    runData: (index) => ({ runName: `chart-${index}`, startTime: T0, tags: [], params: [], metrics: [] }),
  })
  for (const [run, runId] of chartRunIds.entries()) {
    insertMlflowHistory({
      dbPath,
      runId,
      key: 'loss',
      points: POINTS,
      pointAt: (step) => chartPoint(run, step),
    })
  }
  log(`mlflow: populated with SQL (${TABLE_RUNS} runs, ${CHART_RUNS} × ${POINTS} points)`)
  return { tableExperiment, chartExperiment, chartRunIds }
}

/** Milliseconds since navigation start, in the page. */
const pageNow = (page) => page.evaluate(() => performance.now())

/** Waits until the main thread has had a quiet moment: a frame, then a task. */
const settle = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0))),
  )

/** Scrolls `selector` from top to bottom, one viewport per frame; answers the longest frame and the frame count. */
async function scrollFrames(page, selector) {
  return page.evaluate(async (selector) => {
    const element = document.querySelector(selector)
    if (!element) return { longest: Number.NaN, frames: 0 }
    element.scrollTop = 0
    const frames = []
    let last = performance.now()
    await new Promise((resolve) => {
      const step = (now) => {
        frames.push(now - last)
        last = now
        if (element.scrollTop + element.clientHeight >= element.scrollHeight - 1) return resolve()
        element.scrollTop += element.clientHeight * 0.9
        requestAnimationFrame(step)
      }
      requestAnimationFrame(step)
    })
    const measured = frames.slice(1).sort((a, b) => a - b)
    return {
      longest: measured.at(-1),
      p95: measured[Math.floor(measured.length * 0.95)],
      over50: measured.filter((frame) => frame > 50).length,
      frames: measured.length,
    }
  }, selector)
}

async function cairnTable(browser, url, ids) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } })
  const page = await context.newPage()
  await page.goto(`${url}/#/experiments/${ids.tableExperiment}`)
  await page.locator('.grid-body .grid-row').first().waitFor({ timeout: 60_000 })
  const interactive = await settle(page)
  await page
    .getByTestId('run-count')
    .filter({ hasText: `${TABLE_RUNS} runs` })
    .filter({ hasNotText: 'loading' })
    .waitFor({ timeout: 120_000 })
  const allLoaded = await settle(page)
  const scroll = await scrollFrames(page, '[data-testid="runs-grid-scroller"]')
  await context.close()
  return {
    interactive,
    allLoaded,
    longestFrame: scroll.longest,
    p95Frame: scroll.p95,
    framesOver50: scroll.over50,
    frames: scroll.frames,
  }
}

async function mlflowTable(browser, url, ids) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } })
  const page = await context.newPage()
  try {
    await page.goto(`${url}/#/experiments/${ids.tableExperiment}/runs?compareRunsMode=TABLE`)
    await page
      .getByText(/^r\d{5}$/)
      .first()
      .waitFor({ timeout: MLFLOW_TIMEOUT })
    const interactive = await settle(page)
    const rows = await page.getByText(/^r\d{5}$/).count()
    // MLflow's runs table: the scrollable body of its grid.
    const selector = await page.evaluate(() => {
      const candidates = [...document.querySelectorAll('*')].filter(
        (element) =>
          element.scrollHeight > element.clientHeight + 50 &&
          getComputedStyle(element).overflowY !== 'visible' &&
          element.clientHeight > 200,
      )
      const target = candidates.sort((a, b) => b.scrollHeight - a.scrollHeight)[0]
      if (!target) return undefined
      target.setAttribute('data-bench-scroller', '1')
      return '[data-bench-scroller="1"]'
    })
    const scroll = selector ? await scrollFrames(page, selector) : { longest: Number.NaN, frames: 0 }
    return {
      interactive,
      rowsShown: rows,
      longestFrame: scroll.longest,
      p95Frame: scroll.p95,
      framesOver50: scroll.over50,
      frames: scroll.frames,
    }
  } catch (error) {
    return { failed: String(error.message ?? error).split('\n')[0] }
  } finally {
    await context.close()
  }
}

async function cairnChart(browser, url, ids) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } })
  const page = await context.newPage()
  const hash = `#/compare?runs=${ids.chartRunIds.join(',')}&metrics=loss`
  await page.goto(`${url}/${hash}`)
  const chart = page.getByTestId('chart-loss')
  await page.waitForFunction(
    () => (window.__cairnChartEvents ?? []).some((event) => event.type === 'draw' && event.points > 0),
    null,
    { timeout: 60_000 },
  )
  const events = await page.evaluate(() => window.__cairnChartEvents)
  const firstFetch = events.find((event) => event.type === 'fetch')
  const firstDraw = events.find((event) => event.type === 'draw' && event.points > 0)
  await page.waitForFunction(
    () => {
      const events = window.__cairnChartEvents ?? []
      const data = events.findIndex((event) => event.type === 'data')
      return data !== -1 && events.slice(data).some((event) => event.type === 'draw')
    },
    null,
    { timeout: 60_000 },
  )
  const allEvents = await page.evaluate(() => window.__cairnChartEvents)
  const completeDraw = allEvents
    .slice(allEvents.findIndex((event) => event.type === 'data'))
    .find((event) => event.type === 'draw')
  const maxShown = Number(await chart.getAttribute('data-max'))
  // Zoom: drag over 10% of the plot, then wait for the redraw with the new range's buckets.
  await chart.scrollIntoViewIfNeeded()
  const box = await chart.locator('.u-over').boundingBox()
  const before = allEvents.length
  await page.mouse.move(box.x + box.width * 0.4, box.y + 30)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.5, box.y + 30, { steps: 4 })
  const zoomStart = await pageNow(page)
  await page.mouse.up()
  await page.waitForFunction(
    (before) => {
      const events = (window.__cairnChartEvents ?? []).slice(before)
      const data = events.findIndex((event) => event.type === 'data')
      return data !== -1 && events.slice(data).some((event) => event.type === 'draw')
    },
    before,
    { timeout: 30_000 },
  )
  const after = (await page.evaluate(() => window.__cairnChartEvents)).slice(before)
  const dataIndex = after.findIndex((event) => event.type === 'data')
  const zoomDraw = after.slice(dataIndex).find((event) => event.type === 'draw')
  await context.close()
  return {
    navigationToFirstDraw: firstDraw.at,
    requestToFirstDraw: firstDraw.at - firstFetch.at,
    requestToCompleteDraw: completeDraw.at - firstFetch.at,
    zoom: zoomDraw.at - zoomStart,
    pointsDrawn: firstDraw.points,
    spikeVisible: maxShown >= 500,
  }
}

async function mlflowChart(browser, url, ids) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } })
  const page = await context.newPage()
  try {
    // MLflow's chart view of the runs page overlays the experiment's runs (the first 10) per metric.
    await page.goto(`${url}/#/experiments/${ids.chartExperiment}/runs?compareRunsMode=CHART`)
    await page.waitForFunction(
      () => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length > 0,
      null,
      {
        timeout: MLFLOW_TIMEOUT,
      },
    )
    const drawn = await settle(page)
    const traces = await page.evaluate(
      () => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length,
    )
    return { navigationToDraw: drawn, traces }
  } catch (error) {
    return { failed: String(error.message ?? error).split('\n')[0] }
  } finally {
    await context.close()
  }
}

function medians(results) {
  const keys = Object.keys(results[0] ?? {})
  return Object.fromEntries(
    keys.map((key) => {
      const values = results.map((result) => result[key])
      return [key, typeof values[0] === 'number' ? Math.round(median(values) * 10) / 10 : values[0]]
    }),
  )
}

async function main() {
  if (!existsSync(path.join(REPO, 'packages/ui/dist/index.html')))
    throw new Error('build the UI first: npm run build')
  if (!existsSync(flags.chromium)) throw new Error(`chromium not found at ${flags.chromium}`)
  const browser = await chromium.launch({
    executablePath: flags.chromium,
    args: ['--no-sandbox', '--headless'],
  })
  const report = {
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg(),
    reps: REPS,
    tableRuns: TABLE_RUNS,
    keys: KEYS,
    chartRuns: CHART_RUNS,
    points: POINTS,
  }
  try {
    for (const name of servers) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `ui-bench-${name}-`))
      const port = await freePort()
      const spec =
        name === 'mlflow'
          ? mlflowCommand({ repoRoot: REPO, dir, port, workers: 1 })
          : cairnCommand({ cairnRoot: REPO, backendUri: `sqlite:///${path.join(dir, 'cairn.db')}`, port })
      const server = await startServer({ name, ...spec, cwd: dir })
      try {
        const ids = name === 'mlflow' ? await populateMlflow(server, dir) : await populateCairn(server)
        const table = []
        const chart = []
        for (let rep = 0; rep < REPS; rep++) {
          table.push(await (name === 'mlflow' ? mlflowTable : cairnTable)(browser, server.baseUrl, ids))
          chart.push(await (name === 'mlflow' ? mlflowChart : cairnChart)(browser, server.baseUrl, ids))
          log(`${name} rep ${rep + 1}:`, JSON.stringify(table.at(-1)), JSON.stringify(chart.at(-1)))
        }
        report[name] = { table: medians(table), chart: medians(chart), loadAverage: os.loadavg() }
        if (name === 'cairn' && flags['serial-chart']) {
          await server.stop()
          const serialPort = await freePort()
          const serial = await startServer({
            name: 'cairn-serial',
            ...cairnCommand({
              cairnRoot: REPO,
              backendUri: `sqlite:///${path.join(dir, 'cairn.db')}`,
              port: serialPort,
            }),
            env: { CAIRN_BUCKET_THREADS: '0' },
            cwd: dir,
          })
          try {
            const serialChart = []
            for (let rep = 0; rep < REPS; rep++) {
              serialChart.push(await cairnChart(browser, serial.baseUrl, ids))
              log(`cairn (CAIRN_BUCKET_THREADS=0) rep ${rep + 1}:`, JSON.stringify(serialChart.at(-1)))
            }
            report.cairnSerialChart = { chart: medians(serialChart), loadAverage: os.loadavg() }
          } finally {
            await serial.stop()
          }
        }
      } finally {
        await server.stop()
        if (!flags.keep) rmSync(dir, { recursive: true, force: true })
      }
    }
  } finally {
    await browser.close()
  }
  console.log(JSON.stringify(report, null, 2))
}

await main()
