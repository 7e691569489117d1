import { mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { MlflowError } from '@cairn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readMlModel } from '../../format/mlmodel.js'
import { JS_FLAVOR_NAME, jsFlavor } from './js-flavor.js'
import { saveJsModel } from './save-js-model.js'

let workspace: string

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'cairn-js-flavor-'))
})

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true })
})

let counter = 0

/** A model source folder: package.json, lockfile, the module and, unless `dependency` is false, a tiny package. */
async function makeSource(
  module: string,
  options: { dependency?: boolean; lockfile?: boolean; packageJson?: boolean; name?: string } = {},
): Promise<string> {
  const source = path.join(workspace, `source-${++counter}`)
  await mkdir(source, { recursive: true })
  const dependency = options.dependency ?? true
  if (options.packageJson ?? true) {
    await writeFile(
      path.join(source, 'package.json'),
      JSON.stringify({
        name: 'test-model',
        version: '1.0.0',
        type: 'module',
        dependencies: dependency ? { 'tiny-scale': '1.0.0' } : {},
      }),
    )
  }
  if (options.lockfile ?? true) {
    await writeFile(
      path.join(source, 'package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: {} }),
    )
  }
  if (dependency) {
    const packageDirectory = path.join(source, 'node_modules', 'tiny-scale')
    await mkdir(packageDirectory, { recursive: true })
    await writeFile(
      path.join(packageDirectory, 'package.json'),
      JSON.stringify({ name: 'tiny-scale', version: '1.0.0', type: 'module', exports: './index.js' }),
    )
    await writeFile(path.join(packageDirectory, 'index.js'), 'export const scale = (x) => x * 10\n')
  }
  await writeFile(path.join(source, options.name ?? 'model.mjs'), module)
  return source
}

const SCALING_MODULE = `
import { scale } from 'tiny-scale'
let loads = 0
export const rowBatchable = true
export async function load({ directory, codeDirectory }) {
  loads++
  return { loads, directory, codeDirectory }
}
export function predict(input, params, state) {
  if (input.kind !== 'dataframe') {
    const error = new Error('dataframe input only')
    error.code = 'BAD_REQUEST'
    throw error
  }
  if (params?.explode) throw new Error('kaboom')
  if (params?.raw) return { loads: state.loads }
  return { kind: 'dataframe', columns: ['y'], rows: input.rows.map((row) => [scale(row[0]) + (params?.offset ?? 0)]) }
}
`

async function saved(
  module = SCALING_MODULE,
  options: Parameters<typeof makeSource>[1] = {},
): Promise<string> {
  const source = await makeSource(module, options)
  const directory = path.join(workspace, `model-${++counter}`)
  await saveJsModel({ directory, source, entry: options.name ?? 'model.mjs' })
  return directory
}

describe('saveJsModel', () => {
  it('copies the module with its package.json, lockfile and node_modules and writes flavors.js', async () => {
    const directory = await saved()
    const mlModel = await readMlModel(directory)
    expect(mlModel.flavors[JS_FLAVOR_NAME]).toEqual({
      entry: 'js/model.mjs',
      code: 'js',
      node_version: process.versions.node,
      cairn_version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
    expect(mlModel.model_uuid).toMatch(/^[0-9a-f]{32}$/)
    expect(mlModel.utc_time_created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/)
    for (const file of [
      'model.mjs',
      'package.json',
      'package-lock.json',
      'node_modules/tiny-scale/index.js',
    ]) {
      expect((await stat(path.join(directory, 'js', file))).isFile()).toBe(true)
    }
  })

  it('saves an input example and a ready /invocations body beside the model', async () => {
    const source = await makeSource(SCALING_MODULE)
    const directory = path.join(workspace, `model-${++counter}`)
    const mlModel = await saveJsModel({
      directory,
      source,
      entry: 'model.mjs',
      inputExample: { kind: 'dataframe', columns: ['x'], rows: [[1], [2]] },
      metadata: { owner: 'tests' },
    })
    expect(mlModel.saved_input_example_info).toEqual({
      artifact_path: 'input_example.json',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
      pandas_orient: 'split',
    })
    expect(mlModel.metadata).toEqual({ owner: 'tests' })
    expect(JSON.parse(await readFile(path.join(directory, 'serving_input_example.json'), 'utf8'))).toEqual({
      dataframe_split: { columns: ['x'], data: [[1], [2]] },
    })
    expect(await readMlModel(directory)).toEqual(mlModel)
  })

  it('keeps an entry in a subfolder of the source at the same place', async () => {
    const source = await makeSource('export const predict = () => 1\n', { dependency: false })
    await mkdir(path.join(source, 'lib'))
    await writeFile(path.join(source, 'lib', 'entry.mjs'), 'export const predict = () => 2\n')
    const directory = path.join(workspace, `model-${++counter}`)
    await saveJsModel({ directory, source, entry: 'lib/entry.mjs' })
    expect((await readMlModel(directory)).flavors.js?.entry).toBe('js/lib/entry.mjs')
    const model = await jsFlavor.load({ directory, metadata: await readMlModel(directory) })
    expect(await model.predict({ kind: 'tensor', value: [] })).toEqual({ kind: 'json', value: 2 })
  })

  it.each([
    ['no package.json', { packageJson: false }, /no package\.json/],
    ['no lockfile', { lockfile: false }, /no package-lock\.json/],
  ] as const)('refuses a source with %s', async (_label, options, message) => {
    const source = await makeSource(SCALING_MODULE, options)
    const error = await saveJsModel({
      directory: path.join(workspace, `model-${++counter}`),
      source,
      entry: 'model.mjs',
    })
      .then(() => undefined)
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(MlflowError)
    expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(message) })
  })

  it('refuses an entry outside the source folder, a missing entry, and a CommonJS entry', async () => {
    const source = await makeSource(SCALING_MODULE)
    await writeFile(path.join(workspace, 'outside.mjs'), 'export const predict = () => 1\n')
    await writeFile(path.join(source, 'old.cjs'), 'exports.predict = () => 1\n')
    for (const [entry, message] of [
      ['../outside.mjs', /outside its source folder/],
      [path.join(workspace, 'outside.mjs'), /outside its source folder/],
      ['missing.mjs', /is not a file/],
      ['old.cjs', /must be an ES module/],
    ] as const) {
      await expect(
        saveJsModel({ directory: path.join(workspace, `model-${++counter}`), source, entry }),
      ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(message) })
    }
  })

  it('refuses declared dependencies without node_modules, and an existing model directory', async () => {
    const source = await makeSource(SCALING_MODULE)
    await rm(path.join(source, 'node_modules'), { recursive: true })
    await expect(
      saveJsModel({ directory: path.join(workspace, `model-${++counter}`), source, entry: 'model.mjs' }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/tiny-scale.*npm ci/) })
    const existing = await saved()
    const other = await makeSource('export const predict = () => 1\n', { dependency: false })
    await expect(
      saveJsModel({ directory: existing, source: other, entry: 'model.mjs' }),
    ).rejects.toMatchObject({
      code: 'RESOURCE_ALREADY_EXISTS',
    })
  })
})

describe('jsFlavor', () => {
  it('imports the module with its own dependencies, calls load once and passes its state', async () => {
    const directory = await saved()
    const model = await jsFlavor.load({ directory, metadata: await readMlModel(directory) })
    expect(model.flavor).toBe('js')
    expect(model.rowBatchable).toBe(true)
    const input = { kind: 'dataframe', columns: ['x'], rows: [[1], [2]] } as const
    expect(await model.predict(input)).toEqual({ kind: 'dataframe', columns: ['y'], rows: [[10], [20]] })
    expect(await model.predict(input, { offset: 1 })).toEqual({
      kind: 'dataframe',
      columns: ['y'],
      rows: [[11], [21]],
    })
    expect(await model.predict(input, { raw: true })).toEqual({ kind: 'json', value: { loads: 1 } })
    await model.close()
  })

  it('gives each model directory its own module instance', async () => {
    const first = await saved()
    const second = await saved()
    const input = { kind: 'dataframe', columns: ['x'], rows: [[1]] } as const
    for (const directory of [first, second]) {
      const model = await jsFlavor.load({ directory, metadata: await readMlModel(directory) })
      expect(await model.predict(input, { raw: true })).toEqual({ kind: 'json', value: { loads: 1 } })
    }
  })

  it('turns input errors into BAD_REQUEST and other failures into INTERNAL_ERROR', async () => {
    const directory = await saved()
    const model = await jsFlavor.load({ directory, metadata: await readMlModel(directory) })
    const badInput = await model.predict({ kind: 'tensor', value: [1] }).catch((caught: unknown) => caught)
    expect(badInput).toBeInstanceOf(MlflowError)
    expect(badInput).toMatchObject({ code: 'BAD_REQUEST', message: 'dataframe input only' })
    const failure = await model
      .predict({ kind: 'dataframe', columns: ['x'], rows: [[1]] }, { explode: true })
      .catch((caught: unknown) => caught)
    expect(failure).toBeInstanceOf(MlflowError)
    expect(failure).toMatchObject({ code: 'INTERNAL_ERROR', message: expect.stringContaining('kaboom') })
  })

  it('refuses a module without predict and a missing entry', async () => {
    const directory = await saved('export const nothing = 1\n', { dependency: false })
    await expect(jsFlavor.load({ directory, metadata: await readMlModel(directory) })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining("does not export a 'predict' function"),
    })
    await rm(path.join(directory, 'js', 'model.mjs'))
    await expect(jsFlavor.load({ directory, metadata: await readMlModel(directory) })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    })
  })

  it('refuses an MLmodel entry that leaves the model directory', async () => {
    const directory = await saved()
    const metadata = await readMlModel(directory)
    const escaping = { ...metadata, flavors: { js: { entry: '../elsewhere/model.mjs', code: 'js' } } }
    await expect(jsFlavor.load({ directory, metadata: escaping })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('inside the model directory'),
    })
  })

  it('refuses an entry or a code folder that a symlink takes out of the model directory', async () => {
    const outside = await saved(`export const predict = () => 'outside'\n`, { dependency: false })
    const entryLink = await saved(undefined, { dependency: false })
    await rm(path.join(entryLink, 'js', 'model.mjs'))
    await symlink(path.join(outside, 'js', 'model.mjs'), path.join(entryLink, 'js', 'model.mjs'))
    const folderLink = await saved(undefined, { dependency: false })
    await rename(path.join(folderLink, 'js'), path.join(folderLink, 'js-moved'))
    await symlink(path.join(outside, 'js'), path.join(folderLink, 'js'))
    for (const directory of [entryLink, folderLink]) {
      await expect(
        jsFlavor.load({ directory, metadata: await readMlModel(directory) }),
      ).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('inside the model directory'),
      })
    }
    // a model directory that is itself reached through a symlink still loads
    const linkedDirectory = path.join(workspace, `linked-${++counter}`)
    await symlink(outside, linkedDirectory)
    const model = await jsFlavor.load({ directory: linkedDirectory, metadata: await readMlModel(outside) })
    expect(await model.predict({ kind: 'tensor', value: [1] })).toEqual({ kind: 'json', value: 'outside' })
  })
})
