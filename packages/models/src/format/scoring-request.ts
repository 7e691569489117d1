import { MlflowError, pythonSet, pythonTypeName } from '@cairn/core'
import type { Cell, ModelInput, ModelParams } from '../model.js'
import { checkFrameDensity } from './frame-limits.js'
import { pythonRepr } from './python-repr.js'
import { isTensorSchema, type ModelSignature } from './signature.js'

/** A body format the scoring server accepts. */
export type ScoringFormat = 'json' | 'csv'

/** A parsed `/invocations` request. */
export interface ScoringRequest {
  readonly input: ModelInput
  readonly params?: ModelParams
}

const INPUT_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const

/** MLflow's wording; its set is printed in a fixed order here (Python's set order varies by process). */
const REQUIRED_INPUT_FORMAT = `The input must be a JSON dictionary with exactly one of the input fields ${pythonSet(INPUT_FIELDS)}`

const SCORING_PROTOCOL_CHANGE_INFO =
  'IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are' +
  ' seeing this error, you are likely using an outdated scoring request format. To resolve the' +
  " error, either update your request format or adjust your MLflow Model's requirements file to" +
  " specify an older version of MLflow (for example, change the 'mlflow' requirement specifier" +
  " to 'mlflow==1.30.0'). If you are making a request using the MLflow client" +
  ' (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in' +
  ' order to use the new request format. For more information about the updated MLflow' +
  ' Model scoring protocol in MLflow 2.0, see' +
  ' https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.'

const MAX_ECHOED_BODY = 1000
const MAX_JSON_NESTING = 512

/**
 * The body format of a `Content-Type` header: `application/json` or `text/csv`, with at most a `charset=utf-8`
 * parameter. Anything else is `undefined`; the server then answers 415 with {@link describeUnsupportedContentType}.
 */
export function scoringFormatOf(contentType: string | null | undefined): ScoringFormat | undefined {
  if (!contentType) return undefined
  const [mimeType = '', ...parameters] = contentType.split(';').map((part) => part.trim())
  for (const parameter of parameters) {
    const [key = '', value = ''] = splitOnce(parameter, '=')
    if (key.trim().toLowerCase() !== 'charset' || unquote(value.trim()).toLowerCase() !== 'utf-8')
      return undefined
  }
  switch (mimeType.toLowerCase()) {
    case 'application/json':
      return 'json'
    case 'text/csv':
      return 'csv'
    default:
      return undefined
  }
}

/** The `text/plain` body MLflow's scoring server answers a 415 with, for a content type `scoringFormatOf` refused. */
export function describeUnsupportedContentType(contentType: string | null | undefined): string {
  const [, ...parameters] = (contentType ?? '').split(';').map((part) => part.trim())
  const values = new Map(parameters.map((parameter) => splitOnce(parameter, '=')))
  const charset = values.get('charset')
  if (charset !== undefined && unquote(charset.trim()).toLowerCase() !== 'utf-8') {
    return 'The scoring server only supports UTF-8'
  }
  const unexpected = [...values.keys()].filter((key) => key !== 'charset')
  if (unexpected.length > 0) {
    return `Unrecognized content type parameters: ${unexpected.join(', ')}. ${SCORING_PROTOCOL_CHANGE_INFO}`
  }
  return (
    "This predictor only supports the following content types: Types: ['text/csv', 'application/json']." +
    ` Got '${contentType ?? ''}'.`
  )
}

/**
 * Parses an `/invocations` body as MLflow's scoring server does.
 *
 * JSON: an object with exactly one of `dataframe_split`, `dataframe_records` (both → `dataframe`), `instances`,
 * `inputs` (a list → `tensor`, an object → `tensors`; `instances` as a list of objects → `tensors` by column),
 * plus optional `params`. CSV: a header row, then rows; numbers are parsed per column as pandas does, unless the
 * signature declares the column a string.
 *
 * @throws MlflowError `BAD_REQUEST` with MLflow's message for a body it would refuse.
 */
export function parseScoringRequest(request: {
  readonly format: ScoringFormat
  readonly body: string
  /** Only used for CSV: columns the signature declares as `string` keep their text as is. */
  readonly signature?: ModelSignature
}): ScoringRequest {
  if (request.format === 'csv') return { input: parseCsvDataframe(request.body, request.signature) }
  return parseJsonRequest(request.body)
}

function parseJsonRequest(body: string): ScoringRequest {
  let decoded: unknown
  try {
    decoded = JSON.parse(body)
  } catch (error) {
    const echoed = body.length > MAX_ECHOED_BODY ? `${body.slice(0, MAX_ECHOED_BODY)}...` : body
    throw invalidInput(
      `Ensure that input is a valid JSON formatted string. Error: '${(error as Error).message}'\nInput: \n${echoed}\n`,
    )
  }
  // Checking, converting and predicting walk the input recursively: refuse depths no tensor or record needs.
  if (body.length > 2 * MAX_JSON_NESTING && nestingExceeds(body, MAX_JSON_NESTING)) {
    throw invalidInput(`The JSON body is nested deeper than ${MAX_JSON_NESTING} levels.`)
  }
  if (Array.isArray(decoded)) throw invalidInput(`${REQUIRED_INPUT_FORMAT}. Received a list.`)
  if (!isPlainObject(decoded)) {
    throw invalidInput(
      `${REQUIRED_INPUT_FORMAT}. Received unexpected input type '<class '${pythonTypeName(decoded)}'>.`,
    )
  }
  const fields = Object.keys(decoded).filter((key): key is (typeof INPUT_FIELDS)[number] =>
    (INPUT_FIELDS as readonly string[]).includes(key),
  )
  if (fields.length !== 1) {
    throw new MlflowError(
      'BAD_REQUEST',
      `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: ${pythonRepr(fields)}. ${SCORING_PROTOCOL_CHANGE_INFO}`,
    )
  }
  const params = parseParams(decoded.params)
  const field = fields[0]!
  const value = decoded[field]
  let input: ModelInput
  switch (field) {
    case 'dataframe_split':
      input = dataframeFromSplit(value)
      break
    case 'dataframe_records':
      input = dataframeFromRecords(value)
      break
    case 'instances':
      input = inputFromInstances(value)
      break
    case 'inputs':
      input = inputFromInputs(value)
      break
  }
  return params === undefined ? { input } : { input, params }
}

function parseParams(value: unknown): ModelParams | undefined {
  if (value === undefined || value === null) return undefined
  if (!isPlainObject(value)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Parameters must be a dictionary. Got type '${pythonTypeName(value)}'.`,
    )
  }
  return value
}

function dataframeFromSplit(value: unknown): ModelInput {
  if (!isPlainObject(value)) {
    const got = Array.isArray(value) ? 'list' : `type <class '${pythonTypeName(value)}'>`
    throw invalidInput(`Dataframe split format must be a dictionary. Got ${got}.`)
  }
  const keys = Object.keys(value)
  if (!('data' in value) || keys.some((key) => key !== 'columns' && key !== 'data' && key !== 'index')) {
    throw invalidInput(
      `Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got ${keys.length === 0 ? 'set()' : pythonSet(keys)}.'`,
    )
  }
  const notValid = (message: string) =>
    invalidInput(
      `Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '${message}'`,
    )
  const columns = value.columns ?? null
  if (columns !== null && !Array.isArray(columns)) throw notValid('columns must be a list')
  const data = value.data
  let frame: { columns: string[]; rows: Cell[][] }
  if (columns !== null && Array.isArray(data) && data.length > 0 && data.every(isPlainObject)) {
    // pandas picks the named columns out of records
    const names = columns.map(String)
    let present = 0
    for (const record of data) present += Object.keys(record).length
    checkFrameDensity(data.length, names.length, present)
    frame = {
      columns: names,
      rows: data.map((record) => names.map((name) => (Object.hasOwn(record, name) ? record[name] : null))),
    }
  } else if (isPlainObject(data)) {
    frame = frameFromColumnDict(data, notValid)
  } else if (Array.isArray(data)) {
    frame = frameFromList(data, notValid)
  } else if (data === null) {
    frame = { columns: [], rows: [] }
  } else {
    throw notValid('DataFrame constructor not properly called!')
  }
  if (columns !== null) {
    if (frame.rows.length === 0 && frame.columns.length === 0) {
      frame = { columns: [], rows: [] }
    } else if (columns.length !== frame.columns.length) {
      throw notValid(`${columns.length} columns passed, passed data had ${frame.columns.length} columns`)
    }
    frame.columns = columns.map(String)
  }
  const index = value.index ?? null
  if (index !== null) {
    if (!Array.isArray(index)) throw notValid('Index(...) must be called with a collection of some kind')
    if (index.length !== frame.rows.length) {
      throw notValid(
        `Shape of passed values is (${frame.rows.length}, ${frame.columns.length}), indices imply (${index.length}, ${frame.columns.length})`,
      )
    }
  }
  return { kind: 'dataframe', columns: frame.columns, rows: frame.rows }
}

function dataframeFromRecords(value: unknown): ModelInput {
  if (!Array.isArray(value)) {
    const got = isPlainObject(value) ? 'dictionary' : `type <class '${pythonTypeName(value)}'>`
    throw invalidInput(`Dataframe records format must be a list of records. Got ${got}.`)
  }
  const frame = frameFromList(value, (message) =>
    invalidInput(
      `Provided dataframe_records field is not a valid dataframe representation in 'records' format. Error: '${message}'`,
    ),
  )
  return { kind: 'dataframe', columns: frame.columns, rows: frame.rows }
}

/** `pd.DataFrame(list)`: a list of records, of rows, or of scalars (one column named `0`). */
function frameFromList(
  data: readonly unknown[],
  notValid: (message: string) => MlflowError,
): { columns: string[]; rows: Cell[][] } {
  if (data.length === 0) return { columns: [], rows: [] }
  if (data.every(isPlainObject)) return frameFromRecords(data)
  if (data.every(Array.isArray)) {
    let width = 0
    let present = 0
    for (const row of data) {
      width = Math.max(width, row.length)
      present += row.length
    }
    checkFrameDensity(data.length, width, present)
    const rows = data.map((row) =>
      row.length === width ? [...row] : [...row, ...Array(width - row.length).fill(null)],
    )
    return { columns: Array.from({ length: width }, (_, index) => String(index)), rows }
  }
  if (data.some((item) => isPlainObject(item) || Array.isArray(item))) {
    throw notValid('Mixing dicts with non-Series may lead to ambiguous ordering.')
  }
  return { columns: ['0'], rows: data.map((item) => [item]) }
}

function frameFromRecords(records: readonly Record<string, unknown>[]): {
  columns: string[]
  rows: Cell[][]
} {
  const positions = new Map<string, number>()
  let present = 0
  for (const record of records) {
    for (const key of Object.keys(record)) {
      present++
      if (!positions.has(key)) positions.set(key, positions.size)
    }
  }
  checkFrameDensity(records.length, positions.size, present)
  const columns = [...positions.keys()]
  const rows = records.map((record) =>
    columns.map((column) => (Object.hasOwn(record, column) ? record[column] : null)),
  )
  return { columns, rows }
}

function frameFromColumnDict(
  data: Record<string, unknown>,
  notValid: (message: string) => MlflowError,
): { columns: string[]; rows: Cell[][] } {
  const columns = Object.keys(data)
  const values = columns.map((column) => data[column])
  const lengths = new Set(values.filter(Array.isArray).map((value) => (value as unknown[]).length))
  if (lengths.size > 1) throw notValid('All arrays must be of the same length')
  const rowCount = lengths.size === 1 ? [...lengths][0]! : 0
  if (lengths.size === 0) throw notValid('If using all scalar values, you must pass an index')
  const arrays = values.filter(Array.isArray).length
  checkFrameDensity(rowCount, columns.length, arrays * rowCount + (columns.length - arrays))
  const rows = Array.from({ length: rowCount }, (_, row) =>
    values.map((value) => (Array.isArray(value) ? value[row] : value)),
  )
  return { columns, rows }
}

function inputFromInstances(value: unknown): ModelInput {
  if (Array.isArray(value) && value.length > 0 && isPlainObject(value[0])) {
    // TF-serving row format: [{"a": 1, "b": 2}, ...] becomes {"a": [1, ...], "b": [2, ...]}
    const columns = new Map<string, unknown[]>()
    for (const item of value) {
      if (!isPlainObject(item)) {
        throw invalidInput(
          `Ensure that the input is a valid JSON-formatted string.\nError: AttributeError("'${pythonTypeName(item)}' object has no attribute 'items'")`,
        )
      }
      for (const [key, cell] of Object.entries(item)) {
        let column = columns.get(key)
        if (!column) {
          column = []
          columns.set(key, column)
        }
        column.push(cell)
      }
    }
    const values = Object.fromEntries(columns)
    checkSameLength(values)
    return { kind: 'tensors', values }
  }
  if (isPlainObject(value)) {
    checkSameLength(value)
    return { kind: 'tensors', values: value }
  }
  return { kind: 'tensor', value }
}

function inputFromInputs(value: unknown): ModelInput {
  if (isPlainObject(value)) return { kind: 'tensors', values: value }
  return { kind: 'tensor', value }
}

function checkSameLength(values: Record<string, unknown>): void {
  let length: number | undefined
  for (const value of Object.values(values)) {
    if (!Array.isArray(value)) continue
    if (length === undefined) length = value.length
    else if (value.length !== length) {
      throw invalidInput('The length of values for each input/column name are not the same')
    }
  }
}

const CSV_NA_VALUES = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
])
const CSV_TRUE = new Set(['True', 'TRUE', 'true'])
const CSV_FALSE = new Set(['False', 'FALSE', 'false'])
const CSV_INTEGER = /^[+-]?\d+$/
// No two quantifiers may match the same digits: `\d+\.?\d*` backtracks quadratically on a long non-number.
const CSV_FLOAT = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity)$/i

function parseCsvDataframe(body: string, signature: ModelSignature | undefined): ModelInput {
  const cannotParse = (message: string) =>
    new MlflowError(
      'BAD_REQUEST',
      'Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas' +
        ` DataFrame produced using the \`pandas.DataFrame.to_csv()\` method. Error: '${message}'`,
    )
  const records = readCsvRecords(body, cannotParse)
  const header = records.shift()
  if (!header) throw cannotParse('No columns to parse from file')
  const columns = uniqueColumnNames(header)
  let present = 0
  for (const [index, record] of records.entries()) {
    present += record.length
    if (record.length > columns.length) {
      throw cannotParse(
        `Error tokenizing data. C error: Expected ${columns.length} fields in line ${index + 2}, saw ${record.length}`,
      )
    }
  }
  checkFrameDensity(records.length, columns.length, present)
  const textColumns = new Set<string>()
  if (signature?.inputs && !isTensorSchema(signature.inputs)) {
    for (const spec of signature.inputs) {
      if (spec.name !== undefined && (spec.type === 'string' || spec.type === 'binary'))
        textColumns.add(spec.name)
    }
  }
  const cells = columns.map((column, index) => {
    const texts = records.map((record) => record[index])
    return textColumns.has(column)
      ? texts.map((text) => (text === undefined || text === '' ? null : text))
      : inferCsvColumn(texts)
  })
  const rows = records.map((_, row) => cells.map((column) => column[row]))
  return { kind: 'dataframe', columns, rows }
}

/** pandas' per-column inference: integers, then floats, then booleans, else the text (missing values → null). */
function inferCsvColumn(texts: readonly (string | undefined)[]): Cell[] {
  const present = texts.filter((text): text is string => text !== undefined && !CSV_NA_VALUES.has(text))
  const trimmed = present.map((text) => text.trim())
  if (trimmed.every((text) => CSV_INTEGER.test(text) || CSV_FLOAT.test(text))) {
    return texts.map((text) => (text === undefined || CSV_NA_VALUES.has(text) ? null : parseCsvNumber(text)))
  }
  if (present.every((text) => CSV_TRUE.has(text) || CSV_FALSE.has(text))) {
    return texts.map((text) => (text === undefined || CSV_NA_VALUES.has(text) ? null : CSV_TRUE.has(text)))
  }
  return texts.map((text) => (text === undefined || CSV_NA_VALUES.has(text) ? null : text))
}

function parseCsvNumber(text: string): number {
  const trimmed = text.trim()
  const infinity = /^([+-]?)inf(?:inity)?$/i.exec(trimmed)
  if (infinity) return infinity[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  return Number(trimmed)
}

function uniqueColumnNames(header: readonly string[]): string[] {
  const seen = new Map<string, number>()
  return header.map((name, index) => {
    const base = name === '' ? `Unnamed: ${index}` : name
    const count = seen.get(base)
    seen.set(base, (count ?? 0) + 1)
    return count === undefined ? base : `${base}.${count}`
  })
}

/** RFC 4180 records: quoted fields may hold commas, quotes (doubled) and newlines; blank lines are skipped. */
function readCsvRecords(body: string, cannotParse: (message: string) => MlflowError): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  let fieldStarted = false
  const endRecord = () => {
    if (fieldStarted || record.length > 0 || field !== '') {
      record.push(field)
      records.push(record)
    }
    record = []
    field = ''
    fieldStarted = false
  }
  for (let index = 0; index < body.length; index++) {
    const char = body[index]!
    if (quoted) {
      if (char === '"') {
        if (body[index + 1] === '"') {
          field += '"'
          index++
        } else {
          quoted = false
        }
      } else {
        field += char
      }
    } else if (char === '"') {
      quoted = true
      fieldStarted = true
    } else if (char === ',') {
      record.push(field)
      field = ''
      fieldStarted = true
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && body[index + 1] === '\n') index++
      endRecord()
    } else {
      field += char
      fieldStarted = true
    }
  }
  if (quoted) throw cannotParse('Error tokenizing data. C error: EOF inside string')
  endRecord()
  return records
}

/** True when valid JSON text opens more than `limit` arrays or objects inside each other. */
function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (inString) {
      if (code === 0x5c)
        index++ // backslash: skip the escaped character
      else if (code === 0x22) inString = false
    } else if (code === 0x22) inString = true
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true
    } else if (code === 0x5d || code === 0x7d) depth--
  }
  return false
}

function invalidInput(message: string): MlflowError {
  return new MlflowError('BAD_REQUEST', `Invalid input. ${message}`)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)]
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text
}
