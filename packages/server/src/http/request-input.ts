import type { MlflowError } from '@cairn/core'
import { invalidParameter, parseExactJson, pythonTypeName } from '@cairn/core'
import { z } from 'zod'
import { pythonFloatRepr } from '../services/python-format.js'
import { invalidValueMessage, missingValueMessage } from '../services/validation.js'

const SEE_DOCS = ' See the API docs for more information about request parameters.'

/** What the request parser needs to know about one route's request schema. */
export interface RequestShape {
  schema: z.ZodObject
  /** Fields that are lists (repeated query keys on GET). */
  listFields: ReadonlySet<string>
  /** Fields read from the query string on GET. */
  fields: readonly string[]
  /** Whether the request names a run (`run_uuid` is then accepted for `run_id`). */
  hasRunId: boolean
  /** Largest accepted body, in bytes. */
  bodyLimit: number
  /** Message when the body is over `bodyLimit`. */
  bodyLimitMessage: (size: number) => string
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault
    ) {
      current = current.unwrap() as z.ZodType
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType
    } else {
      return current
    }
  }
}

/** Precomputes the parts of a request schema the parser looks at on every call. */
export function describeRequest(
  schema: z.ZodObject,
  limits: { bodyLimit: number; bodyLimitMessage: (size: number) => string },
): RequestShape {
  const fields = Object.keys(schema.shape)
  const listFields = new Set(
    fields.filter((field) => unwrap(schema.shape[field] as z.ZodType) instanceof z.ZodArray),
  )
  return { schema, fields, listFields, hasRunId: fields.includes('run_id'), ...limits }
}

// PostgreSQL text cannot hold NUL, so such strings are refused up front rather than failing in SQL.
function nulError(path: string): MlflowError {
  return invalidParameter(
    `Invalid value for parameter '${path}': strings may not contain NUL characters (\\u0000).`,
  )
}

function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = findNul(value[index], `${path}[${index}]`)
      if (found !== undefined) return found
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = findNul(item, path ? `${path}.${key}` : key)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** Fields of a GET request: repeated keys for lists, the first value otherwise. */
export function readQueryInput(url: string, shape: RequestShape): Record<string, unknown> {
  const queryStart = url.indexOf('?')
  if (queryStart < 0) return {}
  const params = new URLSearchParams(url.slice(queryStart + 1))
  const input: Record<string, unknown> = {}
  for (const field of shape.fields) {
    if (shape.listFields.has(field)) {
      const values = params.getAll(field)
      if (values.length > 0) input[field] = values
    } else {
      const value = params.get(field)
      if (value !== null) input[field] = value
    }
  }
  if (url.includes('%00')) {
    const path = findNul(input, '')
    if (path !== undefined) throw nulError(path)
  }
  return input
}

/** Checks the Content-Type of POST and PUT requests as MLflow does. */
export function checkJsonContentType(method: string, contentType: string | undefined): void {
  if (method !== 'POST' && method !== 'PUT') return
  if (!contentType) throw invalidParameter('Bad Request. Content-Type header is missing.')
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/json') {
    throw invalidParameter("Bad Request. Content-Type must be one of ['application/json'].")
  }
}

/** Reads a request body as text, refusing bodies over the route's limit without buffering them. */
export async function readBodyText(request: Request, shape: RequestShape): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > shape.bodyLimit) throw invalidParameter(shape.bodyLimitMessage(declared))
  const body = request.body
  if (!body) return ''
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > shape.bodyLimit) {
      await reader.cancel().catch(() => undefined)
      throw invalidParameter(shape.bodyLimitMessage(size))
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, size).toString('utf8')
  return Buffer.concat(chunks, size).toString('utf8')
}

// Python's json module (which MLflow's server uses) accepts the bare tokens NaN, Infinity and -Infinity.
const BARE_NON_FINITE = /("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g

// Integers beyond ±2^53 (int64 steps and timestamps) are decoded exactly, as bigints.
function parseJson(text: string): unknown {
  try {
    return parseExactJson(text)
  } catch (error) {
    if (/NaN|Infinity/.test(text)) {
      try {
        return parseExactJson(
          text.replace(BARE_NON_FINITE, (match, quoted: string | undefined) => quoted ?? `"${match}"`),
        )
      } catch {
        // fall through to the original error
      }
    }
    throw invalidParameter(`Malformed JSON in request body: ${(error as Error).message}`)
  }
}

function dropNulls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) dropNulls(item)
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const field = record[key]
      if (field === null) delete record[key]
      else if (typeof field === 'object') dropNulls(field)
    }
  }
}

/**
 * Decodes a JSON body as MLflow does: empty → `{}`, a JSON string is decoded a second time,
 * `null` fields count as absent. Anything but an object is refused.
 */
export function parseBodyInput(text: string): Record<string, unknown> {
  if (text.trim() === '') return {}
  let parsed = parseJson(text)
  if (typeof parsed === 'string') parsed = parseJson(parsed)
  if (parsed === null) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter('Invalid request body: expected a JSON object.')
  }
  if (text.includes('null')) dropNulls(parsed)
  if (text.includes('\\u0000') || text.includes('\0')) {
    const path = findNul(parsed, '')
    if (path !== undefined) throw nulError(path)
  }
  return parsed as Record<string, unknown>
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out ? `.${String(part)}` : String(part)
  }
  return out
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[part]
  }
  return current
}

function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema
  for (const part of path) {
    if (!current) return undefined
    const inner = unwrap(current)
    if (inner instanceof z.ZodObject && typeof part === 'string') current = inner.shape[part] as z.ZodType
    else if (inner instanceof z.ZodArray && typeof part === 'number') current = inner.element as z.ZodType
    else return undefined
  }
  return current
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * JSON.parse forgets whether a number was written `9` or `9.0`; Python keeps floats apart, and
 * MLflow's message shows it (`Invalid value 9.0 … of type 'float'`). Recovers the written form of
 * a top-level number from the raw body, on the error path only.
 */
function writtenAsFloat(rawBody: string | undefined, path: readonly PropertyKey[], value: number): boolean {
  if (rawBody === undefined || path.length !== 1 || typeof path[0] !== 'string') return false
  const pattern = `"${escapeRegExp(path[0])}"\\s*:\\s*(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)`
  const written = new RegExp(pattern).exec(rawBody)?.[1]
  return written !== undefined && /[.eE]/.test(written) && Number(written) === value
}

/** Turns the first schema violation into MLflow's message for it. */
export function toRequestError(
  error: z.ZodError,
  schema: z.ZodType,
  input: unknown,
  rawBody?: string,
): MlflowError {
  const issue = error.issues[0]
  if (!issue) return invalidParameter('Invalid request.')
  const path = formatPath(issue.path)
  if (issue.code === 'custom' && (issue.params as { mlflowMessage?: boolean } | undefined)?.mlflowMessage) {
    return invalidParameter(issue.message + SEE_DOCS)
  }
  const value = valueAt(input, issue.path)
  const isRequired = value === undefined || !schemaAt(schema, issue.path)?.safeParse(undefined).success
  if (value === undefined || (value === '' && isRequired)) {
    return invalidParameter(missingValueMessage(path || 'request') + SEE_DOCS)
  }
  if (typeof value === 'number' && writtenAsFloat(rawBody, issue.path, value)) {
    return invalidParameter(
      `Invalid value ${pythonFloatRepr(value)} for parameter '${path}' supplied:  Hint: Value was of type 'float'.${SEE_DOCS}`,
    )
  }
  return invalidParameter(
    invalidValueMessage(path, value, ` Hint: Value was of type '${pythonTypeName(value)}'.`) + SEE_DOCS,
  )
}

/** Validates decoded request fields against the route's schema. */
export function parseRequestInput<TSchema extends z.ZodObject>(
  shape: RequestShape & { schema: TSchema },
  input: Record<string, unknown>,
  rawBody?: string,
): z.output<TSchema> {
  if (
    shape.hasRunId &&
    (input.run_id === undefined || input.run_id === '') &&
    typeof input.run_uuid === 'string'
  ) {
    input.run_id = input.run_uuid
  }
  const result = shape.schema.safeParse(input)
  if (!result.success) throw toRequestError(result.error, shape.schema, input, rawBody)
  return result.data
}
