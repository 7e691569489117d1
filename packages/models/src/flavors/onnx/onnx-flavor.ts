import { access, readFile, realpath } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { MlflowError } from '@cairn/core'
import * as ort from 'onnxruntime-node'
import type { MlModel } from '../../format/mlmodel.js'
import type { Cell, Flavor, LoadedModel, ModelInput, ModelOutput } from '../../model.js'
import { createFeeds, type OnnxInputSpec } from './onnx-input.js'
import { createOutput, type OnnxOutputSpec } from './onnx-output.js'
import { appendFloatGraphOutputs, type OnnxGraph, readOnnxGraph } from './onnx-proto.js'

/** The flavour name in `MLmodel` (`mlflow.onnx`'s `FLAVOR_NAME`). */
export const ONNX_FLAVOR_NAME = 'onnx'

/**
 * Environment variables a server sets to size each session's thread pools (e.g. one intra-op thread per worker);
 * `onnx_session_options` in `MLmodel` win over them.
 */
export const ONNX_INTRA_OP_THREADS_ENV = 'CAIRN_ONNX_INTRA_OP_THREADS'
export const ONNX_INTER_OP_THREADS_ENV = 'CAIRN_ONNX_INTER_OP_THREADS'

const GRAPH_OPTIMIZATION_LEVELS: Record<
  number,
  ort.InferenceSession.SessionOptions['graphOptimizationLevel']
> = {
  0: 'disabled',
  1: 'basic',
  2: 'extended',
  3: 'layout',
  99: 'all',
}

const EXTERNAL_DATA_FOLDER_KEY = 'session.model_external_initializers_file_folder_path'

function positiveInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Session options from the flavour's `onnx_session_options` (the keys `mlflow.onnx` honours), on the CPU provider. */
function createSessionOptions(config: Record<string, unknown>): ort.InferenceSession.SessionOptions {
  const options = isRecord(config.onnx_session_options) ? config.onnx_session_options : {}
  const executionMode =
    typeof options.execution_mode === 'string' ? options.execution_mode.toLowerCase() : undefined
  const level = typeof options.graph_optimization_level === 'number' ? options.graph_optimization_level : 99
  const extra: Record<string, string> = {}
  if (isRecord(options.extra_session_config)) {
    for (const [key, value] of Object.entries(options.extra_session_config)) extra[key] = String(value)
  }
  const intraOpNumThreads =
    positiveInteger(options.intra_op_num_threads) ?? positiveInteger(process.env[ONNX_INTRA_OP_THREADS_ENV])
  const interOpNumThreads =
    positiveInteger(options.inter_op_num_threads) ?? positiveInteger(process.env[ONNX_INTER_OP_THREADS_ENV])
  // onnxruntime-node refuses options present with an undefined value
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: GRAPH_OPTIMIZATION_LEVELS[level] ?? 'all',
    // 4 = fatal only: a bad request already answers 400 with the runtime's message; logging each one at
    // severity 3 would let clients flood the server's log.
    logSeverityLevel: 4,
    extra,
    ...(intraOpNumThreads ? { intraOpNumThreads } : {}),
    ...(interOpNumThreads ? { interOpNumThreads } : {}),
    ...(executionMode === 'parallel' || executionMode === 'sequential' ? { executionMode } : {}),
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function isOutside(directory: string, path: string): boolean {
  const fromDirectory = relative(directory, path)
  return fromDirectory.startsWith('..') || isAbsolute(fromDirectory)
}

/** The model file named by `data`, checked to stay inside the model directory, symlinks resolved. */
async function modelPathOf(directory: string, config: Record<string, unknown>): Promise<string> {
  const data = typeof config.data === 'string' && config.data !== '' ? config.data : 'model.onnx'
  const root = resolve(directory)
  const path = resolve(root, data)
  const outside = () =>
    new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The onnx flavour's data '${data}' is outside the model directory`,
    )
  if (isOutside(root, path)) throw outside()
  // a missing file is reported when the model is opened
  const real = await realpath(path).catch(() => undefined)
  if (real !== undefined && isOutside(await realpath(root), real)) throw outside()
  return path
}

async function createSession(
  model: string | Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  path: string,
): Promise<ort.InferenceSession> {
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options)
  } catch (error) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `ONNX Runtime could not load the model '${path}': ${messageOf(error)}`,
      { cause: error },
    )
  }
}

function labelsOf(graph: OnnxGraph, output: string): { source: string; labels: Cell[] } | undefined {
  const node = graph.nodes.find(
    (candidate) => candidate.opType === 'ZipMap' && candidate.outputs.includes(output),
  )
  const source = node?.inputs[0]
  if (!node || !source) return undefined
  const ints = node.attributes.find((attribute) => attribute.name === 'classlabels_int64s')?.ints ?? []
  const strings = node.attributes.find((attribute) => attribute.name === 'classlabels_strings')?.strings ?? []
  return { source, labels: ints.length > 0 ? ints.map(Number) : [...strings] }
}

function isDynamic(dimension: number | string | undefined): boolean {
  return typeof dimension === 'string' || dimension === undefined || dimension < 0
}

function inputSpecOf(metadata: ort.InferenceSession.ValueMetadata, path: string): OnnxInputSpec {
  if (!metadata.isTensor) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The ONNX model '${path}' has the non-tensor input '${metadata.name}', which Cairn cannot feed`,
    )
  }
  return {
    name: metadata.name,
    type: metadata.type,
    shape:
      metadata.shape.length === 0
        ? undefined
        : metadata.shape.map((dimension) => (isDynamic(dimension) ? undefined : Number(dimension))),
  }
}

/**
 * True when concatenated dataframe rows give concatenated answers: every input can be filled from dataframe rows
 * (one matrix input, or one column per input) and every input and output has a dynamic first dimension.
 */
function isRowBatchable(session: ort.InferenceSession, outputs: readonly OnnxOutputSpec[]): boolean {
  const inputs = session.inputMetadata
  const inputsFit = inputs.every((input) => {
    if (!input.isTensor || input.shape.length === 0 || !isDynamic(input.shape[0])) return false
    if (inputs.length === 1) return input.shape.length <= 2
    return input.shape.length === 1 || (input.shape.length === 2 && input.shape[1] === 1)
  })
  const outputsFit = outputs.every((output) => {
    if (output.kind === 'zipMap') return true
    const metadata = session.outputMetadata.find((candidate) => candidate.name === output.name)
    return metadata?.isTensor === true && metadata.shape.length > 0 && isDynamic(metadata.shape[0])
  })
  return inputsFit && outputsFit
}

/**
 * Opens the session. onnxruntime-node returns tensors only, so a model whose outputs include a ZipMap's
 * `seq(map)` is reopened from bytes with the ZipMap's input tensor added as a graph output.
 */
async function openModel(path: string, config: Record<string, unknown>) {
  const options = createSessionOptions(config)
  try {
    await access(path)
  } catch (error) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `The ONNX model file '${path}' does not exist`, {
      cause: error,
    })
  }
  let session = await createSession(path, options, path)
  const outputNames = [...session.outputNames]
  const nonTensor = session.outputMetadata.filter((output) => !output.isTensor).map((output) => output.name)
  if (nonTensor.length === 0) {
    return { session, outputs: outputNames.map((name): OnnxOutputSpec => ({ name, kind: 'tensor' })) }
  }
  await session.release()
  const bytes = await readFile(path)
  const graph = readOnnxGraph(bytes)
  const outputs = outputNames.map((name): OnnxOutputSpec => {
    if (!nonTensor.includes(name)) return { name, kind: 'tensor' }
    const zipMap = labelsOf(graph, name)
    if (!zipMap) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `The ONNX model '${path}' has the non-tensor output '${name}', which onnxruntime-node cannot return ` +
          '(only ZipMap outputs are supported)',
      )
    }
    return { name, kind: 'zipMap', ...zipMap }
  })
  const sources = outputs.flatMap((output) =>
    output.kind === 'zipMap' && !outputNames.includes(output.source) ? [output.source] : [],
  )
  session = await createSession(
    appendFloatGraphOutputs(bytes, [...new Set(sources)]),
    { ...options, extra: { ...options.extra, [EXTERNAL_DATA_FOLDER_KEY]: dirname(path) } },
    path,
  )
  return { session, outputs }
}

async function loadOnnxModel(options: {
  readonly directory: string
  readonly metadata: MlModel
}): Promise<LoadedModel> {
  const config = options.metadata.flavors[ONNX_FLAVOR_NAME]
  if (!config) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The model in '${options.directory}' has no onnx flavour`,
    )
  }
  const path = await modelPathOf(options.directory, config)
  const { session, outputs } = await openModel(path, config)
  let inputs: OnnxInputSpec[]
  let rowBatchable: boolean
  try {
    inputs = session.inputMetadata.map((metadata) => inputSpecOf(metadata, path))
    rowBatchable = isRowBatchable(session, outputs)
  } catch (error) {
    await session.release()
    throw error
  }
  const fetches = [
    ...new Set(outputs.map((output) => (output.kind === 'zipMap' ? output.source : output.name))),
  ]
  let closed = false
  // close() waits for the runs in flight: releasing the session under them would fail them.
  let running = 0
  let idle: (() => void) | undefined

  return {
    metadata: options.metadata,
    flavor: ONNX_FLAVOR_NAME,
    rowBatchable,
    // The graph check above is on the first axis of every input, so it holds for nested-list tensors too.
    tensorRowBatchable: rowBatchable,
    async predict(input: ModelInput): Promise<ModelOutput> {
      if (closed) throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'The ONNX model was closed')
      const feeds = createFeeds(input, inputs)
      let results: ort.InferenceSession.ReturnType
      running++
      try {
        results = await session.run(feeds, fetches)
      } catch (error) {
        throw new MlflowError('BAD_REQUEST', `ONNX Runtime could not run the model: ${messageOf(error)}`, {
          cause: error,
        })
      } finally {
        running--
        if (running === 0) idle?.()
      }
      return createOutput({
        results,
        specs: outputs,
        rowCount: input.kind === 'dataframe' ? input.rows.length : undefined,
      })
    },
    async close(): Promise<void> {
      if (closed) return
      closed = true
      if (running > 0) await new Promise<void>((resolve) => (idle = resolve))
      await session.release()
    },
  }
}

/** The `onnx` flavour: models saved by Python's `mlflow.onnx` or by {@link saveOnnxModel}, run by onnxruntime-node. */
export const onnxFlavor: Flavor = { name: ONNX_FLAVOR_NAME, load: loadOnnxModel }
