import { MlflowError } from '@cairn/core'
import * as ort from 'onnxruntime-node'
import { setOwnProperty } from '../../format/own-property.js'
import type { ModelInput } from '../../model.js'

/** A model input as the session declares it. `shape` is undefined when unknown; a dimension is undefined when dynamic. */
export interface OnnxInputSpec {
  readonly name: string
  readonly type: ort.Tensor.Type
  readonly shape: readonly (number | undefined)[] | undefined
}

type Feeds = Record<string, ort.Tensor>
type Writer = (index: number, value: unknown) => boolean

interface Buffer {
  readonly data: ort.Tensor.DataType
  readonly write: Writer
}

const INTEGER_RANGES = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
} as const

const INTEGER_PATTERN = /^\s*[-+]?\d+\s*$/

function toFloat(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (value === null || value === undefined) return Number.NaN
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value)
    return Number.isNaN(parsed) && value.trim() !== 'NaN' ? undefined : parsed
  }
  return undefined
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string' && INTEGER_PATTERN.test(value)) return Number(value)
  return undefined
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined
  if (typeof value === 'string' && INTEGER_PATTERN.test(value)) return BigInt(value.trim())
  return undefined
}

const FLOAT_VIEW = new Float32Array(1)
const INT_VIEW = new Uint32Array(FLOAT_VIEW.buffer)

/** IEEE 754 half precision bits of a number (round to nearest even). */
export function floatToHalf(value: number): number {
  FLOAT_VIEW[0] = value
  const bits = INT_VIEW[0]!
  const sign = (bits >>> 16) & 0x8000
  const exponent = (bits >>> 23) & 0xff
  const mantissa = bits & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0)
  const halfExponent = exponent - 127 + 15
  if (halfExponent >= 0x1f) return sign | 0x7c00
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign
    const full = mantissa | 0x800000
    const shift = 14 - halfExponent
    let half = full >>> shift
    const remainder = full & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    if (remainder > halfway || (remainder === halfway && half & 1)) half++
    return sign | half
  }
  let half = (halfExponent << 10) | (mantissa >>> 13)
  const remainder = mantissa & 0x1fff
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half++
  return sign | half
}

function createBuffer(type: ort.Tensor.Type, size: number): Buffer | undefined {
  switch (type) {
    case 'float32':
    case 'float64': {
      const data = type === 'float32' ? new Float32Array(size) : new Float64Array(size)
      return {
        data,
        write: (index, value) => {
          if (typeof value === 'number') {
            data[index] = value
            return true
          }
          const parsed = toFloat(value)
          if (parsed === undefined) return false
          data[index] = parsed
          return true
        },
      }
    }
    case 'float16': {
      const data = new Uint16Array(size)
      return {
        data,
        write: (index, value) => {
          const parsed = toFloat(value)
          if (parsed === undefined) return false
          data[index] = floatToHalf(parsed)
          return true
        },
      }
    }
    case 'int8':
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const data = new {
        int8: Int8Array,
        uint8: Uint8Array,
        int16: Int16Array,
        uint16: Uint16Array,
        int32: Int32Array,
        uint32: Uint32Array,
      }[type](size)
      const [min, max] = INTEGER_RANGES[type]
      return {
        data,
        write: (index, value) => {
          const parsed = toInteger(value)
          if (parsed === undefined || parsed < min || parsed > max) return false
          data[index] = parsed
          return true
        },
      }
    }
    case 'int64':
    case 'uint64': {
      const data = type === 'int64' ? new BigInt64Array(size) : new BigUint64Array(size)
      const [min, max] = type === 'int64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n]
      return {
        data,
        write: (index, value) => {
          const parsed = toBigInt(value)
          if (parsed === undefined || parsed < min || parsed > max) return false
          data[index] = parsed
          return true
        },
      }
    }
    case 'bool': {
      const data = new Uint8Array(size)
      return {
        data,
        write: (index, value) => {
          if (value === true || value === 1) data[index] = 1
          else if (value === false || value === 0) data[index] = 0
          else return false
          return true
        },
      }
    }
    case 'string': {
      const data = new Array<string>(size)
      return {
        data,
        write: (index, value) => {
          if (typeof value === 'string') data[index] = value
          else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
            data[index] = String(value)
          } else return false
          return true
        },
      }
    }
    default:
      return undefined
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = typeof value === 'bigint' ? value.toString() : JSON.stringify(value)
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text
  return `${typeof value === 'string' ? 'the string' : 'the value'} ${shown}`
}

function badRequest(message: string): MlflowError {
  return new MlflowError('BAD_REQUEST', message)
}

function formatShape(shape: readonly (number | undefined)[]): string {
  return `[${shape.map((dimension) => dimension ?? -1).join(', ')}]`
}

function newBuffer(spec: OnnxInputSpec, size: number): Buffer {
  const buffer = createBuffer(spec.type, size)
  if (!buffer)
    throw badRequest(`Input '${spec.name}' has the element type ${spec.type}, which Cairn cannot feed`)
  return buffer
}

function wrongValue(spec: OnnxInputSpec, value: unknown): MlflowError {
  return badRequest(`Input '${spec.name}' expects ${spec.type} values, got ${describeValue(value)}`)
}

/** The shape of a nested array (checked to be rectangular) and its leaves in row-major order. */
function flatten(spec: OnnxInputSpec, value: unknown): { shape: number[]; leaves: unknown[] } {
  const shape: number[] = []
  for (let probe = value; Array.isArray(probe); probe = probe[0]) {
    shape.push(probe.length)
    if (probe.length === 0) break
  }
  const leaves: unknown[] = []
  const visit = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw badRequest(`Input '${spec.name}' is not a rectangular array`)
      leaves.push(node)
      return
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw badRequest(`Input '${spec.name}' is not a rectangular array`)
    }
    for (const child of node) visit(child, depth + 1)
  }
  visit(value, 0)
  return { shape, leaves }
}

function withoutTrailingOnes<T>(shape: readonly T[]): readonly T[] {
  let length = shape.length
  while (length > 1 && shape[length - 1] === 1) length--
  return shape.slice(0, length)
}

/**
 * Fits the request's shape to the declared one: every fixed dimension must agree, after dropping trailing
 * dimensions of size 1 when the ranks differ (a column of scalars feeds an `[N, 1]` input, a one-column frame an
 * `[N]` input).
 */
function fitShape(spec: OnnxInputSpec, actual: readonly number[]): number[] {
  const expected = spec.shape
  if (!expected) return [...actual]
  const given = expected.length === actual.length ? actual : withoutTrailingOnes(actual)
  const wanted = expected.length === actual.length ? expected : withoutTrailingOnes(expected)
  const fits =
    given.length === wanted.length &&
    wanted.every((dimension, index) => dimension === undefined || dimension === given[index])
  if (!fits) {
    throw badRequest(
      `Input '${spec.name}' expects shape ${formatShape(expected)}, but the request gives shape ${formatShape(actual)}`,
    )
  }
  return expected.map((dimension, index) => dimension ?? given[index]!)
}

function tensorFromValue(spec: OnnxInputSpec, value: unknown): ort.Tensor {
  if (Array.isArray(value) && Array.isArray(value[0])) {
    const columnCount = (value[0] as unknown[]).length
    if (value.every((row) => Array.isArray(row) && row.length === columnCount)) {
      const matrix = tensorFromMatrix(spec, value as unknown[][], columnCount)
      if (matrix) return matrix
    }
  }
  const { shape, leaves } = flatten(spec, value)
  const buffer = newBuffer(spec, leaves.length)
  for (let index = 0; index < leaves.length; index++) {
    if (!buffer.write(index, leaves[index])) throw wrongValue(spec, leaves[index])
  }
  return new ort.Tensor(spec.type, buffer.data, fitShape(spec, shape))
}

/** Rows × columns of scalars written straight into one typed array; undefined when a cell holds an array. */
function tensorFromMatrix(
  spec: OnnxInputSpec,
  rows: readonly (readonly unknown[])[],
  columnCount: number,
): ort.Tensor | undefined {
  const buffer = newBuffer(spec, rows.length * columnCount)
  const write = buffer.write
  let index = 0
  for (const row of rows) {
    if (row.length !== columnCount) {
      throw badRequest(
        `Input '${spec.name}': a row has ${row.length} values where the columns are ${columnCount}`,
      )
    }
    for (let column = 0; column < columnCount; column++) {
      const cell = row[column]
      if (!write(index++, cell)) {
        if (Array.isArray(cell)) return undefined
        throw wrongValue(spec, cell)
      }
    }
  }
  return new ort.Tensor(spec.type, buffer.data, fitShape(spec, [rows.length, columnCount]))
}

function dataframeFeeds(
  input: Extract<ModelInput, { kind: 'dataframe' }>,
  specs: readonly OnnxInputSpec[],
): Feeds {
  if (specs.length === 1) {
    const spec = specs[0]!
    // cells holding arrays: a one-column frame is that column's tensors stacked, otherwise rows × columns × cell
    const tensor =
      tensorFromMatrix(spec, input.rows, input.columns.length) ??
      tensorFromValue(spec, input.columns.length === 1 ? input.rows.map((row) => row[0]) : input.rows)
    return { [spec.name]: tensor }
  }
  const feeds: Feeds = {}
  for (const spec of specs) {
    const column = input.columns.indexOf(spec.name)
    if (column < 0) {
      throw badRequest(
        `Model is missing inputs ['${spec.name}']: the model's inputs are ${JSON.stringify(specs.map((s) => s.name))} ` +
          `and the dataframe's columns are ${JSON.stringify(input.columns)}`,
      )
    }
    setOwnProperty(
      feeds,
      spec.name,
      tensorFromValue(
        spec,
        input.rows.map((row) => row[column]),
      ),
    )
  }
  return feeds
}

/**
 * Turns a request into ONNX feeds as MLflow's ONNX pyfunc does: a dataframe is the single input's rows × columns
 * matrix, or one column per input name; a tensor feeds the only input; named tensors feed inputs by name.
 */
export function createFeeds(input: ModelInput, specs: readonly OnnxInputSpec[]): Feeds {
  switch (input.kind) {
    case 'dataframe':
      return dataframeFeeds(input, specs)
    case 'tensor': {
      if (specs.length !== 1) {
        throw badRequest(
          `A single tensor can only feed a model with one input; this model has ${specs.length} inputs ` +
            `${JSON.stringify(specs.map((spec) => spec.name))}: send them by name`,
        )
      }
      const spec = specs[0]!
      return { [spec.name]: tensorFromValue(spec, input.value) }
    }
    case 'tensors': {
      const names = specs.map((spec) => spec.name)
      const unknown = Object.keys(input.values).filter((name) => !names.includes(name))
      if (unknown.length > 0) {
        throw badRequest(
          `Unknown inputs ${JSON.stringify(unknown)}: the model's inputs are ${JSON.stringify(names)}`,
        )
      }
      const feeds: Feeds = {}
      for (const spec of specs) {
        if (!Object.hasOwn(input.values, spec.name)) {
          throw badRequest(
            `Model is missing inputs ['${spec.name}']: the model's inputs are ${JSON.stringify(names)}`,
          )
        }
        setOwnProperty(feeds, spec.name, tensorFromValue(spec, input.values[spec.name]))
      }
      return feeds
    }
  }
}
