import { cp, mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { MlflowError } from '@cairn/core'
import type { MlModel } from '../../format/mlmodel.js'
import type { ModelSignature } from '../../format/signature.js'
import type { ModelInput } from '../../model.js'
import type { SaveModelOptions } from '../save-model-options.js'
import {
  checkEmptyDestination,
  isInside,
  modelInputExampleFiles,
  writeInputExample,
  writeModelMetadata,
} from '../write-model-directory.js'
import { JS_FLAVOR_NAME, type JsFlavorConfig } from './js-flavor.js'

/** The folder of the model directory holding the module and its dependencies. */
export const JS_CODE_DIRECTORY = 'js'

const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json']
const SKIPPED = new Set(['.git'])

/** Options of {@link saveJsModel}. */
export interface SaveJsModelOptions extends SaveModelOptions {
  /** The folder holding the module, its package.json, package-lock.json and node_modules; copied whole. */
  readonly source: string
  /** The ES module exporting `predict`, relative to `source` (or an absolute path inside it). */
  readonly entry: string
  /** The model's input/output/params schema, enforced before every `predict`. */
  readonly signature?: ModelSignature
  /** A request example, saved as `input_example.json` and `serving_input_example.json`. */
  readonly inputExample?: ModelInput
}

let cairnVersion: Promise<string> | undefined

/** The version of `@cairn/models`, as recorded in MLmodel. */
export function readCairnVersion(): Promise<string> {
  cairnVersion ??= readFile(new URL('../../../package.json', import.meta.url), 'utf8').then(
    (text) => String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown'),
    () => 'unknown',
  )
  return cairnVersion
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false
}

async function checkSource(
  source: string,
  entry: string,
): Promise<{ entryPath: string; moduleType?: string }> {
  const info = await stat(source).catch(() => undefined)
  if (!info?.isDirectory()) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The JS model source '${source}' is not a folder`)
  }
  const entryPath = path.resolve(source, entry)
  if (!isInside(source, entryPath)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The JS model entry '${entry}' is outside its source folder '${source}'`,
    )
  }
  if (!(await isFile(entryPath))) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The JS model entry '${entryPath}' is not a file`)
  }
  const packageFile = path.join(source, 'package.json')
  if (!(await isFile(packageFile))) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The JS model source '${source}' has no package.json: a JS model ships its dependencies, declared in package.json`,
    )
  }
  const lockfiles = await Promise.all(LOCKFILES.map((name) => isFile(path.join(source, name))))
  if (!lockfiles.some(Boolean)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The JS model source '${source}' has no package-lock.json: run 'npm install' there so the model's dependencies are pinned`,
    )
  }
  let manifest: { type?: unknown; dependencies?: unknown }
  try {
    manifest = JSON.parse(await readFile(packageFile, 'utf8')) as typeof manifest
  } catch (error) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The package.json of '${source}' is not valid JSON`, {
      cause: error,
    })
  }
  const dependencies = Object.keys((manifest.dependencies as Record<string, unknown> | undefined) ?? {})
  if (dependencies.length > 0 && !(await stat(path.join(source, 'node_modules')).catch(() => undefined))) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The JS model source '${source}' declares dependencies (${dependencies.join(', ')}) but has no node_modules: run 'npm ci' there first`,
    )
  }
  const extension = path.extname(entryPath)
  if (extension === '.cjs' || (extension === '.js' && manifest.type !== 'module')) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The JS model entry '${entry}' must be an ES module: use a .mjs file, or set "type": "module" in package.json`,
    )
  }
  return { entryPath }
}

async function checkDestination(directory: string, source: string): Promise<void> {
  if (directory === source || isInside(source, directory)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The model directory '${directory}' must not be inside the JS model source '${source}'`,
    )
  }
  await checkEmptyDestination(directory)
}

/**
 * Saves a JS model directory: the whole `source` folder (module, package.json, lockfile, node_modules; symlinks
 * copied as the files they point to, `.git` left out) under `js/`, and an MLmodel file whose `flavors.js` names
 * the entry. Answers the MLmodel written.
 *
 * @example
 * await saveJsModel({ directory: './out/model', source: './my-model', entry: 'model.mjs' })
 */
export async function saveJsModel(options: SaveJsModelOptions): Promise<MlModel> {
  const source = path.resolve(options.source)
  const directory = path.resolve(options.directory)
  const { entryPath } = await checkSource(source, options.entry)
  await checkDestination(directory, source)
  const codeDirectory = path.join(directory, JS_CODE_DIRECTORY)
  await mkdir(directory, { recursive: true })
  await cp(source, codeDirectory, {
    recursive: true,
    dereference: true,
    filter: (file) => !SKIPPED.has(path.basename(file)),
  })
  const flavor: JsFlavorConfig = {
    entry: path.posix.join(JS_CODE_DIRECTORY, ...path.relative(source, entryPath).split(path.sep)),
    code: JS_CODE_DIRECTORY,
    node_version: process.versions.node,
    cairn_version: await readCairnVersion(),
  }
  const savedInputExampleInfo =
    options.inputExample && (await writeInputExample(directory, modelInputExampleFiles(options.inputExample)))
  return writeModelMetadata(
    directory,
    { flavors: { [JS_FLAVOR_NAME]: { ...flavor } } },
    {
      signature: options.signature,
      savedInputExampleInfo,
      metadata: options.metadata,
      mlModelFields: options.mlModelFields,
    },
  )
}
