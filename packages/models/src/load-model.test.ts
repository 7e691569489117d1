import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MlflowError } from '@cairn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { saveJsModel } from './flavors/js/index.js'
import { saveOnnxModel } from './flavors/onnx/index.js'
import { readMlModel, writeMlModel } from './format/mlmodel.js'
import { loadModelFromDirectory } from './load-model.js'

const ONNX_FIXTURES = fileURLToPath(new URL('./flavors/onnx/__fixtures__/', import.meta.url))

let workspace: string
let counter = 0

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'cairn-load-model-'))
})

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true })
})

async function makeSource(): Promise<string> {
  const source = path.join(workspace, `source-${++counter}`)
  await mkdir(source, { recursive: true })
  await writeFile(
    path.join(source, 'package.json'),
    JSON.stringify({ name: 'm', version: '1.0.0', type: 'module' }),
  )
  await writeFile(
    path.join(source, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, packages: {} }),
  )
  await writeFile(
    path.join(source, 'model.mjs'),
    [
      'export function predict(input, params) {',
      "  const at = input.columns.indexOf('x')",
      "  return { kind: 'dataframe', columns: ['y'], rows: input.rows.map((row) => [row[at] * (params?.factor ?? 10)]) }",
      '}',
      '',
    ].join('\n'),
  )
  return source
}

async function saved(signature?: Parameters<typeof saveJsModel>[0]['signature']): Promise<string> {
  const directory = path.join(workspace, `model-${++counter}`)
  await saveJsModel({
    directory,
    source: await makeSource(),
    entry: 'model.mjs',
    ...(signature && { signature }),
  })
  return directory
}

describe('loadModelFromDirectory', () => {
  it('loads a JS model directory', async () => {
    const directory = await saved()
    const model = await loadModelFromDirectory(directory)
    expect(model.flavor).toBe('js')
    expect(await model.predict({ kind: 'dataframe', columns: ['x'], rows: [[3]] })).toEqual({
      kind: 'dataframe',
      columns: ['y'],
      rows: [[30]],
    })
  })

  it('answers RESOURCE_DOES_NOT_EXIST without an MLmodel file', async () => {
    const empty = path.join(workspace, `empty-${++counter}`)
    await mkdir(empty)
    await expect(loadModelFromDirectory(empty)).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining('No MLmodel file'),
    })
  })

  it('names the flavours found when none is supported', async () => {
    const directory = path.join(workspace, `python-${++counter}`)
    await mkdir(directory)
    await writeFile(
      path.join(directory, 'MLmodel'),
      'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n',
    )
    await expect(loadModelFromDirectory(directory)).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/found: python_function, sklearn; supported: onnx, js/),
    })
  })

  it('enforces the signature before the module predicts', async () => {
    const directory = await saved({
      inputs: [{ type: 'double', name: 'x', required: true }],
      params: [{ name: 'factor', type: 'long', default: 10, shape: null }],
    })
    expect(await readFile(path.join(directory, 'MLmodel'), 'utf8')).toContain('signature:')
    const model = await loadModelFromDirectory(directory)
    expect(await model.predict({ kind: 'dataframe', columns: ['x'], rows: [[1.5]] })).toEqual({
      kind: 'dataframe',
      columns: ['y'],
      rows: [[15]],
    })
    const missing = await model
      .predict({ kind: 'dataframe', columns: ['z'], rows: [[1]] })
      .catch((caught: unknown) => caught)
    expect(missing).toBeInstanceOf(MlflowError)
    expect((missing as MlflowError).httpStatus).toBe(400)
    expect((missing as MlflowError).message).toMatch(/x/)
  })

  it('enforces the params schema: defaults apply and a wrong type is refused', async () => {
    const directory = await saved({
      inputs: [{ type: 'double', name: 'x', required: true }],
      params: [{ name: 'factor', type: 'long', default: 3, shape: null }],
    })
    const model = await loadModelFromDirectory(directory)
    const input = { kind: 'dataframe', columns: ['x'], rows: [[2]] } as const
    expect(await model.predict(input)).toEqual({ kind: 'dataframe', columns: ['y'], rows: [[6]] })
    expect(await model.predict(input, { factor: 5 })).toEqual({
      kind: 'dataframe',
      columns: ['y'],
      rows: [[10]],
    })
    const wrong = await model.predict(input, { factor: 'many' }).catch((caught: unknown) => caught)
    expect(wrong).toBeInstanceOf(MlflowError)
    expect((wrong as MlflowError).httpStatus).toBe(400)
  })

  it('prefers the onnx flavour when a model has both onnx and js', async () => {
    const directory = path.join(workspace, `both-${++counter}`)
    await saveOnnxModel({
      directory,
      model: await readFile(path.join(ONNX_FIXTURES, 'diabetes-linreg.onnx')),
    })
    const jsModel = await readMlModel(await saved())
    const metadata = await readMlModel(directory)
    await writeMlModel(directory, { ...metadata, flavors: { ...metadata.flavors, js: jsModel.flavors.js! } })
    const model = await loadModelFromDirectory(directory)
    expect(model.flavor).toBe('onnx')
    await model.close()
  })

  it('refuses an invalid signature without leaving the flavour loaded', async () => {
    const directory = await saved()
    const marker = path.join(workspace, `marker-${++counter}`)
    await writeFile(
      path.join(directory, 'js', 'model.mjs'),
      [
        "import { appendFileSync } from 'node:fs'",
        `export function load() { appendFileSync(${JSON.stringify(marker)}, 'loaded ') }`,
        `export function close() { appendFileSync(${JSON.stringify(marker)}, 'closed') }`,
        'export const predict = () => 1',
        '',
      ].join('\n'),
    )
    const metadata = await readMlModel(directory)
    await writeMlModel(directory, { ...metadata, signature: { inputs: 'not json' } })
    await expect(loadModelFromDirectory(directory)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    const events = await readFile(marker, 'utf8').catch(() => '')
    expect(events === '' || events === 'loaded closed').toBe(true)
  })
})
