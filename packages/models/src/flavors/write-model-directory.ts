import { readdir, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { MlflowError, utcTimeCreated } from '@cairn/core'
import {
  type MlModel,
  type MlModelSignatureFields,
  newModelUuid,
  type SavedInputExampleInfo,
  writeMlModel,
} from '../format/mlmodel.js'
import { type ModelSignature, signatureToMlModelFields } from '../format/signature.js'
import type { ModelInput } from '../model.js'
import type { SaveModelOptions } from './save-model-options.js'

/** Whether `child` is strictly inside `parent` (both resolved paths). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child)
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
}

/**
 * Refuses a model directory that exists and is not empty.
 *
 * @throws MlflowError `RESOURCE_ALREADY_EXISTS` when it holds anything.
 */
export async function checkEmptyDestination(directory: string): Promise<void> {
  const entries = await readdir(directory).catch(() => undefined)
  if (entries && entries.length > 0) {
    throw new MlflowError('RESOURCE_ALREADY_EXISTS', `The model directory '${directory}' already exists`)
  }
}

/** The total size in bytes of the files under a directory. */
async function directorySize(directory: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const file = path.join(directory, entry.name)
    total += entry.isDirectory() ? await directorySize(file) : (await stat(file)).size
  }
  return total
}

/** An input example as MLflow saves one (its `_Example`): the example itself, an `/invocations` body, and its description. */
export interface InputExampleFiles {
  readonly example: unknown
  readonly serving: unknown
  readonly info: SavedInputExampleInfo
}

/** Where MLflow saves the example and the ready `/invocations` body. */
export const INPUT_EXAMPLE_PATHS = {
  artifact_path: 'input_example.json',
  serving_input_path: 'serving_input_example.json',
} as const

/** The example files of a {@link ModelInput}: a dataframe in pandas' split orient, tensors as ndarrays. */
export function modelInputExampleFiles(input: ModelInput): InputExampleFiles {
  switch (input.kind) {
    case 'dataframe': {
      const split = { columns: input.columns, data: input.rows }
      return {
        example: split,
        serving: { dataframe_split: split },
        info: { ...INPUT_EXAMPLE_PATHS, type: 'dataframe', pandas_orient: 'split' },
      }
    }
    case 'tensor':
      return {
        example: input.value,
        serving: { inputs: input.value },
        info: { ...INPUT_EXAMPLE_PATHS, type: 'ndarray' },
      }
    case 'tensors':
      return {
        example: input.values,
        serving: { inputs: input.values },
        info: { ...INPUT_EXAMPLE_PATHS, type: 'ndarray' },
      }
  }
}

/** Writes `input_example.json` and `serving_input_example.json`; answers the MLmodel description. */
export async function writeInputExample(
  directory: string,
  { example, serving, info }: InputExampleFiles,
): Promise<SavedInputExampleInfo> {
  await writeFile(path.join(directory, INPUT_EXAMPLE_PATHS.artifact_path), JSON.stringify(example))
  await writeFile(
    path.join(directory, INPUT_EXAMPLE_PATHS.serving_input_path),
    JSON.stringify(serving, null, 2),
  )
  return info
}

/** The MLmodel `signature` without its null parts (as the file reads back). */
function signatureFields(signature: ModelSignature): MlModelSignatureFields {
  return Object.fromEntries(
    Object.entries(signatureToMlModelFields(signature)).filter(([, value]) => value !== null),
  ) as MlModelSignatureFields
}

/** What {@link writeModelMetadata} adds to a flavour's own MLmodel fields. */
export interface ModelMetadataOptions extends Pick<SaveModelOptions, 'metadata' | 'mlModelFields'> {
  readonly signature?: ModelSignature
  readonly savedInputExampleInfo?: SavedInputExampleInfo
}

/**
 * Completes and writes the MLmodel of a model directory whose other files are written: the flavour's fields, a new
 * `model_uuid` and `utc_time_created`, the signature, example description and metadata, then the caller's
 * `mlModelFields` (last, so they may set `model_uuid`, `run_id`, `model_id`, `artifact_path`), and
 * `model_size_bytes`. Answers the MLmodel written.
 */
export async function writeModelMetadata(
  directory: string,
  flavorFields: Pick<MlModel, 'flavors' | 'mlflow_version'>,
  options: ModelMetadataOptions,
): Promise<MlModel> {
  const mlModel: MlModel = {
    ...flavorFields,
    model_uuid: newModelUuid(),
    utc_time_created: utcTimeCreated(new Date()),
    ...(options.signature ? { signature: signatureFields(options.signature) } : {}),
    ...(options.savedInputExampleInfo ? { saved_input_example_info: options.savedInputExampleInfo } : {}),
    ...(options.metadata ? { metadata: { ...options.metadata } } : {}),
    ...options.mlModelFields,
  }
  mlModel.model_size_bytes = await directorySize(directory)
  await writeMlModel(directory, mlModel)
  return mlModel
}
