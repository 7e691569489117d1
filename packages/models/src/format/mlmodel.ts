import { randomUUID } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { utcTimeCreated as formatUtcTimeCreated, MlflowError } from '@cairn/core'
import { parse, type ScalarTag, stringify, type Tags } from 'yaml'
import { setOwnProperty } from './own-property.js'

/** The file name of a model's metadata inside a model directory. */
export const MLMODEL_FILE_NAME = 'MLmodel'

/** `signature` of an MLmodel file: each part is a JSON **string** (MLflow keeps it compact inside the YAML). */
export interface MlModelSignatureFields {
  inputs?: string | null
  outputs?: string | null
  params?: string | null
}

/** `saved_input_example_info`: where the input example and the ready `/invocations` body were saved. */
export interface SavedInputExampleInfo {
  /** `input_example.json`. */
  artifact_path?: string
  /** `dataframe`, `ndarray`, `json_object`, `sparse_matrix_csc`, `sparse_matrix_csr`. */
  type?: string
  /** `split` or `values` for dataframes. */
  pandas_orient?: string
  /** `serving_input_example.json`: a request body for `/invocations`. */
  serving_input_path?: string
  /** `"true"` when the example carried params. */
  params?: string
  [key: string]: unknown
}

/**
 * The `MLmodel` YAML file of a model directory, as MLflow 3 writes it (`mlflow/models/model.py`). Keys that Cairn
 * does not know are kept, so a file read and written again loses nothing.
 */
export interface MlModel {
  /** Where the model was logged (MLflow 3 writes the model's artifact location). */
  artifact_path?: string
  run_id?: string
  /** The logged model id, `m-<32 hex>` (MLflow 3). */
  model_id?: string
  /** 32 hex characters; MLflow 3 writes the model id here when it logs a model. */
  model_uuid?: string
  /** Naive UTC time, `YYYY-MM-DD HH:MM:SS.ffffff`. */
  utc_time_created?: string
  mlflow_version?: string
  /** Flavour name (`onnx`, `python_function`, `js`, ...) → that flavour's configuration. */
  flavors: Record<string, Record<string, unknown>>
  signature?: MlModelSignatureFields
  is_signature_from_type_hint?: boolean
  type_hint_from_example?: boolean
  saved_input_example_info?: SavedInputExampleInfo
  metadata?: Record<string, unknown>
  prompts?: string[]
  resources?: unknown
  env_vars?: string[]
  auth_policy?: unknown
  model_size_bytes?: number
  databricks_runtime?: string
  [key: string]: unknown
}

const YAML_VERSION = '1.1' // PyYAML reads and writes YAML 1.1 (`yes` is a boolean, timestamps are typed)

// PyYAML's booleans are YAML 1.1's without `y`/`n`: a plain `y` that MLflow writes must stay a string here.
const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/

function pyyamlTags(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:bool') return tag
    const scalar = tag as ScalarTag
    return { ...scalar, test: scalar.identify?.(true) ? PYYAML_TRUE : PYYAML_FALSE }
  })
}

/**
 * Parses the text of an `MLmodel` file.
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` when the text is not YAML, not a mapping, or has no `flavors` mapping.
 */
export function parseMlModel(text: string): MlModel {
  let document: unknown
  try {
    document = parse(text, { version: YAML_VERSION, customTags: pyyamlTags, uniqueKeys: false })
  } catch (error) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The MLmodel file is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  if (!isMapping(document)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The MLmodel file must be a YAML mapping, got ${document === null || document === undefined ? 'an empty document' : describe(document)}`,
    )
  }
  const flavors = document.flavors
  if (!isMapping(flavors)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      flavors === undefined || flavors === null
        ? "The MLmodel file has no 'flavors'"
        : `The MLmodel 'flavors' must be a mapping of flavour name to configuration, got ${describe(flavors)}`,
    )
  }
  for (const [name, config] of Object.entries(flavors)) {
    if (!isMapping(config)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `The MLmodel flavour '${name}' must be a mapping, got ${describe(config)}`,
      )
    }
  }
  const signature = document.signature
  if (signature !== undefined && signature !== null && !isMapping(signature)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The MLmodel 'signature' must be a mapping of inputs, outputs and params, got ${describe(signature)}`,
    )
  }
  const model: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(document)) {
    // Absent and null mean the same to MLflow's readers; dropping nulls keeps our types simple.
    if (value === null || value === undefined) continue
    setOwnProperty(model, key, value instanceof Date ? formatUtcTimeCreated(value) : value)
  }
  if (isMapping(model.signature)) {
    model.signature = withoutNulls(model.signature)
  }
  return model as MlModel
}

/**
 * Serialises a model as MLflow does (`yaml.safe_dump`): keys sorted, block style, top-level null keys omitted.
 */
export function serializeMlModel(model: MlModel): string {
  const document: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(model)) {
    if (value === null || value === undefined) continue
    setOwnProperty(document, key, key === 'signature' && isMapping(value) ? withoutNulls(value) : value)
  }
  return stringify(document, {
    version: YAML_VERSION,
    customTags: pyyamlTags,
    sortMapEntries: true,
    indentSeq: false,
    singleQuote: true,
    lineWidth: 80,
    aliasDuplicateObjects: false,
  })
}

/**
 * Reads `<directory>/MLmodel`.
 *
 * @throws MlflowError `RESOURCE_DOES_NOT_EXIST` when the file is missing, `INVALID_PARAMETER_VALUE` when it is invalid.
 */
export async function readMlModel(directory: string): Promise<MlModel> {
  const path = join(directory, MLMODEL_FILE_NAME)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        `Could not find an "${MLMODEL_FILE_NAME}" configuration file at "${directory}"`,
        { cause: error },
      )
    }
    throw error
  }
  return parseMlModel(text)
}

/** Writes `<directory>/MLmodel`, creating the directory if needed. */
export async function writeMlModel(directory: string, model: MlModel): Promise<void> {
  await mkdir(directory, { recursive: true })
  await writeFile(join(directory, MLMODEL_FILE_NAME), serializeMlModel(model), 'utf8')
}

/** `utc_time_created` as MLflow writes it: naive UTC `YYYY-MM-DD HH:MM:SS.ffffff` (`@cairn/core`'s `utcTimeCreated`). */
export { formatUtcTimeCreated }

/** A new `model_uuid`: 32 lowercase hex characters (Python's `uuid.uuid4().hex`). */
export function newModelUuid(): string {
  return randomUUID().replaceAll('-', '')
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null && item !== undefined))
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  return `a ${typeof value} (${JSON.stringify(value)?.slice(0, 100)})`
}
