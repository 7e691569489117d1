import { MlflowError, pythonJsonText } from '@cairn/core'
import type { MlModel, MlModelSignatureFields } from './mlmodel.js'
import { pythonRepr, pythonTupleRepr } from './python-repr.js'

/** MLflow's scalar column types (`mlflow.types.DataType`). */
export type DataType = 'boolean' | 'integer' | 'long' | 'float' | 'double' | 'string' | 'binary' | 'datetime'

/** The type of a column, an array item, an object property or a map value. */
export type ValueType = DataType | 'any' | 'sparkml_vector' | ArrayType | ObjectType | MapType

/** `{"type": "array", "items": ...}`. */
export interface ArrayType {
  readonly type: 'array'
  readonly items: ValueType
}

/** `{"type": "object", "properties": {name: {type, required}}}`. */
export interface ObjectType {
  readonly type: 'object'
  readonly properties: readonly ObjectProperty[]
}

export interface ObjectProperty {
  readonly name: string
  readonly type: ValueType
  readonly required: boolean
}

/** `{"type": "map", "values": ...}`: string keys to values of one type. */
export interface MapType {
  readonly type: 'map'
  readonly values: ValueType
}

/** One column of a column-based schema (pandas DataFrame input). */
export interface ColSpec {
  readonly type: ValueType
  readonly name?: string
  readonly required: boolean
}

/** One tensor of a tensor-based schema: a numpy dtype name (`float32`, `int64`, `bool`, `str`, `object`) and a shape where -1 is free. */
export interface TensorSpec {
  readonly type: 'tensor'
  readonly name?: string
  readonly dtype: string
  readonly shape: readonly number[]
}

/** A schema is either all columns or all tensors (MLflow refuses mixing them). */
export type Schema = readonly ColSpec[] | readonly TensorSpec[]

/** One inference parameter: a scalar type (or object), a default, and a shape (`null`, or `[-1]` for a list). */
export interface ParamSpec {
  readonly name: string
  readonly type: DataType | ObjectType
  readonly default: unknown
  readonly shape?: readonly number[] | null
}

/** A model's signature: input and output schemas and the params schema, each optional. */
export interface ModelSignature {
  readonly inputs?: Schema
  readonly outputs?: Schema
  readonly params?: readonly ParamSpec[]
}

const DATA_TYPES: readonly DataType[] = [
  'boolean',
  'integer',
  'long',
  'float',
  'double',
  'string',
  'binary',
  'datetime',
]

/** True when the schema is tensor-based. */
export function isTensorSchema(schema: Schema): schema is readonly TensorSpec[] {
  return schema[0]?.type === 'tensor'
}

/** The numpy dtype name of a scalar column type (`double` → `float64`), used in messages. */
export function numpyTypeName(type: DataType): string {
  switch (type) {
    case 'boolean':
      return 'bool'
    case 'integer':
      return 'int32'
    case 'long':
      return 'int64'
    case 'float':
      return 'float32'
    case 'double':
      return 'float64'
    case 'string':
      return '<U0'
    case 'binary':
      return '|S0'
    case 'datetime':
      return 'datetime64[ns]'
  }
}

/**
 * The signature stored in an MLmodel, or `undefined` when it has none.
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` when a part is not valid schema JSON.
 */
export function parseSignature(mlModel: MlModel): ModelSignature | undefined {
  const fields = mlModel.signature
  if (!fields) return undefined
  const inputs = fields.inputs ? parseSchema(fields.inputs, 'inputs') : undefined
  const outputs = fields.outputs ? parseSchema(fields.outputs, 'outputs') : undefined
  const params = fields.params ? parseParamsSchema(fields.params) : undefined
  if (!inputs && !outputs && !params) return undefined
  return {
    ...(inputs ? { inputs } : {}),
    ...(outputs ? { outputs } : {}),
    ...(params ? { params } : {}),
  }
}

/** The `signature` fields of an MLmodel for a signature: each part as MLflow's compact JSON string. */
export function signatureToMlModelFields(signature: ModelSignature): MlModelSignatureFields {
  return {
    inputs: signature.inputs?.length ? pythonJsonText(signature.inputs.map(specToJson)) : null,
    outputs: signature.outputs?.length ? pythonJsonText(signature.outputs.map(specToJson)) : null,
    params: signature.params?.length ? pythonJsonText(signature.params.map(paramSpecToJson)) : null,
  }
}

/** A schema as MLflow's `repr(schema)`, e.g. `['x': double (required)]`, for error messages. */
export function schemaRepr(schema: Schema): string {
  return `[${(schema as readonly (ColSpec | TensorSpec)[]).map(specRepr).join(', ')}]`
}

/** A value type as MLflow's `repr`, e.g. `double`, `Array(long)`. */
export function valueTypeRepr(type: ValueType): string {
  if (typeof type === 'string') return type === 'any' ? 'Any' : type
  switch (type.type) {
    case 'array':
      return `Array(${valueTypeRepr(type.items)})`
    case 'map':
      return `Map(str -> ${valueTypeRepr(type.values)})`
    case 'object':
      return `{${type.properties
        .map(
          (property) =>
            `${property.name}: ${valueTypeRepr(property.type)} (${property.required ? 'required' : 'optional'})`,
        )
        .join(', ')}}`
  }
}

/** A param spec as MLflow's `repr(param_spec)`, e.g. `'temperature': double (default: 0.5)`. */
export function paramSpecRepr(spec: ParamSpec): string {
  const type = typeof spec.type === 'string' ? spec.type : valueTypeRepr(spec.type)
  const shape = spec.shape ? ` (shape: ${pythonTupleRepr(spec.shape)})` : ''
  return `${pythonRepr(spec.name)}: ${type} (default: ${pythonDefaultRepr(spec.default)})${shape}`
}

function specRepr(spec: ColSpec | TensorSpec): string {
  const prefix = spec.name === undefined ? '' : `${pythonRepr(spec.name)}: `
  if (spec.type === 'tensor') {
    const tensor = spec as TensorSpec
    return `${prefix}Tensor(${pythonRepr(tensor.dtype)}, ${pythonTupleRepr(tensor.shape)})`
  }
  const column = spec as ColSpec
  return `${prefix}${valueTypeRepr(column.type)} (${column.required ? 'required' : 'optional'})`
}

function pythonDefaultRepr(value: unknown): string {
  // str(list) shows strings quoted, str(scalar) does not: `(default: abc)`, `(default: ['a'])`
  return typeof value === 'string' ? value : pythonRepr(value)
}

function invalidSignature(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', `Invalid model signature: ${message}`)
}

function parseJsonList(text: string, part: string): unknown[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw invalidSignature(`'${part}' is not valid JSON (${(error as Error).message})`)
  }
  if (!Array.isArray(value)) throw invalidSignature(`'${part}' must be a JSON list`)
  return value
}

function parseSchema(text: string, part: string): Schema {
  const items = parseJsonList(text, part)
  if (items.length === 0) throw invalidSignature(`'${part}' must not be empty`)
  const specs = items.map((item) => {
    if (!isRecord(item) || !('type' in item)) {
      throw invalidSignature(`each entry of '${part}' must be an object with a 'type'`)
    }
    return item.type === 'tensor' ? parseTensorSpec(item) : parseColSpec(item)
  })
  const tensors = specs.filter((spec) => spec.type === 'tensor').length
  if (tensors !== 0 && tensors !== specs.length) {
    throw invalidSignature(`'${part}' mixes column and tensor specs`)
  }
  const named = specs.filter((spec) => spec.name !== undefined).length
  if (named !== 0 && named !== specs.length) {
    throw invalidSignature(`'${part}' mixes named and unnamed inputs`)
  }
  if (tensors > 1 && named === 0) {
    throw invalidSignature(`'${part}' has several unnamed tensor specs`)
  }
  return specs as Schema
}

function parseTensorSpec(item: Record<string, unknown>): TensorSpec {
  const info = item['tensor-spec']
  if (!isRecord(info) || typeof info.dtype !== 'string' || !Array.isArray(info.shape)) {
    throw invalidSignature("a tensor spec needs 'tensor-spec' with 'dtype' and 'shape'")
  }
  if (!info.shape.every((dimension) => Number.isInteger(dimension))) {
    throw invalidSignature(`tensor shape ${JSON.stringify(info.shape)} must hold integers`)
  }
  return {
    type: 'tensor',
    ...(typeof item.name === 'string' ? { name: item.name } : {}),
    dtype: info.dtype,
    shape: info.shape as number[],
  }
}

function parseColSpec(item: Record<string, unknown>): ColSpec {
  const type = parseValueType(item)
  return {
    type,
    ...(item.name === undefined || item.name === null ? {} : { name: String(item.name) }),
    required: item.required !== false,
  }
}

function parseValueType(item: Record<string, unknown>): ValueType {
  const type = item.type
  switch (type) {
    case 'array':
      if (!isRecord(item.items)) throw invalidSignature("an array type needs 'items'")
      return { type: 'array', items: parseValueType(item.items) }
    case 'map':
      if (!isRecord(item.values)) throw invalidSignature("a map type needs 'values'")
      return { type: 'map', values: parseValueType(item.values) }
    case 'object':
      return parseObjectType(item)
    case 'any':
    case 'sparkml_vector':
      return type
    default:
      if (typeof type === 'string' && (DATA_TYPES as readonly string[]).includes(type))
        return type as DataType
      throw invalidSignature(
        `unsupported type ${pythonRepr(type)}, expected one of ${pythonRepr(DATA_TYPES)}`,
      )
  }
}

function parseObjectType(item: Record<string, unknown>): ObjectType {
  const properties = item.properties
  if (!isRecord(properties) || Object.keys(properties).length === 0) {
    throw invalidSignature("an object type needs non-empty 'properties'")
  }
  return {
    type: 'object',
    properties: Object.entries(properties)
      .map(([name, property]) => {
        if (!isRecord(property)) throw invalidSignature(`object property '${name}' must be an object`)
        return { name, type: parseValueType(property), required: property.required !== false }
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  }
}

function parseParamsSchema(text: string): ParamSpec[] {
  return parseJsonList(text, 'params').map((item) => {
    if (!isRecord(item) || typeof item.name !== 'string' || !('default' in item)) {
      throw invalidSignature("each param needs 'name', 'type' and 'default'")
    }
    const typeName = item.type ?? item.dtype
    let type: DataType | ObjectType
    if (typeName === 'object') {
      type = parseObjectType(item)
    } else if (
      typeof typeName === 'string' &&
      typeName !== 'binary' &&
      (DATA_TYPES as readonly string[]).includes(typeName)
    ) {
      type = typeName as DataType
    } else {
      throw invalidSignature(`param '${item.name}' has unsupported type ${pythonRepr(typeName)}`)
    }
    const shape = item.shape
    if (shape !== undefined && shape !== null && !(Array.isArray(shape) && shape.every(Number.isInteger))) {
      throw invalidSignature(`param '${item.name}' has an invalid shape ${JSON.stringify(shape)}`)
    }
    return {
      name: item.name,
      type,
      default: item.default,
      shape: (shape as number[] | null | undefined) ?? null,
    }
  })
}

function valueTypeToJson(type: ValueType): Record<string, unknown> {
  if (typeof type === 'string') return { type }
  switch (type.type) {
    case 'array':
      return { type: 'array', items: valueTypeToJson(type.items) }
    case 'map':
      return { type: 'map', values: valueTypeToJson(type.values) }
    case 'object':
      return {
        type: 'object',
        properties: Object.fromEntries(
          [...type.properties]
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map((property) => [
              property.name,
              { ...valueTypeToJson(property.type), required: property.required },
            ]),
        ),
      }
  }
}

function specToJson(spec: ColSpec | TensorSpec): Record<string, unknown> {
  if (spec.type === 'tensor') {
    const tensor = spec as TensorSpec
    return {
      ...(tensor.name === undefined ? {} : { name: tensor.name }),
      type: 'tensor',
      'tensor-spec': { dtype: tensor.dtype, shape: tensor.shape },
    }
  }
  const column = spec as ColSpec
  return {
    ...valueTypeToJson(column.type),
    ...(column.name === undefined ? {} : { name: column.name }),
    required: column.required,
  }
}

function paramSpecToJson(spec: ParamSpec): Record<string, unknown> {
  const defaultValue = spec.default instanceof Date ? spec.default.toISOString() : spec.default
  return {
    name: spec.name,
    default: defaultValue,
    shape: spec.shape ?? null,
    ...(typeof spec.type === 'string' ? { type: spec.type } : valueTypeToJson(spec.type)),
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
