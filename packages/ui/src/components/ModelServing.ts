import { parse } from 'yaml'

/** One input or output of a signature, ready to show: a column (type, required) or a tensor (dtype, shape). */
export type ModelSchemaEntry =
  | { kind: 'column'; name?: string; type: string; required: boolean; placeholder: unknown }
  | { kind: 'tensor'; name?: string; dtype: string; shape: number[] }

/** One inference parameter of a signature. */
export interface ModelParamEntry {
  name: string
  type: string
  default: unknown
}

/** What the model version page shows about serving, read from an MLmodel file. */
export interface ModelServingInfo {
  flavors: string[]
  /** Absent when MLmodel has no signature or no inputs in it. */
  inputs?: ModelSchemaEntry[]
  outputs?: ModelSchemaEntry[]
  params?: ModelParamEntry[]
  inputExample?: { path: string; type?: string; servingInputPath?: string }
  /** Parts of the file that could not be read (a signature part that is not valid JSON, ...). */
  problems: string[]
}

/** The flavours `cairn models serve` loads, in the order it picks them. */
export const SERVABLE_FLAVORS = ['onnx', 'js']

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads an MLmodel file (YAML); throws when it is not YAML or not a mapping. */
export function readModelServingInfo(text: string): ModelServingInfo {
  const document: unknown = parse(text)
  if (!isObject(document)) throw new Error('MLmodel is not a YAML mapping')
  const info: ModelServingInfo = {
    flavors: isObject(document.flavors) ? Object.keys(document.flavors) : [],
    problems: [],
  }
  const signature = document.signature
  if (isObject(signature)) {
    const part = (key: 'inputs' | 'outputs' | 'params'): unknown[] | undefined => {
      const raw = signature[key]
      if (raw === null || raw === undefined || raw === '') return undefined
      try {
        // MLmodel stores each part as a JSON string; tolerate a part written as YAML data too.
        const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw
        if (Array.isArray(value)) return value
      } catch {}
      info.problems.push(`The signature's ${key} could not be read.`)
      return undefined
    }
    const inputs = part('inputs')
    if (inputs) info.inputs = inputs.map(toSchemaEntry)
    const outputs = part('outputs')
    if (outputs) info.outputs = outputs.map(toSchemaEntry)
    const params = part('params')
    if (params) info.params = params.map(toParamEntry)
  }
  const example = document.saved_input_example_info
  if (isObject(example) && typeof example.artifact_path === 'string') {
    info.inputExample = { path: example.artifact_path }
    if (typeof example.type === 'string') info.inputExample.type = example.type
    if (typeof example.serving_input_path === 'string')
      info.inputExample.servingInputPath = example.serving_input_path
  }
  return info
}

function toSchemaEntry(raw: unknown): ModelSchemaEntry {
  const spec = isObject(raw) ? raw : {}
  const name = typeof spec.name === 'string' || typeof spec.name === 'number' ? String(spec.name) : undefined
  const tensor = spec['tensor-spec']
  if (spec.type === 'tensor' && isObject(tensor)) {
    const shape = Array.isArray(tensor.shape) ? tensor.shape.map(Number) : []
    return { kind: 'tensor', name, dtype: String(tensor.dtype ?? 'unknown'), shape }
  }
  return {
    kind: 'column',
    name,
    type: describeType(spec.type, spec),
    required: spec.required !== false,
    placeholder: placeholderOf(spec.type, spec),
  }
}

function toParamEntry(raw: unknown): ModelParamEntry {
  const spec = isObject(raw) ? raw : {}
  const type = describeType(spec.type, spec)
  const isList = Array.isArray(spec.shape) && spec.shape.length > 0
  return { name: String(spec.name ?? ''), type: isList ? `${type}[]` : type, default: spec.default }
}

/** `double`, `array<long>`, `map<string, double>`, `object {a: long, b?: string}`. */
export function describeType(type: unknown, spec: Json = {}): string {
  if (isObject(type)) return describeType(type.type, type)
  switch (type) {
    case 'array':
      return `array<${describeType(spec.items)}>`
    case 'map':
      return `map<string, ${describeType(spec.values)}>`
    case 'object': {
      const properties = isObject(spec.properties) ? Object.entries(spec.properties) : []
      const fields = properties.map(([key, property]) => {
        const optional = isObject(property) && property.required === false ? '?' : ''
        return `${key}${optional}: ${describeType(isObject(property) ? property.type : undefined, isObject(property) ? property : {})}`
      })
      return `object {${fields.join(', ')}}`
    }
    case undefined:
    case null:
      return 'unknown'
    default:
      return String(type)
  }
}

/** A value of the column's type for an example request: zeros, empty strings, empty containers. */
function placeholderOf(type: unknown, spec: Json = {}): unknown {
  if (isObject(type)) return placeholderOf(type.type, type)
  switch (type) {
    case 'boolean':
      return false
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return 0
    case 'string':
    case 'binary':
      return ''
    case 'datetime':
      return '2024-01-01T00:00:00'
    case 'array':
      return [placeholderOf(spec.items)]
    case 'map':
      return {}
    case 'object':
      return Object.fromEntries(
        Object.entries(isObject(spec.properties) ? spec.properties : {}).map(([key, property]) => [
          key,
          isObject(property) ? placeholderOf(property.type, property) : null,
        ]),
      )
    default:
      return null
  }
}

/** A tensor of zeros of the given shape, with 1 for each free (-1) dimension. */
function placeholderTensor(dtype: string, shape: number[]): unknown {
  const zero = /^bool/.test(dtype) ? false : /^(str|object|bytes|unicode)/.test(dtype) ? '' : 0
  const build = (depth: number): unknown => {
    if (depth === shape.length) return zero
    const size = shape[depth]! > 0 ? Math.min(shape[depth]!, 16) : 1
    return Array.from({ length: size }, () => build(depth + 1))
  }
  return build(0)
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(text: string): string {
  return /^[\w./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

export const DEFAULT_SERVE_PORT = 8080

/** `cairn models serve` for the version, and for each alias it carries. */
export function serveCommands(options: {
  name: string
  version: string
  aliases: readonly string[]
  port?: number
}): { uri: string; command: string }[] {
  const port = options.port ?? DEFAULT_SERVE_PORT
  const uris = [
    `models:/${options.name}/${options.version}`,
    ...options.aliases.map((alias) => `models:/${options.name}@${alias}`),
  ]
  return uris.map((uri) => ({ uri, command: `cairn models serve -m ${shellQuote(uri)} -p ${port}` }))
}

/**
 * The JSON body of an example `/invocations` request built from the input schema: `dataframe_split` with one
 * placeholder row for columns, `inputs` for tensors. Undefined without an input schema.
 */
export function exampleRequestBody(inputs: readonly ModelSchemaEntry[] | undefined): Json | undefined {
  if (!inputs || inputs.length === 0) return undefined
  const columns = inputs.filter((entry) => entry.kind === 'column')
  if (columns.length === inputs.length) {
    const named = columns.every((column) => column.name !== undefined)
    return {
      dataframe_split: {
        ...(named && { columns: columns.map((column) => column.name) }),
        data: [columns.map((column) => column.placeholder)],
      },
    }
  }
  const tensors = inputs.filter((entry) => entry.kind === 'tensor')
  const [only] = tensors
  if (tensors.length === 1 && only && only.name === undefined)
    return { inputs: placeholderTensor(only.dtype, only.shape) }
  return {
    inputs: Object.fromEntries(
      tensors.map((tensor, index) => [
        tensor.name ?? `input_${index}`,
        placeholderTensor(tensor.dtype, tensor.shape),
      ]),
    ),
  }
}

/** `curl` posting the example body to a local scoring server. */
export function invocationsCurl(body: Json, port = DEFAULT_SERVE_PORT): string {
  return [
    `curl -X POST http://127.0.0.1:${port}/invocations \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body))}`,
  ].join('\n')
}
