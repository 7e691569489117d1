// The web UI end to end: a real `cairn server` (built CLI, SQLite store, artifact proxy) filled through the SDK,
// driven by Debian's chromium through playwright-core. Writes screenshots of the main pages to docs/screenshots/.
import path from 'node:path'
import { CairnClient } from '@cairn/sdk'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CairnProcess, sqliteUri, startCairn, tempDir } from '../integration/helpers/cairn-process.mjs'
import { ensureUiBuilt, launchChromium, SCREENSHOTS, SKIP_BROWSER } from './helpers/browser.js'

const RUNS = 40
const SPIKE_POINTS = 100_000
const SPIKE_STEP = 76_543
/** A 1×1 PNG. */
const PIXEL_PNG = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
)

describe.skipIf(SKIP_BROWSER)('web UI in chromium', () => {
  let server: CairnProcess
  let browser: Browser
  let page: Page
  let client: CairnClient
  let experimentId: string
  let parentRunId: string
  let spikyRunId: string
  const runIdsByName = new Map<string, string>()

  const open = async (hash: string) => {
    await page.goto(`${server.url}/${hash}`)
  }
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) })

  beforeAll(async () => {
    ensureUiBuilt()
    server = await startCairn({ backendStoreUri: sqliteUri(path.join(tempDir('cairn-e2e-'), 'ui.db')) })
    client = new CairnClient({ trackingUri: server.url })
    experimentId = await client.createExperiment({ name: 'e2e-ui', tags: { team: 'vision' } })
    const parent = await client.createRun({
      experimentId,
      runName: 'sweep-parent',
      startTime: 1_700_000_000_000,
    })
    parentRunId = parent.info.runId
    for (let index = 0; index < RUNS; index++) {
      const run = await client.createRun({
        experimentId,
        runName: `trial-${String(index).padStart(2, '0')}`,
        startTime: 1_700_000_000_000 + (index + 1) * 60_000,
        tags: index < 3 ? { 'mlflow.parentRunId': parentRunId } : { stage: index % 2 ? 'dev' : 'prod' },
      })
      runIdsByName.set(run.info.runName, run.info.runId)
      await client.logBatch({
        runId: run.info.runId,
        params: [
          { key: 'lr', value: String((index + 1) / 1000) },
          { key: 'model', value: index % 3 === 0 ? 'tree' : 'linear' },
        ],
        metrics: [
          { key: 'acc', value: index / RUNS, step: 0, timestamp: 1_700_000_000_000 },
          ...Array.from({ length: 50 }, (_, step) => ({
            key: 'loss',
            value: 1 / (step + 1 + index),
            step,
            timestamp: 1_700_000_000_000 + step * 1000,
          })),
        ],
      })
      await client.updateRun({
        runId: run.info.runId,
        status: 'FINISHED',
        endTime: 1_700_000_000_000 + (index + 2) * 60_000,
      })
    }
    const spiky = await client.createRun({ experimentId, runName: 'spiky', startTime: 1_700_000_000_000 })
    spikyRunId = spiky.info.runId
    for (let offset = 0; offset < SPIKE_POINTS; offset += 1000) {
      await client.logBatch({
        runId: spikyRunId,
        metrics: Array.from({ length: 1000 }, (_, index) => {
          const step = offset + index
          return {
            key: 'loss',
            value: step === SPIKE_STEP ? 1000 : Math.sin(step / 500),
            step,
            timestamp: 1_700_000_000_000 + step,
          }
        }),
      })
    }
    await client.setTag({
      runId: spikyRunId,
      key: 'mlflow.note.content',
      value: '# Notes\n\n**bold** <img src=x onerror="window.__xss=1">',
    })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    page.on('pageerror', (error) => console.error('page error:', error.message))
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('lists experiments and opens the MLflow-style experiment link', async () => {
    await open('#/')
    await page.getByRole('link', { name: 'e2e-ui' }).waitFor()
    await shot('experiments')
    await page.getByRole('link', { name: 'e2e-ui' }).click()
    await page
      .getByTestId('run-count')
      .filter({ hasText: `${RUNS + 2} runs` })
      .waitFor()
    expect(page.url()).toContain(`#/experiments/${experimentId}`)
  })

  it('filters runs with the search grammar, with completion and clear errors', async () => {
    await open(`#/experiments/${experimentId}`)
    await page
      .getByTestId('run-count')
      .filter({ hasText: `${RUNS + 2} runs` })
      .waitFor()
    const box = page.getByRole('combobox', { name: 'Filter runs' })
    await box.fill('metrics.ac')
    await page.getByRole('option', { name: 'metrics.acc' }).waitFor()
    await box.press('Tab')
    expect(await box.inputValue()).toBe('metrics.acc ')
    await box.pressSequentially('>= 0.5 and params.model = ')
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/Invalid clause|Expected/)
    await box.pressSequentially("'linear'")
    await box.press('Enter')
    // acc = i/40 ≥ 0.5 for i = 20..39, of which model is 'linear' when i % 3 ≠ 0: 13 runs.
    await page.getByTestId('run-count').filter({ hasText: '13 runs' }).waitFor()
    const query = new URLSearchParams(page.url().split('?')[1])
    expect(query.get('filter')).toBe("metrics.acc >= 0.5 and params.model = 'linear'")
    await shot('runs-filtered')
  })

  it('sorts by a metric column and keeps the sort in the URL', async () => {
    await open(
      `#/experiments/${experimentId}?cols=attributes.run_name,metrics.acc,params.lr,params.model&tree=0`,
    )
    await page
      .getByTestId('run-count')
      .filter({ hasText: `${RUNS + 2} runs` })
      .waitFor()
    await page.getByRole('button', { name: 'metrics.acc' }).click()
    await expect.poll(() => page.url()).toContain('sort=metrics.acc')
    const firstName = page.locator('.grid-body .grid-row').first().locator('.name-cell a')
    await expect.poll(() => firstName.textContent()).toBe('trial-39')
    await page.getByRole('button', { name: /metrics\.acc/ }).click()
    await expect.poll(() => firstName.textContent()).toBe('trial-00')
    await shot('runs')
  })

  it('nests child runs under their parent and groups by a param with aggregates', async () => {
    await open(
      `#/experiments/${experimentId}?cols=attributes.run_name,metrics.acc&sort=attributes.start_time`,
    )
    const parentRow = page.locator('.grid-row', { hasText: 'sweep-parent' })
    await parentRow.getByText('(3)').waitFor()
    await open(`#/experiments/${experimentId}?cols=attributes.run_name,metrics.acc&group=params.model`)
    const group = page.locator('.group-row', { hasText: 'params.model = tree' })
    await group.waitFor()
    // acc of tree runs: i/40 for i = 0, 3, …, 39 → min 0, max 0.975.
    expect(await group.textContent()).toMatch(/0 \/ 0\.4875 \/ 0\.975/)
  })

  it('opens a run from the table, shows params, safe markdown and editable tags', async () => {
    await open(`#/experiments/${experimentId}?cols=attributes.run_name,metrics.acc&tree=0`)
    await page.getByRole('link', { name: 'trial-05' }).click()
    await page.getByRole('heading', { name: 'trial-05' }).waitFor()
    expect(page.url()).toContain(`#/experiments/${experimentId}/runs/${runIdsByName.get('trial-05')}`)
    await page.getByRole('row', { name: /lr 0\.006/ }).waitFor()
    await page.getByRole('textbox', { name: 'New tag key' }).fill('reviewed')
    await page.getByRole('textbox', { name: 'New tag value' }).fill('yes')
    await page.getByRole('button', { name: 'Add tag' }).click()
    await page.getByRole('row', { name: /reviewed yes/ }).waitFor()
    const run = await client.getRun(runIdsByName.get('trial-05')!)
    expect(run.data.tags).toContainEqual({ key: 'reviewed', value: 'yes' })
    await shot('run')

    await open(`#/experiments/${experimentId}/runs/${spikyRunId}`)
    await page.locator('.markdown strong', { hasText: 'bold' }).waitFor()
    expect(await page.locator('.markdown img').count()).toBe(0)
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined()
  })

  it('draws a 100,000-point chart with its one-point spike, and zooms by re-fetching buckets', async () => {
    await open(`#/experiments/${experimentId}/runs/${spikyRunId}?tab=charts`)
    const chart = page.getByTestId('chart-loss')
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThan(100)
    expect(Number(await chart.getAttribute('data-points'))).toBeLessThan(10_000)
    expect(Number(await chart.getAttribute('data-max'))).toBe(1000)
    await shot('chart')
    const overlay = chart.locator('.u-over')
    const box = (await overlay.boundingBox())!
    await page.mouse.move(box.x + box.width * 0.7, box.y + 20)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.8, box.y + 20, { steps: 5 })
    await page.mouse.up()
    await chart.getByText(/^steps \d+–\d+$/).waitFor()
    const range = (await chart.getByText(/^steps \d+–\d+$/).textContent())!.match(/(\d+)–(\d+)/)!
    expect(Number(range[1])).toBeGreaterThan(60_000)
    expect(Number(range[2])).toBeLessThan(90_000)
    // The zoomed range still holds the spike: its buckets come from the server for that range.
    await expect.poll(async () => Number(await chart.getAttribute('data-max'))).toBe(1000)
    // The keyboard reaches the same zoom: 0 resets, + zooms to the middle half, arrows pan.
    await chart.focus()
    await page.keyboard.press('0')
    await chart.getByText(/^steps /).waitFor({ state: 'detached' })
    await page.keyboard.press('+')
    await chart.getByText(/^steps \d+–\d+$/).waitFor()
    const middle = (await chart.getByText(/^steps \d+–\d+$/).textContent())!.match(/(\d+)–(\d+)/)!
    expect(Number(middle[1])).toBeGreaterThan(20_000)
    expect(Number(middle[2])).toBeLessThan(80_000)
    await page.keyboard.press('ArrowRight')
    const [panMin, panMax] = [Number(middle[1]) + 12_500, Number(middle[2]) + 12_500]
    await chart.getByText(`steps ${panMin}–${panMax}`).waitFor()
    // The zoom is in the URL: a reload (or a shared link) opens the chart zoomed the same way.
    expect(page.url()).toContain(`zoom.loss=${panMin}%3A${panMax}`)
    await page.reload()
    await chart.getByText(`steps ${panMin}–${panMax}`).waitFor()
    await expect.poll(async () => Number(await chart.getAttribute('data-max'))).toBe(1000)
    await chart.focus()
    await page.keyboard.press('Escape')
    await chart.getByText(/^steps /).waitFor({ state: 'detached' })
  })

  it('updates the chart of a running run as it logs (live)', async () => {
    // Its own experiment, so the other tests' run counts stay as they are.
    const liveExperiment = await client.createExperiment({ name: 'e2e-ui-live' })
    const live = await client.createRun({ experimentId: liveExperiment, runName: 'live-run' })
    const runId = live.info.runId
    const points = (from: number, value: (step: number) => number) =>
      Array.from({ length: 10 }, (_, index) => ({
        key: 'live',
        value: value(from + index),
        step: from + index,
        timestamp: 1_700_000_000_000 + from + index,
      }))
    await client.logBatch({ runId, metrics: points(0, (step) => step) })
    await open(`#/experiments/${liveExperiment}/runs/${runId}?tab=charts`)
    const chart = page.getByTestId('chart-live')
    await chart.locator('.badge.live').waitFor()
    await expect.poll(async () => Number(await chart.getAttribute('data-max'))).toBe(9)
    await client.logBatch({ runId, metrics: points(10, (step) => (step === 15 ? 777 : step)) })
    await expect.poll(async () => Number(await chart.getAttribute('data-max')), { timeout: 15_000 }).toBe(777)
    await client.updateRun({ runId, status: 'FINISHED', endTime: 1_700_000_100_000 })
  })

  it('compares two selected runs: highlighted differences, plots and overlaid charts', async () => {
    await open(`#/experiments/${experimentId}?cols=attributes.run_name,metrics.acc&tree=0`)
    await page.getByRole('checkbox', { name: 'Select run trial-09' }).check()
    await page.getByRole('checkbox', { name: 'Select run trial-20' }).check()
    await page.getByRole('button', { name: 'Compare' }).click()
    await page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor()
    const lrRow = page.locator('.diff-table tr', { hasText: 'params.lr' })
    expect(await lrRow.getAttribute('data-differs')).toBe('true')
    expect(
      await page.locator('.diff-table tr', { hasText: 'params.model' }).getAttribute('data-differs'),
    ).toBe('true')
    await page.getByRole('img', { name: 'Parallel coordinates' }).waitFor()
    await expect
      .poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points')))
      .toBeGreaterThan(50)
    await shot('compare')
  })

  it('browses and previews artifacts (text, JSON, CSV, HTML in a sandbox, image)', async () => {
    const runId = runIdsByName.get('trial-01')!
    await client.artifacts.logText(runId, 'epoch 1 loss 0.5\nepoch 2 loss 0.25\n', 'logs/train.log')
    await client.artifacts.logDict(runId, { lr: 0.002, layers: [64, 32] }, 'config.json')
    await client.artifacts.logText(runId, 'name,score\nalpha,1\n"b, quoted",2\n', 'data/scores.csv')
    await client.artifacts.logText(
      runId,
      '<h1 id="inside">Report</h1><script>try { parent.__escaped = 1 } catch {}' +
        "fetch('/api/2.0/mlflow/experiments/search?max_results=1', { mode: 'no-cors' }).then(" +
        "() => { document.body.dataset.network = 'open' }, () => { document.body.dataset.network = 'blocked' })</script>",
      'report.html',
    )
    await client.artifacts.logImage(runId, PIXEL_PNG, 'plots/pixel.png')
    await client.artifacts.logText(
      runId,
      '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" onload="top.__svgRan = 1"></svg>',
      'plots/shape.svg',
    )
    await client.artifacts.logText(
      runId,
      'artifact_path: model\nflavors:\n  python_function:\n    loader_module: m\n',
      'model/MLmodel',
    )
    await open(`#/experiments/${experimentId}/runs/${runId}?tab=artifacts`)
    await page.getByRole('button', { name: /config\.json/ }).click()
    await page.getByTestId('artifact-preview').getByText('"layers": [').waitFor()
    await page.getByRole('button', { name: /data\// }).click()
    await page.getByRole('button', { name: /scores\.csv/ }).click()
    await page.getByRole('cell', { name: 'b, quoted' }).waitFor()
    await page.getByRole('button', { name: /logs\// }).click()
    await page.getByRole('button', { name: /train\.log/ }).click()
    await page.getByText('epoch 2 loss 0.25').waitFor()
    await page.getByRole('button', { name: /model\// }).click()
    await page.getByRole('button', { name: /MLmodel/ }).click()
    await page.locator('.mlmodel dd', { hasText: 'python_function' }).waitFor()
    await page.getByRole('button', { name: /plots\// }).click()
    await page.getByRole('button', { name: /pixel\.png/ }).click()
    const image = page.getByRole('img', { name: 'pixel.png' })
    await expect.poll(() => image.evaluate((element) => (element as HTMLImageElement).naturalWidth)).toBe(1)
    const download = page.getByRole('link', { name: /Download/ })
    expect(
      await download.evaluate(
        async (link) => (await (await fetch((link as HTMLAnchorElement).href)).blob()).type,
      ),
    ).toBe('image/png')
    await page.getByRole('button', { name: /shape\.svg/ }).click()
    const svg = page.getByRole('img', { name: 'shape.svg' })
    await expect.poll(() => svg.evaluate((element) => (element as HTMLImageElement).naturalWidth)).toBe(2)
    expect(await svg.getAttribute('src')).toMatch(/^data:image\/svg\+xml/)
    expect(
      await download.evaluate(
        async (link) => (await (await fetch((link as HTMLAnchorElement).href)).blob()).type,
      ),
    ).toBe('application/octet-stream')
    expect(await page.evaluate(() => (window as { __svgRan?: number }).__svgRan)).toBeUndefined()
    await page.getByRole('button', { name: /report\.html/ }).click()
    const frame = page.locator('iframe.preview-frame')
    expect(await frame.getAttribute('sandbox')).toBe('allow-scripts')
    await page.frameLocator('iframe.preview-frame').locator('#inside').waitFor()
    // The report's script ran, but its request to the tracking API was refused by the frame's policy.
    await page.frameLocator('iframe.preview-frame').locator('body[data-network="blocked"]').waitFor()
    expect(await page.evaluate(() => (window as { __escaped?: number }).__escaped)).toBeUndefined()
    expect(await page.getByRole('link', { name: /Download/ }).getAttribute('download')).toBe('report.html')
    await shot('artifacts')
  })

  it('sets an alias on the model page and shows version lineage', async () => {
    const runId = runIdsByName.get('trial-02')!
    await client.registry.createRegisteredModel({ name: 'e2e-model', description: 'Scores **trials**' })
    await client.registry.createModelVersion({ name: 'e2e-model', source: `runs:/${runId}/model`, runId })
    await open('#/models/e2e-model')
    await page.getByRole('heading', { name: 'e2e-model' }).waitFor()
    await page.getByRole('textbox', { name: 'Alias' }).fill('champion')
    await page.getByRole('button', { name: 'Set alias' }).click()
    await page.getByText('@champion').first().waitFor()
    const model = await client.registry.getRegisteredModel('e2e-model')
    expect(model.aliases).toContainEqual({ alias: 'champion', version: '1' })
    await shot('model')
    await open('#/models?q=E2E-MOD')
    await page.getByRole('link', { name: 'e2e-model' }).waitFor()
    await open('#/models?q=nothing-like-this')
    await page.getByText('No registered models.').waitFor()
    await open('#/models/e2e-model/versions/1')
    await page.getByRole('combobox', { name: 'Stage' }).selectOption('Staging')
    await expect
      .poll(async () => (await client.registry.getModelVersion('e2e-model', '1')).currentStage)
      .toBe('Staging')
    await page.getByRole('link', { name: 'trial-02' }).waitFor()
    await page.getByRole('link', { name: /Browse the run's artifacts/ }).click()
    await page.getByRole('tab', { name: 'Artifacts', selected: true }).waitFor()
  })

  it('shows two experiments at once, and deletes and restores selected runs', async () => {
    const other = await client.createExperiment({ name: 'e2e-ui-other' })
    const extra = await client.createRun({ experimentId: other, runName: 'other-run' })
    await open(`#/experiments/${experimentId},${other}?tree=0`)
    await page
      .getByTestId('run-count')
      .filter({ hasText: `${RUNS + 3} runs` })
      .waitFor()
    await page.getByRole('columnheader', { name: 'Experiment' }).waitFor()
    await page.locator('.grid-row', { hasText: 'other-run' }).getByText('e2e-ui-other').waitFor()

    await page.getByRole('checkbox', { name: 'Select run other-run' }).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    await page
      .getByTestId('run-count')
      .filter({ hasText: `${RUNS + 2} runs` })
      .waitFor()
    expect((await client.getRun(extra.info.runId)).info.lifecycleStage).toBe('deleted')
    await page.getByRole('combobox', { name: 'Show runs' }).selectOption('deleted')
    await page.getByRole('checkbox', { name: 'Select run other-run' }).check()
    await page.getByRole('button', { name: 'Restore' }).click()
    await expect.poll(async () => (await client.getRun(extra.info.runId)).info.lifecycleStage).toBe('active')
  })

  it('switches to the dark theme and stays keyboard reachable', async () => {
    await open(`#/experiments/${experimentId}?tree=0`)
    await page.getByRole('button', { name: 'Switch to dark theme' }).click()
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    const grid = page.getByLabel('Run rows (arrow keys move, Enter opens, Space selects)')
    await grid.focus()
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Space')
    await expect.poll(() => page.url()).toContain('sel=')
    await shot('runs-dark')
    await page.keyboard.press('Enter')
    await page.getByRole('tab', { name: 'Overview' }).waitFor()
    await page.getByRole('button', { name: 'Switch to light theme' }).click()
  })
})
