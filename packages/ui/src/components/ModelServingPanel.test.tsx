// @vitest-environment happy-dom
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type RealServer, renderWithClient, startRealServer } from '../test-support/real-server.js'
import { ModelServingPanel } from './ModelServingPanel.js'

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
  inputs: '[{"type": "double", "name": "sepal length", "required": true}, {"type": "string", "name": "note", "required": false}]'
  outputs: '[{"type": "long", "required": true}]'
  params: '[{"name": "threshold", "type": "double", "default": 0.5, "shape": null}]'
`

let server: RealServer
let experimentId: string
beforeAll(async () => {
  server = await startRealServer()
  experimentId = await server.client.createExperiment({ name: `serving-panel-${Date.now()}` })
})
afterAll(() => server?.close())
afterEach(cleanup)

/** Registers a version of a new model from a run whose `model/` folder holds `files` (written to its artifact root). */
async function registerVersion(name: string, files: Record<string, string>, aliases: string[] = []) {
  const run = await server.client.createRun({ experimentId })
  const root = run.info.artifactUri
  const directory = join(root.startsWith('file:') ? fileURLToPath(root) : root, 'model')
  await mkdir(directory, { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(directory, file), text)
  await server.client.registry.createRegisteredModel({ name })
  const version = await server.client.registry.createModelVersion({
    name,
    source: `runs:/${run.info.runId}/model`,
    runId: run.info.runId,
  })
  for (const alias of aliases)
    await server.client.registry.setRegisteredModelAlias(name, alias, version.version)
  return version.version
}

describe('ModelServingPanel on a real server', () => {
  it('shows flavours, the signature tables, the input example and copyable commands', async () => {
    const version = await registerVersion('iris classifier', { MLmodel: MLMODEL }, ['champion'])
    renderWithClient(
      server.client,
      <ModelServingPanel
        name="iris classifier"
        version={version}
        aliases={['champion']}
        browseHref={(path) => `#/browse/${path}`}
      />,
    )
    const inputs = await screen.findByRole('table', { name: 'Signature inputs' })
    const rows = [...inputs.querySelectorAll('tr')].map((row) =>
      [...row.querySelectorAll('th, td')].map((cell) => cell.textContent),
    )
    expect(rows).toEqual([
      ['Name', 'Type', 'Required'],
      ['sepal length', 'double', 'yes'],
      ['note', 'string', 'no'],
    ])
    const outputs = screen.getByRole('table', { name: 'Signature outputs' })
    expect(within(outputs).getByText('(unnamed 0)')).toBeTruthy()
    const params = screen.getByRole('table', { name: 'Signature params' })
    expect(within(params).getByText('threshold')).toBeTruthy()
    expect(within(params).getByText('0.5')).toBeTruthy()
    expect(screen.getByText('js').tagName).toBe('CODE')
    expect(screen.getByText('python_function')).toBeTruthy()
    expect(screen.getByText(/Cairn serves it with js/)).toBeTruthy()
    expect(screen.getByRole('link', { name: 'input_example.json' }).getAttribute('href')).toBe(
      '#/browse/input_example.json',
    )

    const commands = screen.getAllByTestId('model-command').map((block) => block.textContent)
    expect(commands).toEqual([
      `cairn models serve -m 'models:/iris classifier/${version}' -p 8080`,
      "cairn models serve -m 'models:/iris classifier@champion' -p 8080",
      [
        'curl -X POST http://127.0.0.1:8080/invocations \\',
        "  -H 'Content-Type: application/json' \\",
        `  -d '{"dataframe_split":{"columns":["sepal length","note"],"data":[[0,""]]}}'`,
      ].join('\n'),
    ])
    const copy = screen.getByRole('button', { name: 'Copy curl example' })
    await act(async () => fireEvent.click(copy))
    expect(screen.getByRole('status').textContent).toBe('Copied')
    expect(await navigator.clipboard.readText()).toBe(commands[2])
  })

  it('says so when the version has no signature, or no MLmodel at all', async () => {
    const unsigned = await registerVersion('unsigned', { MLmodel: 'flavors:\n  python_function: {}\n' })
    renderWithClient(server.client, <ModelServingPanel name="unsigned" version={unsigned} aliases={[]} />)
    expect((await screen.findByText(/has no signature/)).textContent).toContain('unchecked')
    expect(screen.getByText(/this model has neither/)).toBeTruthy()
    expect(screen.queryByText('Score')).toBeNull()
    expect(screen.getAllByTestId('model-command')).toHaveLength(1)
    cleanup()

    const empty = await registerVersion('no-mlmodel', { 'README.md': 'not a model' })
    renderWithClient(server.client, <ModelServingPanel name="no-mlmodel" version={empty} aliases={[]} />)
    expect((await screen.findByTestId('serving-note')).textContent).toMatch(/no MLmodel file/)
    expect(screen.queryByTestId('model-command')).toBeNull()
  })
})
