import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { MlflowError } from '@cairn/core'
import type { MlModel, SavedInputExampleInfo } from '../../format/mlmodel.js'
import type { ModelSignature, TensorSpec } from '../../format/signature.js'
import type { ModelInput } from '../../model.js'
import type { SaveModelOptions } from '../save-model-options.js'
import {
  checkEmptyDestination,
  INPUT_EXAMPLE_PATHS,
  type InputExampleFiles,
  modelInputExampleFiles,
  writeInputExample,
  writeModelMetadata,
} from '../write-model-directory.js'
import { ONNX_FLAVOR_NAME } from './onnx-flavor.js'
import { ONNX_ELEMENT_TYPES, type OnnxGraph, type OnnxValueInfo, readOnnxGraph } from './onnx-proto.js'

/** The file name of the model inside the directory, as `mlflow.onnx` names it. */
export const ONNX_MODEL_FILE_NAME = 'model.onnx'

/**
 * The Python environment written beside the model so `mlflow.pyfunc.load_model` (and `mlflow models serve`) can
 * load it: the versions Cairn's compatibility tests run with.
 */
export const ONNX_PYTHON_ENVIRONMENT = {
  python: '3.11',
  pip: '24.0',
  requirements: ['mlflow==3.17.2', 'onnx==1.23.2', 'onnxruntime==1.32.0'],
  mlflowVersion: '3.17.2',
  onnxVersion: '1.23.2',
} as const

/** Options of {@link saveOnnxModel}. */
export interface SaveOnnxModelOptions extends SaveModelOptions {
  /** A serialized ONNX `ModelProto` (the bytes of a `.onnx` file). */
  readonly model: Uint8Array
  /** The model's schema; by default derived from the ONNX graph's inputs and outputs (tensor specs). */
  readonly signature?: ModelSignature
  /**
   * A request example, saved as `input_example.json` and `serving_input_example.json`: a {@link ModelInput}
   * (a dataframe is saved in pandas' split orient), or a JSON value (an array or a record of arrays is an ndarray
   * example, anything else a `json_object`).
   */
  readonly inputExample?: unknown
  /** `onnx_session_options` of the flavour (`intra_op_num_threads`, `inter_op_num_threads`, `execution_mode`, ...). */
  readonly sessionOptions?: Readonly<Record<string, unknown>>
}

const NUMPY_DTYPES: Readonly<Record<number, string>> = {
  [ONNX_ELEMENT_TYPES.FLOAT]: 'float32',
  [ONNX_ELEMENT_TYPES.UINT8]: 'uint8',
  [ONNX_ELEMENT_TYPES.INT8]: 'int8',
  [ONNX_ELEMENT_TYPES.UINT16]: 'uint16',
  [ONNX_ELEMENT_TYPES.INT16]: 'int16',
  [ONNX_ELEMENT_TYPES.INT32]: 'int32',
  [ONNX_ELEMENT_TYPES.INT64]: 'int64',
  [ONNX_ELEMENT_TYPES.STRING]: 'str',
  [ONNX_ELEMENT_TYPES.BOOL]: 'bool',
  [ONNX_ELEMENT_TYPES.FLOAT16]: 'float16',
  [ONNX_ELEMENT_TYPES.DOUBLE]: 'float64',
  [ONNX_ELEMENT_TYPES.UINT32]: 'uint32',
  [ONNX_ELEMENT_TYPES.UINT64]: 'uint64',
}

function tensorSpecOf(value: OnnxValueInfo, named: boolean): TensorSpec | undefined {
  const type = value.type
  if (type?.kind !== 'tensor' || !type.shape) return undefined
  const dtype = NUMPY_DTYPES[type.elementType]
  if (!dtype) return undefined
  const shape = type.shape.map((dimension) =>
    typeof dimension === 'number' && dimension >= 0 ? dimension : -1,
  )
  return { type: 'tensor', dtype, shape, ...(named ? { name: value.name } : {}) }
}

/** Tensor specs for every value, or undefined when one is not a tensor of known type and rank. */
function schemaOf(values: readonly OnnxValueInfo[]): TensorSpec[] | undefined {
  // A lone tensor stays unnamed so MLflow feeds it a whole dataframe; several must be named.
  const specs = values.map((value) => tensorSpecOf(value, values.length > 1))
  return specs.length > 0 && specs.every((spec) => spec !== undefined) ? (specs as TensorSpec[]) : undefined
}

/**
 * The signature MLflow would store for the graph: tensor specs of its inputs and outputs, each part left out when
 * a value is not a plain tensor (a ZipMap output is a sequence of maps).
 */
export function signatureOfOnnxGraph(graph: OnnxGraph): ModelSignature | undefined {
  const inputs = schemaOf(graph.inputs)
  const outputs = schemaOf(graph.outputs)
  if (!inputs && !outputs) return undefined
  return { ...(inputs ? { inputs } : {}), ...(outputs ? { outputs } : {}) }
}

function isModelInput(value: unknown): value is ModelInput {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return (
    (candidate.kind === 'dataframe' && Array.isArray(candidate.columns) && Array.isArray(candidate.rows)) ||
    (candidate.kind === 'tensor' && 'value' in candidate) ||
    (candidate.kind === 'tensors' && typeof candidate.values === 'object' && candidate.values !== null)
  )
}

/** The saved example, the `/invocations` body for it, and its MLmodel description (MLflow's `_Example`). */
function exampleFiles(input: unknown): InputExampleFiles {
  if (isModelInput(input)) return modelInputExampleFiles(input)
  const arrays =
    Array.isArray(input) ||
    (typeof input === 'object' &&
      input !== null &&
      Object.values(input).every((value) => Array.isArray(value)))
  return {
    example: input,
    serving: { inputs: input },
    info: { ...INPUT_EXAMPLE_PATHS, type: arrays ? 'ndarray' : 'json_object' },
  }
}

function condaYaml(): string {
  const { python, pip, requirements } = ONNX_PYTHON_ENVIRONMENT
  return [
    'channels:',
    '- conda-forge',
    'dependencies:',
    `- python=${python}`,
    `- pip<=${pip}`,
    '- pip:',
    ...requirements.map((requirement) => `  - ${requirement}`),
    'name: mlflow-env',
    '',
  ].join('\n')
}

function pythonEnvYaml(): string {
  const { python, pip } = ONNX_PYTHON_ENVIRONMENT
  return [
    `python: ${python}`,
    'build_dependencies:',
    `- pip==${pip}`,
    '- setuptools',
    '- wheel',
    'dependencies:',
    '- -r requirements.txt',
    '',
  ].join('\n')
}

/**
 * Saves an ONNX model directory as `mlflow.onnx.save_model` lays it out: `model.onnx`, an MLmodel with the `onnx`
 * and `python_function` flavours, `conda.yaml`, `python_env.yaml` and `requirements.txt`, so both Cairn and
 * Python's `mlflow.pyfunc.load_model` can load it. Answers the MLmodel written.
 *
 * @example
 * await saveOnnxModel({ directory: './out/model', model: await readFile('iris.onnx') })
 */
export async function saveOnnxModel(options: SaveOnnxModelOptions): Promise<MlModel> {
  const directory = path.resolve(options.directory)
  let graph: OnnxGraph
  try {
    graph = readOnnxGraph(options.model)
  } catch (error) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The model is not a serialized ONNX ModelProto: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  if (graph.inputs.length === 0) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', 'The ONNX model has no graph inputs')
  }
  await checkEmptyDestination(directory)
  await mkdir(directory, { recursive: true })
  await writeFile(path.join(directory, ONNX_MODEL_FILE_NAME), options.model)

  let exampleInfo: SavedInputExampleInfo | undefined
  if (options.inputExample !== undefined && options.inputExample !== null) {
    exampleInfo = await writeInputExample(directory, exampleFiles(options.inputExample))
  }
  await writeFile(path.join(directory, 'conda.yaml'), condaYaml())
  await writeFile(path.join(directory, 'python_env.yaml'), pythonEnvYaml())
  await writeFile(path.join(directory, 'requirements.txt'), ONNX_PYTHON_ENVIRONMENT.requirements.join('\n'))

  return writeModelMetadata(
    directory,
    {
      flavors: {
        [ONNX_FLAVOR_NAME]: {
          code: null,
          data: ONNX_MODEL_FILE_NAME,
          onnx_version: ONNX_PYTHON_ENVIRONMENT.onnxVersion,
          providers: ['CPUExecutionProvider'],
          ...(options.sessionOptions ? { onnx_session_options: { ...options.sessionOptions } } : {}),
        },
        python_function: {
          data: ONNX_MODEL_FILE_NAME,
          env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
          loader_module: 'mlflow.onnx',
          python_version: ONNX_PYTHON_ENVIRONMENT.python,
        },
      },
      mlflow_version: ONNX_PYTHON_ENVIRONMENT.mlflowVersion,
    },
    {
      signature: options.signature ?? signatureOfOnnxGraph(graph),
      savedInputExampleInfo: exampleInfo,
      metadata: options.metadata,
      mlModelFields: options.mlModelFields,
    },
  )
}
