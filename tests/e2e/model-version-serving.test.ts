// The model version page's Serving panel end to end: a version registered from a run whose `model/` folder was
// logged with the SDK's node `logArtifacts` (MLmodel with a column signature), opened in Debian's chromium.
// Saves a screenshot to the system temp folder (cairn-model-version-serving.png).
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CairnClient } from '@cairn/sdk'
import { logArtifacts } from '@cairn/sdk/node'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CairnProcess, sqliteUri, startCairn, tempDir } from '../integration/helpers/cairn-process.mjs'
import { ensureUiBuilt, launchChromium, SKIP_BROWSER } from './helpers/browser.js'

const MODEL = 'e2e-serving'
const MLMODEL = `artifact_path: model
flavors:
  js:
    code: js
    entry: js/model.mjs
  python_function:
    loader_module: mlflow.pyfunc.model
saved_input_example_info:
  artifact_path: input_example.json
  type: dataframe
  pandas_orient: split
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "long", "name": "petals", "required": false}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
  params: null
`

describe.skipIf(SKIP_BROWSER)('model version serving panel in chromium', () => {
  let server: CairnProcess
  let browser: Browser

  beforeAll(async () => {
    ensureUiBuilt()
    server = await startCairn({
      backendStoreUri: sqliteUri(path.join(tempDir('cairn-e2e-serving-'), 'ui.db')),
    })
    browser = await launchChromium()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('shows the signature table and copyable serve commands of a registered version', async () => {
    const client = new CairnClient({ trackingUri: server.url })
    const experimentId = await client.createExperiment({ name: 'e2e-serving' })
    const run = await client.createRun({ experimentId, runName: 'trainer' })
    const local = path.join(tempDir('cairn-e2e-model-'), 'model')
    await mkdir(local, { recursive: true })
    await writeFile(path.join(local, 'MLmodel'), MLMODEL)
    await writeFile(
      path.join(local, 'input_example.json'),
      '{"columns": ["sepal_length", "petals"], "data": [[5.1, 2]]}',
    )
    await logArtifacts(client, run.info.runId, local, { artifactPath: 'model' })
    await client.registry.createRegisteredModel({ name: MODEL })
    await client.registry.createModelVersion({
      name: MODEL,
      source: `runs:/${run.info.runId}/model`,
      runId: run.info.runId,
    })
    await client.registry.setRegisteredModelAlias(MODEL, 'champion', '1')

    const context = await browser.newContext({ viewport: { width: 1200, height: 1400 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(`${server.url}/#/models/${MODEL}/versions/1`)

    const inputs = page.getByRole('table', { name: 'Signature inputs' })
    await inputs.waitFor()
    const rows = await inputs
      .locator('tr')
      .evaluateAll((items) => items.map((row) => Array.from(row.children, (cell) => cell.textContent)))
    expect(rows).toEqual([
      ['Name', 'Type', 'Required'],
      ['sepal_length', 'double', 'yes'],
      ['petals', 'long', 'no'],
    ])
    const outputs = page.getByRole('table', { name: 'Signature outputs' })
    expect(await outputs.locator('tbody td').allTextContents()).toEqual([
      '(unnamed 0)',
      'tensor float32',
      '(-1, 3)',
    ])

    const commands = await page.getByTestId('model-command').allTextContents()
    expect(commands.slice(0, 2)).toEqual([
      `cairn models serve -m models:/${MODEL}/1 -p 8080`,
      `cairn models serve -m models:/${MODEL}@champion -p 8080`,
    ])
    expect(commands[2]).toContain(
      `'{"dataframe_split":{"columns":["sepal_length","petals"],"data":[[0,0]]}}'`,
    )

    await page.getByRole('button', { name: `Copy serve command for models:/${MODEL}@champion` }).click()
    await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(commands[1])

    // The input example links into the run's artifact browser.
    await page.getByRole('link', { name: 'input_example.json' }).click()
    await page.getByTestId('artifact-preview').filter({ hasText: 'model/input_example.json' }).waitFor()
    await page.goBack()
    await inputs.waitFor()
    await page
      .getByRole('region', { name: 'Serving' })
      .screenshot({ path: path.join(tmpdir(), 'cairn-model-version-serving.png') })
    expect(errors).toEqual([])
    await context.close()
  }, 90_000)
})
