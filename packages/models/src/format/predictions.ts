import { MlflowError } from '@cairn/core'
import type { Cell, ModelInput, ModelOutput } from '../model.js'
import { setOwnProperty } from './own-property.js'

type DataframeInput = Extract<ModelInput, { kind: 'dataframe' }>

/**
 * A tensor as onnxruntime gives it: a flat typed array plus its dimensions. `predictionsToJson` and
 * `splitOutputByRows` accept it wherever a nested array is expected.
 */
export interface TensorLike {
  readonly dims: readonly number[]
  readonly data: ArrayLike<unknown>
}

/**
 * The `predictions` value of MLflow's scoring protocol for a model output: a dataframe as a list of records, a
 * tensor as a nested list, tensors as `{name: nested list}`, JSON as is. Typed arrays become lists, bigints numbers,
 * `Buffer`s base64 text and dates ISO text, as MLflow's JSON encoder does.
 */
export function predictionsToJson(output: ModelOutput): unknown {
  switch (output.kind) {
    case 'dataframe':
      return output.rows.map((row) => {
        const record: Record<string, unknown> = {}
        output.columns.forEach((column, index) => {
          setOwnProperty(record, column, toJsonValue(row[index]))
        })
        return record
      })
    case 'tensor':
      return toJsonValue(output.value)
    case 'tensors':
      return Object.fromEntries(
        Object.entries(output.values).map(([name, value]) => [name, toJsonValue(value)]),
      )
    case 'json':
      return toJsonValue(output.value)
  }
}

/**
 * One dataframe holding the rows of several dataframe inputs with the same columns, in order (micro-batching).
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` when an input is not a dataframe or its columns differ.
 */
export function concatDataframeInputs(inputs: readonly ModelInput[]): DataframeInput {
  const first = inputs[0]
  if (first?.kind !== 'dataframe') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', 'Only dataframe inputs can be concatenated')
  }
  const rows: (readonly Cell[])[] = []
  for (const input of inputs) {
    if (input.kind !== 'dataframe' || !sameColumns(input.columns, first.columns)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        'Only dataframe inputs with the same columns in the same order can be concatenated',
      )
    }
    for (const row of input.rows) rows.push(row)
  }
  return { kind: 'dataframe', columns: first.columns, rows }
}

/**
 * Splits a batched prediction back into one output per request, along the first dimension: the rows of a dataframe,
 * the first axis of a tensor (nested list, typed array or {@link TensorLike}), of each tensor of `tensors`, or of a
 * JSON list.
 *
 * @throws MlflowError `INTERNAL_ERROR` when the output does not have one entry per input row.
 */
export function splitOutputByRows(output: ModelOutput, rowCounts: readonly number[]): ModelOutput[] {
  const total = rowCounts.reduce((sum, count) => sum + count, 0)
  switch (output.kind) {
    case 'dataframe':
      checkRowCount(output.rows.length, total)
      return slices(rowCounts).map(([start, end]) => ({
        kind: 'dataframe',
        columns: output.columns,
        rows: output.rows.slice(start, end),
      }))
    case 'tensor': {
      const value = splittable(output.value, total)
      return slices(rowCounts).map(([start, end]) => ({ kind: 'tensor', value: value.slice(start, end) }))
    }
    case 'tensors': {
      const values = Object.entries(output.values).map(
        ([name, value]) => [name, splittable(value, total)] as const,
      )
      return slices(rowCounts).map(([start, end]) => ({
        kind: 'tensors',
        values: Object.fromEntries(values.map(([name, value]) => [name, value.slice(start, end)])),
      }))
    }
    case 'json': {
      const value = splittable(output.value, total)
      return slices(rowCounts).map(([start, end]) => ({ kind: 'json', value: value.slice(start, end) }))
    }
  }
}

/** Turns a value into plain JSON data (arrays, objects, numbers, strings, booleans, null). */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : null
    case 'bigint':
      return Number(value)
    case 'string':
    case 'boolean':
      return value
    case 'object':
      break
    default:
      return null
  }
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (Buffer.isBuffer(value)) return value.toString('base64')
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>, toJsonValue)
  }
  if (value instanceof Date) return value.toISOString()
  if (isTensorLike(value)) return toJsonValue(nestTensor(value))
  const record: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    setOwnProperty(record, key, toJsonValue(item))
  }
  return record
}

function isTensorLike(value: unknown): value is TensorLike {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as { dims?: unknown; data?: unknown }
  return (
    Array.isArray(candidate.dims) &&
    (Array.isArray(candidate.data) ||
      (ArrayBuffer.isView(candidate.data) && !(candidate.data instanceof DataView)))
  )
}

/** A flat tensor as nested arrays of its dims (a scalar for no dims). */
function nestTensor(tensor: TensorLike): unknown {
  const data = tensor.data
  const dims = tensor.dims
  if (dims.length === 0) return data[0]
  const build = (offset: number, axis: number): unknown[] => {
    const size = dims[axis]!
    if (axis === dims.length - 1) return Array.from({ length: size }, (_, index) => data[offset + index])
    const step = dims.slice(axis + 1).reduce((product, dimension) => product * dimension, 1)
    return Array.from({ length: size }, (_, index) => build(offset + index * step, axis + 1))
  }
  return build(0, 0)
}

/** Something with `.slice` along the first dimension, checked to have `total` entries. */
function splittable(value: unknown, total: number): { slice(start: number, end: number): unknown } {
  if (isTensorLike(value)) {
    const nested = nestTensor(value)
    if (!Array.isArray(nested)) throw notSplittable()
    checkRowCount(nested.length, total)
    return nested
  }
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    const items = value as unknown as { length: number; slice(start: number, end: number): unknown }
    checkRowCount(items.length, total)
    return items
  }
  throw notSplittable()
}

function notSplittable(): MlflowError {
  return new MlflowError(
    'INTERNAL_ERROR',
    'The model output has no first dimension to split by request; a row-batchable model must answer one entry per input row',
  )
}

function checkRowCount(actual: number, expected: number): void {
  if (actual !== expected) {
    throw new MlflowError(
      'INTERNAL_ERROR',
      `The model answered ${actual} rows for ${expected} input rows; a row-batchable model must answer one entry per input row`,
    )
  }
}

function slices(rowCounts: readonly number[]): [number, number][] {
  let start = 0
  return rowCounts.map((count) => {
    const range: [number, number] = [start, start + count]
    start += count
    return range
  })
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, index) => column === b[index])
}
