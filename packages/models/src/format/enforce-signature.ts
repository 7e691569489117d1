import { MlflowError, pythonTypeName } from '@cairn/core'
import type { Cell, ModelInput, ModelParams } from '../model.js'
import { checkFrameDensity } from './frame-limits.js'
import { setOwnProperty } from './own-property.js'
import { pythonRepr, pythonTupleRepr } from './python-repr.js'
import {
  type ColSpec,
  type DataType,
  isTensorSchema,
  type ModelSignature,
  numpyTypeName,
  type ObjectType,
  type ParamSpec,
  paramSpecRepr,
  schemaRepr,
  type TensorSpec,
  type ValueType,
  valueTypeRepr,
} from './signature.js'

type Frame = { readonly columns: readonly string[]; readonly rows: readonly (readonly Cell[])[] }

/** Thrown inside enforcement; wrapped into MLflow's "Failed to enforce schema" message at the top. */
class SchemaMismatch extends Error {}

/**
 * Checks and converts a model input against the signature's input schema, as MLflow's pyfunc `predict` does.
 *
 * Column-based schema: the input becomes a `dataframe` with the schema's columns in order (extra columns are
 * dropped), each cell converted to the column type. Tensor-based schema: the input becomes a `tensor` (one unnamed
 * spec) or `tensors` (named specs) of nested arrays cast to the spec's dtype, whose shape matches the spec (-1 is
 * free); a dataframe is turned into the tensor (rows × columns).
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` (schema mismatch) or `BAD_REQUEST` (values that do not convert).
 */
export function enforceSignature(input: ModelInput, signature?: ModelSignature): ModelInput {
  const schema = signature?.inputs
  if (!schema || schema.length === 0) return input
  try {
    return isTensorSchema(schema) ? enforceTensorSchema(input, schema) : enforceColumnSchema(input, schema)
  } catch (error) {
    if (error instanceof SchemaMismatch) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Failed to enforce schema of data with schema '${schemaRepr(schema)}'. Error: ${error.message}`,
      )
    }
    throw error
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Column-based schemas

function enforceColumnSchema(input: ModelInput, schema: readonly ColSpec[]): ModelInput {
  const frame = toFrame(input, schema)
  const named = schema[0]!.name !== undefined
  const indexOf = new Map<string, number>()
  frame.columns.forEach((column, index) => {
    if (!indexOf.has(column)) indexOf.set(column, index)
  })
  const selected: { spec: ColSpec; name: string; index: number }[] = []
  if (named) {
    const missing = schema
      .filter((spec) => spec.required && !indexOf.has(spec.name!))
      .map((spec) => spec.name!)
    if (missing.length > 0) {
      const known = new Set(schema.map((spec) => spec.name))
      const extra = frame.columns.filter((column) => !known.has(column))
      throw new SchemaMismatch(
        `Model is missing inputs ${pythonRepr(missing)}.${extra.length > 0 ? ` Note that there were extra inputs: ${pythonRepr(extra)}.` : ''}`,
      )
    }
    for (const spec of schema) {
      const index = indexOf.get(spec.name!)
      if (index !== undefined) selected.push({ spec, name: spec.name!, index })
    }
  } else {
    if (frame.columns.length < schema.length) {
      throw new SchemaMismatch(
        `Model inference is missing inputs. The model signature declares ${schema.length} inputs  but the provided value only has ${frame.columns.length} inputs. Note: the inputs were not named in the signature so we can only verify their count.`,
      )
    }
    schema.forEach((spec, index) => {
      selected.push({ spec, name: frame.columns[index]!, index })
    })
  }
  const converted = selected.map(({ spec, name, index }) =>
    convertColumn(
      name,
      frame.rows.map((row) => row[index]),
      spec,
    ),
  )
  const rows = frame.rows.map((_, row) => converted.map((column) => column[row]))
  return { kind: 'dataframe', columns: selected.map(({ name }) => name), rows }
}

/** What pandas makes of a non-dataframe input when the model has a column-based signature. */
function toFrame(input: ModelInput, schema: readonly ColSpec[]): Frame {
  switch (input.kind) {
    case 'dataframe':
      return input
    case 'tensor':
      return frameFromTensor(input.value, schema)
    case 'tensors':
      return frameFromTensors(input.values, schema)
  }
}

function frameFromTensor(value: unknown, schema: readonly ColSpec[]): Frame {
  if (isPlainObject(value)) return frameFromTensors(value, schema)
  if (!isArrayLike(value)) return { columns: ['0'], rows: [[value]] }
  const items = Array.from(value as ArrayLike<unknown>)
  if (items.length > 0 && items.every(isPlainObject)) return frameFromRecords(items)
  if (schema.length === 1 && schema[0]!.name !== undefined) {
    // A bare list for a single-column signature is that column.
    return { columns: [schema[0]!.name], rows: items.map((item) => [item]) }
  }
  if (items.length > 0 && items.every(isArrayLike)) {
    const rows = items.map((item) => Array.from(item as ArrayLike<unknown>))
    let width = 0
    for (const row of rows) width = Math.max(width, row.length)
    return { columns: Array.from({ length: width }, (_, index) => String(index)), rows }
  }
  return { columns: ['0'], rows: items.map((item) => [item]) }
}

function frameFromTensors(values: Readonly<Record<string, unknown>>, schema: readonly ColSpec[]): Frame {
  const columns = Object.keys(values)
  const cells = columns.map((column) => values[column])
  const nestedTypes = schema.some((spec) => typeof spec.type === 'object' && spec.type.type !== 'map')
  if (nestedTypes || cells.every((cell) => !isArrayLike(cell))) {
    return { columns, rows: [cells] }
  }
  const lengths = new Set(cells.filter(isArrayLike).map((cell) => (cell as ArrayLike<unknown>).length))
  if (lengths.size > 1) {
    throw new SchemaMismatch(
      'This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: All arrays must be of the same length',
    )
  }
  const rowCount = [...lengths][0] ?? 0
  const arrays = cells.filter(isArrayLike).length
  checkFrameDensity(rowCount, columns.length, arrays * rowCount + (columns.length - arrays))
  const rows = Array.from({ length: rowCount }, (_, row) =>
    cells.map((cell) => (isArrayLike(cell) ? (cell as ArrayLike<unknown>)[row] : cell)),
  )
  return { columns, rows }
}

function frameFromRecords(records: readonly unknown[]): Frame {
  const positions = new Map<string, number>()
  let present = 0
  for (const record of records as Record<string, unknown>[]) {
    for (const key of Object.keys(record)) {
      present++
      if (!positions.has(key)) positions.set(key, positions.size)
    }
  }
  checkFrameDensity(records.length, positions.size, present)
  const columns = [...positions.keys()]
  return {
    columns,
    rows: (records as Record<string, unknown>[]).map((record) =>
      columns.map((column) => (Object.hasOwn(record, column) ? record[column] : null)),
    ),
  }
}

function convertColumn(name: string, values: readonly Cell[], spec: ColSpec): Cell[] {
  const type = spec.type
  if (typeof type === 'string' && type !== 'any' && type !== 'sparkml_vector') {
    return convertScalarColumn(name, values, type)
  }
  return values.map((value, row) => {
    try {
      return enforceValue(value, type, spec.required)
    } catch (error) {
      if (error instanceof SchemaMismatch) {
        throw new SchemaMismatch(
          `Failed to enforce schema of column ${name} with type ${valueTypeRepr(type)} at row ${row}: ${error.message}`,
        )
      }
      throw error
    }
  })
}

/** Scalar column conversion: the safe conversions of MLflow's `_enforce_mlflow_datatype` plus its parse-time casts. */
function convertScalarColumn(name: string, values: readonly Cell[], type: DataType): Cell[] {
  const out = new Array<Cell>(values.length)
  for (let row = 0; row < values.length; row++) {
    const value = values[row]
    const converted = convertScalar(value, type)
    if (converted === NOT_CONVERTIBLE) {
      if (typeof value === 'string' && type !== 'boolean' && type !== 'datetime') {
        // MLflow casts text while parsing the request (`astype`) and answers its ValueError as a bad request.
        const reason =
          type === 'long' || type === 'integer'
            ? `invalid literal for int() with base 10: ${pythonRepr(value)}`
            : `could not convert string to float: ${pythonRepr(value)}`
        throw new MlflowError(
          'BAD_REQUEST',
          `Invalid input. Data is not compatible with model signature. Failed to convert column ${name} to type '${numpyTypeName(type)}'. Error: 'ValueError(${pythonRepr(reason)})'`,
        )
      }
      throw incompatibleColumn(name, values, type, row)
    }
    out[row] = converted
  }
  return out
}

const NOT_CONVERTIBLE = Symbol('not convertible')

function convertScalar(value: Cell, type: DataType): Cell | typeof NOT_CONVERTIBLE {
  switch (type) {
    case 'double':
    case 'float': {
      let number: number
      if (typeof value === 'number') number = value
      else if (value === null || value === undefined) number = Number.NaN
      else if (typeof value === 'boolean') number = value ? 1 : 0
      else if (typeof value === 'bigint') number = Number(value)
      else if (typeof value === 'string') {
        const parsed = parsePythonFloat(value)
        if (parsed === undefined) return NOT_CONVERTIBLE
        number = parsed
      } else return NOT_CONVERTIBLE
      return type === 'float' ? Math.fround(number) : number
    }
    case 'long':
    case 'integer': {
      let number: number
      if (typeof value === 'number') number = value
      else if (typeof value === 'boolean') number = value ? 1 : 0
      else if (typeof value === 'bigint') number = Number(value)
      else if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) number = Number(value)
      else return NOT_CONVERTIBLE
      if (!Number.isInteger(number)) return NOT_CONVERTIBLE
      if (type === 'integer' && (number < -2147483648 || number > 2147483647)) return NOT_CONVERTIBLE
      return number
    }
    case 'boolean':
      if (typeof value === 'boolean' || value === null || value === undefined) return value ?? null
      if (value === 0 || value === 1) return value === 1
      if (typeof value === 'string') {
        const lower = value.trim().toLowerCase()
        if (lower === 'true') return true
        if (lower === 'false') return false
      }
      return NOT_CONVERTIBLE
    case 'string':
      if (typeof value === 'string' || value === null || value === undefined) return value ?? null
      if (typeof value === 'number' || typeof value === 'bigint') return String(value)
      if (typeof value === 'boolean') return value ? 'True' : 'False'
      return NOT_CONVERTIBLE
    case 'binary':
      if (value === null || value === undefined) return null
      if (value instanceof Uint8Array) return value
      if (typeof value === 'string') return Buffer.from(value, 'base64')
      return NOT_CONVERTIBLE
    case 'datetime': {
      if (value === null || value === undefined) return null
      if (value instanceof Date) return value
      if (typeof value === 'string') {
        const date = new Date(
          /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)
            ? `${value.replace(' ', 'T')}Z`
            : value,
        )
        return Number.isNaN(date.getTime()) ? NOT_CONVERTIBLE : date
      }
      return NOT_CONVERTIBLE
    }
  }
}

function incompatibleColumn(
  name: string,
  values: readonly Cell[],
  type: DataType,
  row: number,
): SchemaMismatch {
  const dtype = pandasDtypeOf(values)
  let hint = ''
  if (
    (type === 'long' || type === 'integer') &&
    dtype === 'float64' &&
    values.every((value) => value === null || value === undefined || Number.isInteger(value))
  ) {
    hint =
      ' Hint: the type mismatch is likely caused by missing values. Integer columns in python can not represent' +
      ' missing values and are therefore encoded as floats. The best way to avoid this problem is to infer the' +
      ' model schema based on a realistic data sample (training dataset) that includes missing values.' +
      ' Alternatively, you can declare integer columns as doubles (float64) whenever these columns may have' +
      ' missing values.'
  }
  return new SchemaMismatch(
    `Incompatible input types for column ${name}. Can not safely convert ${dtype} to ${numpyTypeName(type)}.${hint}` +
      ` The value at row ${row} is ${pythonRepr(values[row])}.`,
  )
}

/** The dtype pandas would give a column of JSON values, for messages. */
function pandasDtypeOf(values: readonly Cell[]): string {
  let numbers = 0
  let integers = 0
  let missing = 0
  let booleans = 0
  for (const value of values) {
    if (value === null || value === undefined) missing++
    else if (typeof value === 'number') {
      numbers++
      if (Number.isInteger(value)) integers++
    } else if (typeof value === 'boolean') booleans++
    else return 'object'
  }
  if (numbers > 0 && booleans === 0) return integers === numbers && missing === 0 ? 'int64' : 'float64'
  if (booleans > 0 && numbers === 0 && missing === 0) return 'bool'
  return 'object'
}

/** Nested values (array, object, map items): MLflow's `_enforce_type`. */
function enforceValue(value: unknown, type: ValueType, required: boolean): unknown {
  if (typeof type === 'string') {
    if (type === 'any') return value
    if (type === 'sparkml_vector') return enforceValue(value, { type: 'array', items: 'double' }, required)
    if (!required && (value === null || value === undefined || Number.isNaN(value))) return null
    if (isArrayLike(value) || isPlainObject(value)) {
      throw new SchemaMismatch(`Expected data to be scalar, got ${pythonTypeName(value)}`)
    }
    const converted = convertStrictScalar(value, type)
    if (converted === NOT_CONVERTIBLE) {
      throw new SchemaMismatch(
        `Failed to enforce schema of data \`${pythonStr(value)}\` with dtype \`${type}\``,
      )
    }
    return converted
  }
  switch (type.type) {
    case 'array': {
      const emptyAllowed = !required || type.items === 'any'
      if (
        emptyAllowed &&
        (value === null || value === undefined || (isArrayLike(value) && (value as unknown[]).length === 0))
      ) {
        return value ?? null
      }
      if (!isArrayLike(value)) {
        throw new SchemaMismatch(`Expected data to be list or numpy array, got ${pythonTypeName(value)}`)
      }
      return Array.from(value as ArrayLike<unknown>, (item) => enforceValue(item, type.items, required))
    }
    case 'object':
      return enforceObject(value, type, required)
    case 'map': {
      if (
        (!required || type.values === 'any') &&
        (value === null || value === undefined || isEmptyObject(value))
      ) {
        return value ?? null
      }
      if (!isPlainObject(value))
        throw new SchemaMismatch(`Expected data to be a dict, got ${pythonTypeName(value)}`)
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, enforceValue(item, type.values, required)]),
      )
    }
  }
}

function enforceObject(value: unknown, type: ObjectType, required: boolean): unknown {
  if (!required && (value === null || value === undefined || isEmptyObject(value))) return value ?? null
  if (!isPlainObject(value)) {
    throw new SchemaMismatch(
      `Failed to enforce schema of '${pythonStr(value)}' with type '${valueTypeRepr(type)}'. Expected data to be dictionary, got ${pythonTypeName(value)}`,
    )
  }
  const missing = type.properties.filter(
    (property) => property.required && !Object.hasOwn(value, property.name),
  )
  if (missing.length > 0) {
    throw new SchemaMismatch(
      `Missing required properties: {${missing.map((property) => pythonRepr(property.name)).join(', ')}}`,
    )
  }
  const known = new Map(type.properties.map((property) => [property.name, property]))
  const invalid = Object.keys(value).filter((key) => !known.has(key))
  if (invalid.length > 0) {
    throw new SchemaMismatch(
      `Invalid properties not defined in the schema found: {${invalid.map((key) => pythonRepr(key)).join(', ')}}`,
    )
  }
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const property = known.get(key)!
    try {
      setOwnProperty(out, key, enforceValue(item, property.type, property.required))
    } catch (error) {
      if (!(error instanceof SchemaMismatch)) throw error
      throw new SchemaMismatch(
        `Failed to enforce schema for key \`${key}\`. Expected type ${valueTypeRepr(property.type)}, received type ${pythonTypeName(item)}`,
      )
    }
  }
  return out
}

/** Item conversion inside arrays, objects and maps: only value-preserving conversions. */
function convertStrictScalar(value: unknown, type: DataType): unknown {
  switch (type) {
    case 'double':
    case 'float':
      if (typeof value !== 'number') return NOT_CONVERTIBLE
      return type === 'float' ? Math.fround(value) : value
    case 'long':
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : NOT_CONVERTIBLE
    case 'boolean':
      return typeof value === 'boolean' ? value : NOT_CONVERTIBLE
    case 'string':
      return typeof value === 'string' ? value : NOT_CONVERTIBLE
    default:
      return convertScalar(value, type)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tensor-based schemas

function enforceTensorSchema(input: ModelInput, schema: readonly TensorSpec[]): ModelInput {
  const named = schema[0]!.name !== undefined
  if (!named) {
    const spec = schema[0]!
    switch (input.kind) {
      case 'tensor':
        return { kind: 'tensor', value: enforceTensor(input.value, spec) }
      case 'dataframe':
        return { kind: 'tensor', value: tensorFromFrame(input, spec) }
      case 'tensors':
        throw new MlflowError(
          'BAD_REQUEST',
          'Invalid input. Failed to parse input data. This model contains an un-named  model signature which' +
            ' expects a single n-dimensional array or a single value as input, however, an input of type' +
            " <class 'dict'> was found.",
        )
    }
  }
  const names = schema.map((spec) => spec.name!)
  let available: ReadonlySet<string>
  switch (input.kind) {
    case 'tensors':
      available = new Set(Object.keys(input.values))
      break
    case 'dataframe':
      available = new Set(input.columns)
      break
    case 'tensor':
      available = new Set(schema.length === 1 ? names : [])
      break
  }
  const missing = names.filter((name) => !available.has(name))
  if (missing.length > 0) {
    const extra = [...available].filter((name) => !names.includes(name))
    throw new SchemaMismatch(
      `Model is missing inputs ${pythonRepr(missing)}.${extra.length > 0 ? ` Note that there were extra inputs: ${pythonRepr(extra)}.` : ''}`,
    )
  }
  const values: Record<string, unknown> = {}
  for (const spec of schema) {
    const name = spec.name!
    switch (input.kind) {
      case 'tensors':
        setOwnProperty(values, name, enforceTensor(input.values[name], spec))
        break
      case 'tensor':
        setOwnProperty(values, name, enforceTensor(input.value, spec))
        break
      case 'dataframe': {
        const index = input.columns.indexOf(name)
        setOwnProperty(
          values,
          name,
          tensorFromColumn(
            name,
            input.rows.map((row) => row[index]),
            spec,
          ),
        )
        break
      }
    }
  }
  return { kind: 'tensors', values }
}

/** Casts a nested array to the spec's dtype (numpy's `np.array(data, dtype)`) and checks its shape. */
function enforceTensor(value: unknown, spec: TensorSpec): unknown {
  if (spec.dtype === 'object' && spec.shape.length === 1 && spec.shape[0] === -1) return value
  const shape = shapeOf(value)
  const cast = castNested(value, shape, 0, scalarCaster(spec.dtype))
  checkShape(shape, spec)
  return cast
}

function checkShape(shape: readonly number[], spec: TensorSpec): void {
  const expected = spec.shape
  const matches =
    shape.length === expected.length &&
    expected.every((dimension, index) => dimension === -1 || dimension === shape[index])
  if (!matches) {
    throw new SchemaMismatch(
      `Shape of input ${pythonTupleRepr(shape)} does not match expected shape ${pythonTupleRepr(expected)}.`,
    )
  }
}

function tensorFromFrame(frame: Frame, spec: TensorSpec): unknown {
  if (frame.rows.length === 0 || frame.columns.length === 0)
    throw new SchemaMismatch('Input DataFrame is empty.')
  if (frame.columns.length === 1) {
    return tensorFromColumn(
      undefined,
      frame.rows.map((row) => row[0]),
      spec,
    )
  }
  const width = frame.columns.length
  const expected = spec.shape
  if (expected.length !== 2 || expected[0] !== -1 || (expected[1] !== width && expected[1] !== -1)) {
    throw new SchemaMismatch(
      'This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame' +
        ' containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns).' +
        ` Instead, the input DataFrame passed had ${width} columns and an input shape of ${pythonTupleRepr(expected)}` +
        ' with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the' +
        ' expected structure',
    )
  }
  const cast = scalarCaster(spec.dtype)
  return frame.rows.map((row, rowIndex) =>
    Array.from({ length: width }, (_, column) => {
      const cell = row[column]
      if (isArrayLike(cell) || isPlainObject(cell)) {
        throw new MlflowError(
          'BAD_REQUEST',
          `Invalid input. Data is not compatible with model signature. Failed to convert column ${frame.columns[column]} to type '${spec.dtype}'. Error: 'the value at row ${rowIndex} is not a scalar'`,
        )
      }
      return cast(cell)
    }),
  )
}

/** One dataframe column as a tensor: scalars for shape (-1,) or (-1, 1), lists reshaped to the spec's shape. */
function tensorFromColumn(name: string | undefined, values: readonly Cell[], spec: TensorSpec): unknown {
  const expected = spec.shape
  const label = name === undefined ? 'the unnamed input' : `input ${name}`
  if (expected[0] !== -1 || expected.slice(1).includes(-1)) {
    throw new SchemaMismatch(
      'For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions' +
        ` must be fixed, but in model signature the shape of ${label} is ${pythonTupleRepr(expected)}.`,
    )
  }
  const cast = scalarCaster(spec.dtype)
  const first = values[0]
  if (!isArrayLike(first) && !isPlainObject(first)) {
    if (expected.length === 1) return values.map((value) => cast(value))
    if (expected.length === 2 && expected[1] === 1) return values.map((value) => [cast(value)])
    throw new SchemaMismatch(
      `The input pandas dataframe column '${name ?? 'None'}' contains scalar values, which requires the shape to be` +
        ` (-1,) or (-1, 1), but got tensor spec shape of ${pythonTupleRepr(expected)}.`,
    )
  }
  if (isArrayLike(first)) {
    const inner = expected.slice(1)
    const size = inner.reduce((product, dimension) => product * dimension, 1)
    const notConvertible = () =>
      new SchemaMismatch(
        `The value in the Input DataFrame column '${name ?? 'None'}' could not be converted to the expected shape of:` +
          ` '${pythonTupleRepr(expected)}'. Ensure that each of the input list elements are of uniform length and` +
          ` that the data can be coerced to the tensor type '${spec.dtype}'`,
      )
    return values.map((value) => {
      if (!isArrayLike(value)) throw notConvertible()
      const flat = flatten(value)
      if (flat.length !== size) throw notConvertible()
      return reshape(
        flat.map((item) => cast(item)),
        inner,
      )
    })
  }
  throw new SchemaMismatch(
    'Because the model signature requires tensor spec input, the input pandas dataframe values should be either' +
      ' scalar value, python list containing scalar values or numpy array containing scalar values, other types are' +
      ' not supported.',
  )
}

function shapeOf(value: unknown): number[] {
  const shape: number[] = []
  let current = value
  while (isArrayLike(current)) {
    const items = current as ArrayLike<unknown>
    shape.push(items.length)
    if (items.length === 0) break
    current = items[0]
  }
  return shape
}

function castNested(
  value: unknown,
  shape: readonly number[],
  depth: number,
  cast: (value: unknown) => unknown,
): unknown {
  if (depth === shape.length) {
    if (isArrayLike(value)) throw inhomogeneous(shape, depth)
    return cast(value)
  }
  if (!isArrayLike(value) || (value as ArrayLike<unknown>).length !== shape[depth])
    throw inhomogeneous(shape, depth)
  return Array.from(value as ArrayLike<unknown>, (item) => castNested(item, shape, depth + 1, cast))
}

function inhomogeneous(shape: readonly number[], depth: number): MlflowError {
  return new MlflowError(
    'BAD_REQUEST',
    'Invalid input. setting an array element with a sequence. The requested array has an inhomogeneous shape after' +
      ` ${depth} dimensions. The detected shape was ${pythonTupleRepr(shape.slice(0, depth))} + inhomogeneous part.`,
  )
}

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER * 1024, Number.MAX_SAFE_INTEGER * 1024],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  uint64: [0, Number.MAX_SAFE_INTEGER * 2048],
}

const FLOAT_DTYPES = new Set(['float16', 'float32', 'float64', 'float', 'double', 'half', 'single'])

/** A per-element cast with numpy's semantics for `np.array(data, dtype=...)`. */
function scalarCaster(dtype: string): (value: unknown) => unknown {
  if (FLOAT_DTYPES.has(dtype)) {
    const round = dtype === 'float32' || dtype === 'single' ? Math.fround : (value: number) => value
    return (value) => {
      if (typeof value === 'number') return round(value)
      if (typeof value === 'boolean') return value ? 1 : 0
      if (value === null || value === undefined) return Number.NaN
      if (typeof value === 'bigint') return Number(value)
      if (typeof value === 'string') {
        const parsed = parsePythonFloat(value)
        if (parsed !== undefined) return round(parsed)
        throw badCast(`could not convert string to float: ${pythonRepr(value)}`)
      }
      throw badCast(`float() argument must be a string or a real number, not '${pythonTypeName(value)}'`)
    }
  }
  const range = INTEGER_RANGES[dtype]
  if (range) {
    return (value) => {
      let number: number
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw badCast(`cannot convert float ${pythonRepr(value)} to integer`)
        number = Math.trunc(value)
      } else if (typeof value === 'boolean') number = value ? 1 : 0
      else if (typeof value === 'bigint') number = Number(value)
      else if (typeof value === 'string') {
        if (!/^\s*[+-]?\d+\s*$/.test(value)) {
          throw badCast(`invalid literal for int() with base 10: ${pythonRepr(value)}`)
        }
        number = Number(value)
      } else {
        throw badCast(
          `int() argument must be a string, a bytes-like object or a real number, not '${pythonTypeName(value)}'`,
        )
      }
      if (number < range[0] || number > range[1]) {
        throw badCast(`Python integer ${number} out of bounds for ${dtype}`)
      }
      return number
    }
  }
  if (dtype === 'bool') {
    return (value) => {
      if (typeof value === 'string') return value.length > 0
      if (isPlainObject(value)) return Object.keys(value).length > 0
      return Boolean(value)
    }
  }
  if (dtype === 'str' || dtype.startsWith('<U') || dtype === 'str_') {
    return (value) => (typeof value === 'string' ? value : pythonStr(value))
  }
  return (value) => value
}

function badCast(message: string): MlflowError {
  return new MlflowError('BAD_REQUEST', `Invalid input. ${message}`)
}

/** Python's `str(value)`: text as is, everything else as `repr`. */
function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return 'None'
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  return pythonRepr(value)
}

function flatten(value: unknown, out: unknown[] = []): unknown[] {
  if (!isArrayLike(value)) {
    out.push(value)
    return out
  }
  const items = value as ArrayLike<unknown>
  for (let index = 0; index < items.length; index++) flatten(items[index], out)
  return out
}

function reshape(flat: readonly unknown[], dimensions: readonly number[]): unknown {
  if (dimensions.length === 0) return flat[0]
  if (dimensions.length === 1) return flat.slice()
  const [size, ...rest] = dimensions
  const step = rest.reduce((product, dimension) => product * dimension, 1)
  return Array.from({ length: size! }, (_, index) =>
    reshape(flat.slice(index * step, (index + 1) * step), rest),
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Params

/**
 * Checks request params against the signature's params schema, as MLflow does: unknown params are dropped, missing
 * ones take their default, values are converted (int → long/float/double, ...). Without a params schema, params are
 * ignored (MLflow logs a warning).
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` listing every invalid param.
 */
export function enforceParams(
  params: ModelParams | undefined,
  signature?: ModelSignature,
): ModelParams | undefined {
  const schema = signature?.params
  if (!schema || schema.length === 0) {
    return params === undefined || Object.keys(params).length === 0 ? params : {}
  }
  if (params !== undefined && !isPlainObject(params)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Parameters must be a dictionary. Got type '${pythonTypeName(params)}'.`,
    )
  }
  const out: Record<string, unknown> = {}
  const invalid: string[] = []
  for (const spec of schema) {
    if (params && Object.hasOwn(params, spec.name)) {
      try {
        setOwnProperty(out, spec.name, enforceParam(params[spec.name], spec))
      } catch (error) {
        if (!(error instanceof SchemaMismatch)) throw error
        invalid.push(`(${pythonRepr(spec.name)}, ${pythonRepr(error.message)})`)
      }
    } else {
      setOwnProperty(out, spec.name, spec.default)
    }
  }
  if (invalid.length > 0) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid parameters found: {${invalid.join(', ')}}`)
  }
  return out
}

function enforceParam(value: unknown, spec: ParamSpec): unknown {
  const shape = spec.shape ?? null
  const fail = (message: string) =>
    new SchemaMismatch(`Failed to validate type and shape for ${paramSpecRepr(spec)}, error: ${message}`)
  if (shape !== null && !(shape.length === 1 && shape[0] === -1)) {
    throw new SchemaMismatch(
      `Shape must be None for scalar or dictionary value, or (-1,) for 1D array value for ParamSpec ${paramSpecRepr(spec)}), received ${pythonTupleRepr(shape)}`,
    )
  }
  if (shape !== null) {
    if (!Array.isArray(value) || value.some(Array.isArray)) {
      const ndim = Array.isArray(value) ? 2 : 0
      throw new SchemaMismatch(
        `Value must be a 1D array with shape (-1,) for param ${paramSpecRepr(spec)}, received ${pythonTypeName(value)} with ndim ${ndim}`,
      )
    }
    try {
      return value.map((item) => enforceParamScalar(item, spec.type))
    } catch (error) {
      if (error instanceof SchemaMismatch) throw fail(error.message)
      throw error
    }
  }
  try {
    if (typeof spec.type === 'object') {
      enforceObject(value, spec.type, true)
      return value
    }
    return enforceParamScalar(value, spec.type)
  } catch (error) {
    if (error instanceof SchemaMismatch) throw fail(error.message)
    throw error
  }
}

function enforceParamScalar(value: unknown, type: DataType | ObjectType): unknown {
  if (value === null || value === undefined) return null
  if (typeof type === 'object') return enforceObject(value, type, true)
  if (type === 'datetime') {
    if (typeof value === 'string') {
      const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
      if (!Number.isNaN(date.getTime())) return date
    }
    throw new SchemaMismatch(
      `Failed to convert value \`${pythonStr(value)}\` from type \`<class '${pythonTypeName(value)}'>\` to \`DataType.datetime\``,
    )
  }
  if (Array.isArray(value) || isPlainObject(value)) {
    throw new SchemaMismatch(
      `Value must be a scalar for type \`DataType.${type}\`, got \`${pythonStr(value)}\``,
    )
  }
  const pythonType = pythonTypeName(value)
  const accepted: Record<string, readonly string[]> = {
    boolean: ['bool'],
    integer: ['int'],
    long: ['int'],
    float: ['int', 'float'],
    double: ['int', 'float'],
    string: ['str'],
    binary: [],
  }
  if (!accepted[type]?.includes(pythonType)) {
    throw new SchemaMismatch(
      `Can not safely convert \`<class '${pythonType}'>\` to \`DataType.${type}\` for value \`${pythonStr(value)}\``,
    )
  }
  return value
}

// ---------------------------------------------------------------------------------------------------------------

/** Python's `float(text)`: decimal, exponent, inf, nan, surrounding whitespace. */
function parsePythonFloat(text: string): number | undefined {
  const trimmed = text.trim().replaceAll('_', '')
  // linear-time pattern: `\d+\.?\d*` would backtrack quadratically on a long non-number
  if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(trimmed)) return Number(trimmed)
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(trimmed)
  if (!special) return undefined
  if (special[2]!.toLowerCase() === 'nan') return Number.NaN
  return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
}

function isArrayLike(value: unknown): boolean {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    !(value instanceof Date)
  )
}

function isEmptyObject(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 0
}
