import { describe, expect, it } from 'vitest'
import { errorOf } from '../test-support/error-of.js'
import { describeUnsupportedContentType, parseScoringRequest, scoringFormatOf } from './scoring-request.js'
import type { ModelSignature } from './signature.js'

const json = (body: unknown) => parseScoringRequest({ format: 'json', body: JSON.stringify(body) })
const csv = (body: string, signature?: ModelSignature) =>
  parseScoringRequest({ format: 'csv', body, signature })

describe('scoringFormatOf', () => {
  it('accepts JSON and CSV with at most a UTF-8 charset', () => {
    expect(scoringFormatOf('application/json')).toBe('json')
    expect(scoringFormatOf('application/json; charset=utf-8')).toBe('json')
    expect(scoringFormatOf('application/json;charset=UTF-8')).toBe('json')
    expect(scoringFormatOf('text/csv')).toBe('csv')
    expect(scoringFormatOf('text/csv; charset=utf-8')).toBe('csv')
  })

  it('refuses other types, charsets and parameters', () => {
    for (const contentType of [
      undefined,
      '',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/vnd.apache.parquet',
      'application/json; charset=latin-1',
      'application/json; format=pandas-split',
    ]) {
      expect(scoringFormatOf(contentType)).toBeUndefined()
    }
  })

  it("explains a refusal with MLflow's 415 text", () => {
    expect(describeUnsupportedContentType('application/json; charset=latin-1')).toBe(
      'The scoring server only supports UTF-8',
    )
    expect(describeUnsupportedContentType('application/json; format=pandas-split')).toMatch(
      /^Unrecognized content type parameters: format\. IMPORTANT: The MLflow Model scoring protocol has changed/,
    )
    expect(describeUnsupportedContentType('text/plain')).toBe(
      "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'text/plain'.",
    )
  })
})

describe('parseScoringRequest: JSON envelope', () => {
  it('answers BAD_REQUEST for malformed JSON, echoing the body', () => {
    const error = errorOf(() => parseScoringRequest({ format: 'json', body: '{"inputs": [1,' }))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.httpStatus).toBe(400)
    expect(error.message).toMatch(
      /^Invalid input\. Ensure that input is a valid JSON formatted string\. Error: '.+'\nInput: \n\{"inputs": \[1,\n$/,
    )
  })

  it('answers BAD_REQUEST for a list body', () => {
    const error = errorOf(() => json([{ a: 1 }]))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toBe(
      "Invalid input. The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}. Received a list.",
    )
  })

  it('answers BAD_REQUEST for a scalar body', () => {
    expect(errorOf(() => json(3)).message).toMatch(/Received unexpected input type '<class 'int'>\.$/)
  })

  it('answers BAD_REQUEST for two input keys or none, naming them', () => {
    const two = errorOf(() => json({ dataframe_records: [], inputs: [1] }))
    expect(two.code).toBe('BAD_REQUEST')
    expect(two.message).toMatch(
      /^The input must be a JSON dictionary with exactly one of the input fields \{.*\}\. Received dictionary with input fields: \['dataframe_records', 'inputs'\]\. IMPORTANT: /,
    )
    expect(errorOf(() => json({ data: [1] })).message).toContain('Received dictionary with input fields: [].')
  })

  it('ignores other keys and keeps params', () => {
    expect(json({ inputs: [1, 2], other: true, params: { k: 1 } })).toEqual({
      input: { kind: 'tensor', value: [1, 2] },
      params: { k: 1 },
    })
  })

  it('refuses params that are not an object', () => {
    const error = errorOf(() => json({ inputs: [1], params: [1] }))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toBe("Parameters must be a dictionary. Got type 'list'.")
  })
})

describe('parseScoringRequest: dataframes', () => {
  it('reads dataframe_split', () => {
    expect(
      json({
        dataframe_split: {
          columns: ['a', 'b'],
          data: [
            [1, 'x'],
            [2, null],
          ],
          index: [5, 6],
        },
      }).input,
    ).toEqual({
      kind: 'dataframe',
      columns: ['a', 'b'],
      rows: [
        [1, 'x'],
        [2, null],
      ],
    })
  })

  it('names columns 0..n-1 without columns and pads short rows', () => {
    expect(json({ dataframe_split: { data: [[1, 2], [3]] } }).input).toEqual({
      kind: 'dataframe',
      columns: ['0', '1'],
      rows: [
        [1, 2],
        [3, null],
      ],
    })
  })

  it('reads a list of scalars as one column and no data as no rows', () => {
    expect(json({ dataframe_split: { columns: ['x'], data: [1, 2] } }).input).toEqual({
      kind: 'dataframe',
      columns: ['x'],
      rows: [[1], [2]],
    })
    expect(json({ dataframe_split: { columns: ['x', 'y'], data: [] } }).input).toEqual({
      kind: 'dataframe',
      columns: ['x', 'y'],
      rows: [],
    })
  })

  it('refuses a malformed dataframe_split', () => {
    expect(errorOf(() => json({ dataframe_split: [[1]] })).message).toBe(
      'Invalid input. Dataframe split format must be a dictionary. Got list.',
    )
    expect(errorOf(() => json({ dataframe_split: { columns: ['a'] } })).message).toBe(
      "Invalid input. Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {'columns'}.'",
    )
    expect(errorOf(() => json({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2, 3]] } })).message).toBe(
      "Invalid input. Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '2 columns passed, passed data had 3 columns'",
    )
    expect(
      errorOf(() => json({ dataframe_split: { columns: ['a'], data: [[1]], index: [1, 2] } })).code,
    ).toBe('BAD_REQUEST')
  })

  it('reads dataframe_records, columns in order of first appearance', () => {
    expect(json({ dataframe_records: [{ a: 1 }, { b: 'x', a: 2 }] }).input).toEqual({
      kind: 'dataframe',
      columns: ['a', 'b'],
      rows: [
        [1, null],
        [2, 'x'],
      ],
    })
  })

  it('refuses dataframe_records that is not a list', () => {
    const error = errorOf(() => json({ dataframe_records: { a: [1] } }))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toBe(
      'Invalid input. Dataframe records format must be a list of records. Got dictionary.',
    )
    expect(errorOf(() => json({ dataframe_records: [{ a: 1 }, 3] })).message).toMatch(
      /^Invalid input\. Provided dataframe_records field is not a valid dataframe representation in 'records' format\./,
    )
  })
})

describe('parseScoringRequest: instances and inputs', () => {
  it('reads a list as one tensor', () => {
    expect(json({ instances: [[1, 2]] }).input).toEqual({ kind: 'tensor', value: [[1, 2]] })
    expect(json({ inputs: [[1, 2]] }).input).toEqual({ kind: 'tensor', value: [[1, 2]] })
    expect(json({ inputs: 'hello' }).input).toEqual({ kind: 'tensor', value: 'hello' })
  })

  it('reads a dict of lists as named tensors', () => {
    expect(json({ inputs: { a: [1, 2], b: [[3]] } }).input).toEqual({
      kind: 'tensors',
      values: { a: [1, 2], b: [[3]] },
    })
    expect(json({ instances: { a: [1, 2], b: [3, 4] } }).input).toEqual({
      kind: 'tensors',
      values: { a: [1, 2], b: [3, 4] },
    })
  })

  it('turns instances rows into tensors by column', () => {
    expect(
      json({
        instances: [
          { a: 1, b: [1, 2] },
          { a: 2, b: [3, 4] },
        ],
      }).input,
    ).toEqual({
      kind: 'tensors',
      values: {
        a: [1, 2],
        b: [
          [1, 2],
          [3, 4],
        ],
      },
    })
  })

  it('refuses instances columns of different lengths', () => {
    const error = errorOf(() => json({ instances: [{ a: 1, b: 2 }, { a: 3 }] }))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toBe(
      'Invalid input. The length of values for each input/column name are not the same',
    )
  })
})

describe('parseScoringRequest: CSV', () => {
  it('parses numbers per column as pandas does, missing values as null', () => {
    expect(csv('a,b,c,d\n1,2.5,x,True\n3,,y,false\n').input).toEqual({
      kind: 'dataframe',
      columns: ['a', 'b', 'c', 'd'],
      rows: [
        [1, 2.5, 'x', true],
        [3, null, 'y', false],
      ],
    })
  })

  it('keeps text columns as text when a column mixes numbers and words', () => {
    expect(csv('v\n1\nabc\n').input).toEqual({ kind: 'dataframe', columns: ['v'], rows: [['1'], ['abc']] })
  })

  it('reads quoted fields, CRLF line ends and the unnamed index column of to_csv()', () => {
    expect(csv(',text,n\r\n0,"a, ""quoted""\nline",1e3\r\n1,plain,-inf\r\n').input).toEqual({
      kind: 'dataframe',
      columns: ['Unnamed: 0', 'text', 'n'],
      rows: [
        [0, 'a, "quoted"\nline', 1000],
        [1, 'plain', Number.NEGATIVE_INFINITY],
      ],
    })
  })

  it('renames duplicate headers and reads a header-only body as no rows', () => {
    expect(csv('a,a\n').input).toEqual({ kind: 'dataframe', columns: ['a', 'a.1'], rows: [] })
  })

  it('keeps the text of columns the signature declares as strings', () => {
    const signature: ModelSignature = {
      inputs: [
        { type: 'double', name: 'x', required: true },
        { type: 'string', name: 's', required: true },
      ],
    }
    expect(csv('x,s\n1,007\n', signature).input).toEqual({
      kind: 'dataframe',
      columns: ['x', 's'],
      rows: [[1, '007']],
    })
  })

  it('answers BAD_REQUEST for an empty body or a row with too many fields', () => {
    const empty = errorOf(() => csv(''))
    expect(empty.code).toBe('BAD_REQUEST')
    expect(empty.message).toBe(
      "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: 'No columns to parse from file'",
    )
    expect(errorOf(() => csv('a,b\n1,2\n3,4,5\n')).message).toContain(
      "Error: 'Error tokenizing data. C error: Expected 2 fields in line 3, saw 3'",
    )
    expect(errorOf(() => csv('a\n"open\n')).code).toBe('BAD_REQUEST')
  })
})

describe('parseScoringRequest: hostile bodies', () => {
  const raw = (body: string) => parseScoringRequest({ format: 'json', body })

  it('reads a record missing an inherited-looking column as null, never as a prototype member', () => {
    const records = raw(
      '{"dataframe_records": [{"a": 1}, {"toString": 2, "__proto__": 3, "constructor": 4}]}',
    )
    expect(records.input).toEqual({
      kind: 'dataframe',
      columns: ['a', 'toString', '__proto__', 'constructor'],
      rows: [
        [1, null, null, null],
        [null, 2, 3, 4],
      ],
    })
    const split = raw(
      '{"dataframe_split": {"columns": ["a", "toString", "__proto__"], "data": [{"a": 1}, {"__proto__": 3}]}}',
    )
    expect(split.input).toEqual({
      kind: 'dataframe',
      columns: ['a', 'toString', '__proto__'],
      rows: [
        [1, null, null],
        [null, null, 3],
      ],
    })
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  })

  it('reads many rows without overflowing the call stack', () => {
    const rows = 300_000
    const { input } = raw(`{"dataframe_records": [${Array(rows).fill('[1]').join(',')}]}`)
    expect(input.kind === 'dataframe' && input.rows.length).toBe(rows)
  })

  it('refuses absurdly deep nesting with BAD_REQUEST', () => {
    const depth = 100_000
    const error = errorOf(() => raw(`{"inputs": ${'['.repeat(depth)}1${']'.repeat(depth)}}`))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toContain('nested')
    // brackets inside strings do not count
    const text = `{"inputs": ["${'['.repeat(depth)}"]}`
    expect(raw(text).input).toEqual({ kind: 'tensor', value: ['['.repeat(depth)] })
  })

  it('reads a long number-like CSV cell in linear time', () => {
    const cell = `${'1'.repeat(200_000)}x`
    const started = performance.now()
    const { input } = csv(`a\n${cell}\n`)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(input).toEqual({ kind: 'dataframe', columns: ['a'], rows: [[cell]] })
  })

  it('refuses bodies that would fill a dataframe with far more missing cells than values', () => {
    const count = 3000
    const sparseRecords = `{"dataframe_records": [${Array.from({ length: count }, (_, index) => `{"k${index}": 1}`).join(',')}]}`
    const raggedRows = `{"dataframe_records": [[${Array(count).fill(1).join(',')}], ${Array(count).fill('[]').join(',')}]}`
    const broadcast = `{"dataframe_split": {"data": {"a": [${Array(count).fill(1).join(',')}], ${Array.from({ length: count }, (_, index) => `"s${index}": 0`).join(',')}}}}`
    const namedRecords = `{"dataframe_split": {"columns": [${Array.from({ length: count }, (_, index) => `"c${index}"`).join(',')}], "data": [${Array(count).fill('{}').join(',')}]}}`
    for (const body of [sparseRecords, raggedRows, broadcast, namedRecords]) {
      const error = errorOf(() => raw(body))
      expect(error.code).toBe('BAD_REQUEST')
      expect(error.message).toContain('missing')
    }
    // optional columns missing here and there are fine
    const records = Array.from({ length: count }, (_, index) => (index % 2 ? { a: 1, b: 2 } : { a: 1 }))
    expect(json({ dataframe_records: records }).input).toMatchObject({ columns: ['a', 'b'] })
  })

  it('refuses a CSV body whose short rows would be padded with far more missing cells than values', () => {
    const count = 3000
    const header = Array.from({ length: count }, (_, index) => `c${index}`).join(',')
    const error = errorOf(() => csv(`${header}\n${'1\n'.repeat(count)}`))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toContain('missing')
  })
})
