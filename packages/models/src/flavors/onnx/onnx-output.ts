import { MlflowError } from '@cairn/core'
import type * as ort from 'onnxruntime-node'
import { setOwnProperty } from '../../format/own-property.js'
import type { Cell, ModelOutput } from '../../model.js'

/**
 * A model output. `zipMap` outputs (skl2onnx classifiers' `seq(map)` probabilities) are rebuilt from the ZipMap
 * node's input tensor `source`, one `{label: probability}` object per row.
 */
export type OnnxOutputSpec =
  | { readonly name: string; readonly kind: 'tensor' }
  | {
      readonly name: string
      readonly kind: 'zipMap'
      readonly source: string
      readonly labels: readonly Cell[]
    }

type Results = Readonly<Record<string, ort.OnnxValue>>
type Reader = (index: number) => Cell

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >>> 10) & 0x1f
  const mantissa = bits & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024)
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024)
}

function readerOf(tensor: ort.Tensor): Reader {
  const data = tensor.data as ArrayLike<unknown>
  switch (tensor.type) {
    case 'int64':
    case 'uint64':
      return (index) => Number(data[index] as bigint)
    case 'bool':
      return (index) => data[index] !== 0
    case 'float16':
      return data instanceof Uint16Array ? (index) => halfToFloat(data[index]!) : (index) => data[index]
    default:
      return (index) => data[index]
  }
}

function tensorOf(results: Results, name: string): ort.Tensor {
  const value = (Object.hasOwn(results, name) ? results[name] : undefined) as ort.Tensor | undefined
  if (!value || !('dims' in value))
    throw new MlflowError('INTERNAL_ERROR', `The ONNX model gave no output '${name}'`)
  return value
}

function nestedList(tensor: ort.Tensor): unknown {
  const read = readerOf(tensor)
  const dims = tensor.dims
  if (dims.length === 0) return read(0)
  let index = 0
  const build = (depth: number): unknown[] => {
    const length = dims[depth]!
    const list = new Array<unknown>(length)
    if (depth === dims.length - 1) {
      for (let item = 0; item < length; item++) list[item] = read(index++)
    } else {
      for (let item = 0; item < length; item++) list[item] = build(depth + 1)
    }
    return list
  }
  return build(0)
}

function zipMapRows(tensor: ort.Tensor, labels: readonly Cell[]): Record<string, number>[] {
  const data = tensor.data as Float32Array
  const width = labels.length
  const keys = labels.map(String)
  const rowCount = width === 0 ? 0 : Math.floor(data.length / width)
  const rows = new Array<Record<string, number>>(rowCount)
  for (let row = 0; row < rowCount; row++) {
    const map: Record<string, number> = {}
    for (let column = 0; column < width; column++) {
      setOwnProperty(map, keys[column]!, data[row * width + column]!)
    }
    rows[row] = map
  }
  return rows
}

/** One value per row: the row's scalar, or the row's values as a flat list when it has several. */
function columnOf(tensor: ort.Tensor, rowCount: number): Cell[] {
  const read = readerOf(tensor)
  const size = tensor.size
  const perRow = tensor.dims.length > 0 && tensor.dims[0] === rowCount && rowCount > 0 ? size / rowCount : 1
  const length = perRow === 1 ? size : rowCount
  const column = new Array<Cell>(length)
  if (perRow === 1) {
    for (let index = 0; index < size; index++) column[index] = read(index)
  } else {
    for (let row = 0; row < rowCount; row++) {
      const values = new Array<Cell>(perRow)
      for (let item = 0; item < perRow; item++) values[item] = read(row * perRow + item)
      column[row] = values
    }
  }
  return column
}

/**
 * Builds a dataframe answer: one column per output. Row i answers input row i when the output's first dimension
 * is the row count; otherwise (as MLflow) the output is flattened and must be as long as the other columns.
 */
function dataframeOutput(results: Results, specs: readonly OnnxOutputSpec[], rowCount: number): ModelOutput {
  const columns = specs.map((spec) =>
    spec.kind === 'zipMap'
      ? zipMapRows(tensorOf(results, spec.source), spec.labels)
      : columnOf(tensorOf(results, spec.name), rowCount),
  )
  const length = columns[0]?.length ?? 0
  if (columns.some((column) => column.length !== length)) {
    const lengths = specs.map((spec, index) => `${spec.name}: ${columns[index]!.length}`).join(', ')
    throw new MlflowError(
      'BAD_REQUEST',
      `The ONNX model's outputs have different lengths (${lengths}) and cannot form a dataframe`,
    )
  }
  const rows = new Array<Cell[]>(length)
  for (let row = 0; row < length; row++) rows[row] = columns.map((column) => column[row])
  return { kind: 'dataframe', columns: specs.map((spec) => spec.name), rows }
}

/** MLflow's ONNX answer: a dataframe for a dataframe input, otherwise `{output name: nested list}`. */
export function createOutput(options: {
  readonly results: Results
  readonly specs: readonly OnnxOutputSpec[]
  readonly rowCount: number | undefined
}): ModelOutput {
  const { results, specs, rowCount } = options
  if (rowCount !== undefined) return dataframeOutput(results, specs, rowCount)
  const values: Record<string, unknown> = {}
  for (const spec of specs) {
    setOwnProperty(
      values,
      spec.name,
      spec.kind === 'zipMap'
        ? zipMapRows(tensorOf(results, spec.source), spec.labels)
        : nestedList(tensorOf(results, spec.name)),
    )
  }
  return { kind: 'tensors', values }
}
