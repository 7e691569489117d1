import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { MlflowError } from '@cairn/core'
import type { MlModel } from '../../format/mlmodel.js'
import type { Flavor, LoadedModel, ModelInput, ModelOutput, ModelParams } from '../../model.js'
import { isInside } from '../write-model-directory.js'

/** The flavour's name, the key under `flavors` in MLmodel. */
export const JS_FLAVOR_NAME = 'js'

/** `flavors.js` of an MLmodel file. */
export interface JsFlavorConfig {
  /** The ES module exporting `predict`, relative to the model directory (e.g. `js/model.mjs`). */
  readonly entry: string
  /** The folder holding the module, its package.json, lockfile and node_modules (e.g. `js`). */
  readonly code: string
  /** The Node version the model was saved with. */
  readonly node_version?: string
  /** The Cairn version that saved the model. */
  readonly cairn_version?: string
}

/** What `load` of a JS model module receives. */
export interface JsModelLoadContext {
  /** The model directory (the folder holding MLmodel). */
  readonly directory: string
  /** The folder holding the module and its node_modules. */
  readonly codeDirectory: string
  /** The parsed MLmodel. */
  readonly metadata: MlModel
}

/** The exports of a JS model module. */
interface JsModelModule {
  predict?: unknown
  load?: unknown
  close?: unknown
  rowBatchable?: unknown
}

const OUTPUT_KINDS = new Set(['dataframe', 'tensor', 'tensors', 'json'])
const INPUT_ERROR_CODES = new Set(['BAD_REQUEST', 'INVALID_PARAMETER_VALUE'])

/** Reads and checks `flavors.js` of an MLmodel. */
function readJsFlavorConfig(metadata: MlModel): JsFlavorConfig {
  const config = metadata.flavors[JS_FLAVOR_NAME]
  if (typeof config !== 'object' || config === null) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', "The MLmodel file has no 'js' flavour")
  }
  const { entry, code } = config as Record<string, unknown>
  if (typeof entry !== 'string' || entry === '') {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      "The 'js' flavour of the MLmodel file names no entry module",
    )
  }
  return {
    ...(config as Record<string, unknown>),
    entry,
    code: typeof code === 'string' && code !== '' ? code : path.posix.dirname(entry),
  } as JsFlavorConfig
}

/**
 * Whether a module's answer already is a {@link ModelOutput}: an object with a known `kind` and the field that
 * kind needs. Anything else is a plain JSON answer.
 */
function isModelOutput(value: unknown): value is ModelOutput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const candidate = value as Record<string, unknown>
  if (typeof candidate.kind !== 'string' || !OUTPUT_KINDS.has(candidate.kind)) return false
  switch (candidate.kind) {
    case 'dataframe':
      return Array.isArray(candidate.columns) && Array.isArray(candidate.rows)
    case 'tensors':
      return typeof candidate.values === 'object' && candidate.values !== null
    default:
      return 'value' in candidate
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))
}

/**
 * Turns what a model module threw into an `MlflowError`: errors the module marks as input errors (an `code` of
 * `BAD_REQUEST` or `INVALID_PARAMETER_VALUE`, whichever copy of MlflowError it used) keep their code, anything
 * else is an INTERNAL_ERROR carrying the message.
 */
function toPredictError(error: unknown): MlflowError {
  if (error instanceof MlflowError) return error
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && INPUT_ERROR_CODES.has(code)) {
    return new MlflowError(code as 'BAD_REQUEST' | 'INVALID_PARAMETER_VALUE', messageOf(error), {
      cause: error,
    })
  }
  return new MlflowError('INTERNAL_ERROR', `The model's predict failed: ${messageOf(error)}`, {
    cause: error,
  })
}

async function importModule(entryPath: string): Promise<JsModelModule> {
  try {
    return (await import(/* @vite-ignore */ pathToFileURL(entryPath).href)) as JsModelModule
  } catch (error) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Cannot import the JS model module '${entryPath}': ${messageOf(error)}`,
      { cause: error },
    )
  }
}

/**
 * The `js` flavour: a model is an ES module exporting `predict(input, params?, state?)`, shipped in the model
 * directory with its package.json, lockfile and node_modules. Loading imports the module by file URL (so its
 * own node_modules resolve, and each model directory gets its own module instance), calls an exported
 * `load({ directory, codeDirectory, metadata })` once and passes its result to every `predict` as `state`.
 * An exported `close(state)` runs on `close()`; `export const rowBatchable = true` allows micro-batching.
 */
export const jsFlavor: Flavor = {
  name: JS_FLAVOR_NAME,
  async load({ directory, metadata }): Promise<LoadedModel> {
    const root = path.resolve(directory)
    const config = readJsFlavorConfig(metadata)
    const entryPath = path.resolve(root, config.entry)
    const codeDirectory = path.resolve(root, config.code)
    if (!isInside(root, entryPath) || !isInside(root, codeDirectory)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `The 'js' flavour's entry '${config.entry}' and code '${config.code}' must stay inside the model directory`,
      )
    }
    const entryInfo = await stat(entryPath).catch(() => undefined)
    if (!entryInfo?.isFile()) {
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `The JS model module '${config.entry}' is missing from the model directory '${root}'`,
      )
    }
    // Symlinks must not take the module or its folder elsewhere (saveJsModel copies the files they point to).
    const realRoot = await realpath(root)
    const [realEntry, realCode] = await Promise.all([
      realpath(entryPath),
      // a missing code folder holds nothing a symlink could take elsewhere
      realpath(codeDirectory).catch(() => path.join(realRoot, path.relative(root, codeDirectory))),
    ])
    if (!isInside(realRoot, realEntry) || !isInside(realRoot, realCode)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `The 'js' flavour's entry '${config.entry}' and code '${config.code}' must stay inside the model directory, symlinks included`,
      )
    }
    const module = await importModule(entryPath)
    const predict = module.predict
    if (typeof predict !== 'function') {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `The JS model module '${config.entry}' does not export a 'predict' function`,
      )
    }
    let state: unknown
    if (typeof module.load === 'function') {
      try {
        state = await module.load({ directory: root, codeDirectory, metadata } satisfies JsModelLoadContext)
      } catch (error) {
        throw new MlflowError('INTERNAL_ERROR', `The JS model module's load failed: ${messageOf(error)}`, {
          cause: error,
        })
      }
    }
    const close = module.close
    return {
      metadata,
      flavor: JS_FLAVOR_NAME,
      rowBatchable: module.rowBatchable === true,
      async predict(input: ModelInput, params?: ModelParams): Promise<ModelOutput> {
        let result: unknown
        try {
          result = await predict(input, params, state)
        } catch (error) {
          throw toPredictError(error)
        }
        return isModelOutput(result) ? result : { kind: 'json', value: result ?? null }
      },
      async close(): Promise<void> {
        if (typeof close === 'function') await close(state)
      },
    }
  },
}
