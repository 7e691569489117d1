import { describe, expect, it } from 'vitest'
import type { ModelInput } from '../model.js'
import { errorOf } from '../test-support/error-of.js'
import { enforceParams, enforceSignature } from './enforce-signature.js'
import type { ColSpec, ModelSignature, TensorSpec } from './signature.js'

const columns = (...specs: ColSpec[]): ModelSignature => ({ inputs: specs })
const tensors = (...specs: TensorSpec[]): ModelSignature => ({ inputs: specs })
const frame = (names: string[], rows: unknown[][]): ModelInput => ({
  kind: 'dataframe',
  columns: names,
  rows,
})

const IRIS = columns(
  { type: 'double', name: 'x', required: true },
  { type: 'long', name: 'n', required: true },
  { type: 'string', name: 's', required: false },
)

describe('enforceSignature: column-based signatures', () => {
  it('returns the input unchanged without a signature', () => {
    const input = frame(['a'], [[1]])
    expect(enforceSignature(input)).toBe(input)
    expect(enforceSignature(input, { outputs: [{ type: 'double', required: true }] })).toBe(input)
  })

  it('orders columns as the schema, drops extra ones and skips missing optional ones', () => {
    expect(enforceSignature(frame(['z', 'n', 'x'], [[0, 2, 1.5]]), IRIS)).toEqual(
      frame(['x', 'n'], [[1.5, 2]]),
    )
  })

  it("names missing required columns with MLflow's message", () => {
    const error = errorOf(() => enforceSignature(frame(['x', 'z'], [[1, 3]]), IRIS))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toBe(
      "Failed to enforce schema of data with schema '['x': double (required), 'n': long (required), 's': string (optional)]'. Error: Model is missing inputs ['n']. Note that there were extra inputs: ['z'].",
    )
  })

  it('converts values safely: ints to doubles, integral numbers to longs, scalars to strings', () => {
    expect(enforceSignature(frame(['x', 'n', 's'], [[1, 2.0, 5]]), IRIS)).toEqual(
      frame(['x', 'n', 's'], [[1, 2, '5']]),
    )
    expect(enforceSignature(frame(['x', 'n', 's'], [['1.5', '7', true]]), IRIS)).toEqual(
      frame(['x', 'n', 's'], [[1.5, 7, 'True']]),
    )
  })

  it('rounds float columns to 32 bits and turns missing doubles into NaN', () => {
    const signature = columns(
      { type: 'float', name: 'f', required: true },
      { type: 'double', name: 'd', required: true },
    )
    const result = enforceSignature(frame(['f', 'd'], [[0.1, null]]), signature)
    expect(result).toEqual(frame(['f', 'd'], [[Math.fround(0.1), Number.NaN]]))
  })

  it('refuses a fractional number for a long column, naming the column and types', () => {
    const error = errorOf(() => enforceSignature(frame(['x', 'n'], [[1, 2.5]]), IRIS))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toMatch(
      /Error: Incompatible input types for column n\. Can not safely convert float64 to int64\. The value at row 0 is 2\.5\.$/,
    )
  })

  it('explains that a missing value makes an integer column float', () => {
    const error = errorOf(() =>
      enforceSignature(
        frame(
          ['x', 'n'],
          [
            [1, 2],
            [1, null],
          ],
        ),
        IRIS,
      ),
    )
    expect(error.message).toContain(
      'Can not safely convert float64 to int64. Hint: the type mismatch is likely caused by missing values.',
    )
  })

  it('answers BAD_REQUEST for text that is not a number, as MLflow does', () => {
    const error = errorOf(() => enforceSignature(frame(['x', 'n'], [['abc', 1]]), IRIS))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toBe(
      "Invalid input. Data is not compatible with model signature. Failed to convert column x to type 'float64'. Error: 'ValueError(\"could not convert string to float: 'abc'\")'",
    )
  })

  it('refuses wrong types for boolean, integer and string columns', () => {
    const signature = columns(
      { type: 'boolean', name: 'b', required: true },
      { type: 'integer', name: 'i', required: true },
      { type: 'string', name: 's', required: true },
    )
    expect(enforceSignature(frame(['b', 'i', 's'], [['TRUE', 1, 'a']]), signature)).toEqual(
      frame(['b', 'i', 's'], [[true, 1, 'a']]),
    )
    expect(errorOf(() => enforceSignature(frame(['b', 'i', 's'], [[2, 1, 'a']]), signature)).message).toMatch(
      /column b\. Can not safely convert int64 to bool/,
    )
    expect(
      errorOf(() => enforceSignature(frame(['b', 'i', 's'], [[true, 2 ** 31, 'a']]), signature)).message,
    ).toMatch(/column i\. Can not safely convert int64 to int32/)
    expect(
      errorOf(() => enforceSignature(frame(['b', 'i', 's'], [[true, 1, { a: 1 }]]), signature)).message,
    ).toMatch(/column s\. Can not safely convert object to <U0/)
  })

  it('decodes base64 binary columns and parses datetime columns', () => {
    const signature = columns(
      { type: 'binary', name: 'b', required: true },
      { type: 'datetime', name: 't', required: true },
    )
    const result = enforceSignature(frame(['b', 't'], [['aGk=', '2024-01-02 03:04:05']]), signature)
    expect(result.kind).toBe('dataframe')
    const [bytes, time] = (result as { rows: readonly (readonly unknown[])[] }).rows[0]!
    expect(Buffer.from(bytes as Uint8Array).toString()).toBe('hi')
    expect((time as Date).toISOString()).toBe('2024-01-02T03:04:05.000Z')
    expect(errorOf(() => enforceSignature(frame(['b', 't'], [['aGk=', 'not a date']]), signature)).code).toBe(
      'INVALID_PARAMETER_VALUE',
    )
  })

  it('checks array, object and map columns item by item', () => {
    const signature = columns(
      { type: { type: 'array', items: 'long' }, name: 'ids', required: true },
      {
        type: {
          type: 'object',
          properties: [
            { name: 'a', type: 'double', required: true },
            { name: 'b', type: 'string', required: false },
          ],
        },
        name: 'obj',
        required: true,
      },
      { type: { type: 'map', values: 'boolean' }, name: 'flags', required: false },
    )
    expect(enforceSignature(frame(['ids', 'obj'], [[[1, 2], { a: 1 }]]), signature)).toEqual(
      frame(['ids', 'obj'], [[[1, 2], { a: 1 }]]),
    )
    expect(
      errorOf(() => enforceSignature(frame(['ids', 'obj'], [[[1.5], { a: 1 }]]), signature)).message,
    ).toMatch(
      /column ids with type Array\(long\) at row 0: Failed to enforce schema of data `1\.5` with dtype `long`/,
    )
    expect(
      errorOf(() => enforceSignature(frame(['ids', 'obj'], [[[1], { b: 'x' }]]), signature)).message,
    ).toMatch(/Missing required properties: \{'a'\}/)
    expect(
      errorOf(() => enforceSignature(frame(['ids', 'obj'], [[[1], { a: 1, c: 2 }]]), signature)).message,
    ).toMatch(/Invalid properties not defined in the schema found: \{'c'\}/)
    expect(
      errorOf(() =>
        enforceSignature(frame(['ids', 'obj', 'flags'], [[[1], { a: 1 }, { k: 'x' }]]), signature),
      ).message,
    ).toMatch(/column flags with type Map\(str -> boolean\)/)
  })

  it('reads a list as the single column of a one-column signature', () => {
    const signature = columns({ type: 'double', name: 'x', required: true })
    expect(enforceSignature({ kind: 'tensor', value: [1, 2] }, signature)).toEqual(frame(['x'], [[1], [2]]))
  })

  it('reads a list of records and a dict of columns as dataframes', () => {
    expect(enforceSignature({ kind: 'tensor', value: [{ x: 1, n: 2 }] }, IRIS)).toEqual(
      frame(['x', 'n'], [[1, 2]]),
    )
    expect(enforceSignature({ kind: 'tensors', values: { x: [1, 2], n: [3, 4] } }, IRIS)).toEqual(
      frame(
        ['x', 'n'],
        [
          [1, 3],
          [2, 4],
        ],
      ),
    )
    expect(enforceSignature({ kind: 'tensors', values: { x: 1, n: 2 } }, IRIS)).toEqual(
      frame(['x', 'n'], [[1, 2]]),
    )
    expect(
      errorOf(() => enforceSignature({ kind: 'tensors', values: { x: [1, 2], n: [3] } }, IRIS)).message,
    ).toMatch(
      /There was an error casting the input data to a DataFrame: All arrays must be of the same length$/,
    )
  })

  it('checks only the column count of an unnamed signature', () => {
    const signature = columns({ type: 'double', required: true }, { type: 'double', required: true })
    expect(enforceSignature(frame(['0', '1', '2'], [[1, 2, 3]]), signature)).toEqual(
      frame(['0', '1'], [[1, 2]]),
    )
    expect(errorOf(() => enforceSignature(frame(['0'], [[1]]), signature)).message).toContain(
      'Error: Model inference is missing inputs. The model signature declares 2 inputs  but the provided value only has 1 inputs.',
    )
  })
})

describe('enforceSignature: tensor-based signatures', () => {
  const IRIS_TENSOR = tensors({ type: 'tensor', dtype: 'float32', shape: [-1, 4] })

  it('casts to the dtype and accepts any size on -1 dimensions', () => {
    expect(enforceSignature({ kind: 'tensor', value: [[1, 2, 3, 0.1]] }, IRIS_TENSOR)).toEqual({
      kind: 'tensor',
      value: [[1, 2, 3, Math.fround(0.1)]],
    })
    expect(
      enforceSignature(
        { kind: 'tensor', value: [] },
        tensors({ type: 'tensor', dtype: 'int64', shape: [-1] }),
      ),
    ).toEqual({
      kind: 'tensor',
      value: [],
    })
  })

  it('refuses a wrong shape naming the expected and the received shapes', () => {
    const error = errorOf(() => enforceSignature({ kind: 'tensor', value: [[1, 2, 3]] }, IRIS_TENSOR))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toBe(
      "Failed to enforce schema of data with schema '[Tensor('float32', (-1, 4))]'. Error: Shape of input (1, 3) does not match expected shape (-1, 4).",
    )
    expect(
      errorOf(() => enforceSignature({ kind: 'tensor', value: [1, 2, 3, 4] }, IRIS_TENSOR)).message,
    ).toContain('Shape of input (4,) does not match expected shape (-1, 4).')
  })

  it('answers BAD_REQUEST for ragged arrays and values that do not convert', () => {
    const ragged = errorOf(() =>
      enforceSignature({ kind: 'tensor', value: [[1, 2, 3, 4], [1]] }, IRIS_TENSOR),
    )
    expect(ragged.code).toBe('BAD_REQUEST')
    expect(ragged.message).toBe(
      'Invalid input. setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part.',
    )
    expect(
      errorOf(() => enforceSignature({ kind: 'tensor', value: [['a', 2, 3, 4]] }, IRIS_TENSOR)).message,
    ).toBe("Invalid input. could not convert string to float: 'a'")
    const uint8 = tensors({ type: 'tensor', dtype: 'uint8', shape: [-1] })
    expect(errorOf(() => enforceSignature({ kind: 'tensor', value: [300] }, uint8)).message).toBe(
      'Invalid input. Python integer 300 out of bounds for uint8',
    )
    expect(enforceSignature({ kind: 'tensor', value: [1.9, true] }, uint8)).toEqual({
      kind: 'tensor',
      value: [1, 1],
    })
  })

  it('turns a dataframe into a rows × columns tensor', () => {
    expect(enforceSignature(frame(['a', 'b', 'c', 'd'], [[1, 2, 3, 4]]), IRIS_TENSOR)).toEqual({
      kind: 'tensor',
      value: [[1, 2, 3, 4]],
    })
    const error = errorOf(() => enforceSignature(frame(['a', 'b'], [[1, 2]]), IRIS_TENSOR))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toContain('the input DataFrame passed had 2 columns and an input shape of (-1, 4)')
    expect(errorOf(() => enforceSignature(frame(['a'], []), IRIS_TENSOR)).message).toContain(
      'Input DataFrame is empty.',
    )
  })

  it('reads a one-column dataframe as a (-1,) or (-1, 1) tensor, or reshapes its list cells', () => {
    const column = tensors({ type: 'tensor', dtype: 'float64', shape: [-1, 1] })
    expect(enforceSignature(frame(['a'], [[1], [2]]), column)).toEqual({ kind: 'tensor', value: [[1], [2]] })
    const image = tensors({ type: 'tensor', dtype: 'float64', shape: [-1, 2, 2] })
    expect(enforceSignature(frame(['a'], [[[1, 2, 3, 4]]]), image)).toEqual({
      kind: 'tensor',
      value: [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    })
    expect(errorOf(() => enforceSignature(frame(['a'], [[[1, 2, 3]]]), image)).message).toContain(
      "could not be converted to the expected shape of: '(-1, 2, 2)'",
    )
    expect(errorOf(() => enforceSignature(frame(['a'], [[1]]), image)).message).toContain(
      'contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of (-1, 2, 2).',
    )
  })

  it('refuses named tensors for an unnamed tensor signature', () => {
    const error = errorOf(() =>
      enforceSignature({ kind: 'tensors', values: { a: [[1, 2, 3, 4]] } }, IRIS_TENSOR),
    )
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toContain('This model contains an un-named  model signature')
  })

  const NAMED = tensors(
    { type: 'tensor', name: 'a', dtype: 'float32', shape: [-1, 2] },
    { type: 'tensor', name: 'b', dtype: 'int64', shape: [-1] },
  )

  it('casts and checks each named tensor, dropping unknown ones', () => {
    expect(enforceSignature({ kind: 'tensors', values: { a: [[1, 2]], b: [3.0], c: [1] } }, NAMED)).toEqual({
      kind: 'tensors',
      values: { a: [[1, 2]], b: [3] },
    })
    expect(
      errorOf(() => enforceSignature({ kind: 'tensors', values: { a: [[1, 2]], b: [[3]] } }, NAMED)).message,
    ).toContain(
      "'b': Tensor('int64', (-1,))]'. Error: Shape of input (1, 1) does not match expected shape (-1,).",
    )
  })

  it('names missing tensors', () => {
    const error = errorOf(() => enforceSignature({ kind: 'tensors', values: { a: [[1, 2]] } }, NAMED))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toMatch(/Error: Model is missing inputs \['b'\]\.$/)
    expect(errorOf(() => enforceSignature({ kind: 'tensor', value: [1] }, NAMED)).message).toMatch(
      /Model is missing inputs \['a', 'b'\]\.$/,
    )
  })

  it('reads dataframe columns as named tensors', () => {
    expect(enforceSignature(frame(['a', 'b'], [[[1, 2], 3]]), NAMED)).toEqual({
      kind: 'tensors',
      values: { a: [[1, 2]], b: [3] },
    })
  })

  it('maps a bare list to the only named tensor', () => {
    const single = tensors({ type: 'tensor', name: 'x', dtype: 'float64', shape: [-1] })
    expect(enforceSignature({ kind: 'tensor', value: [1, 2] }, single)).toEqual({
      kind: 'tensors',
      values: { x: [1, 2] },
    })
  })
})

describe('enforceParams', () => {
  const SIGNATURE: ModelSignature = {
    params: [
      { name: 'temperature', type: 'double', default: 0.5, shape: null },
      { name: 'top_k', type: 'long', default: 3, shape: null },
      { name: 'tags', type: 'string', default: ['a'], shape: [-1] },
      { name: 'since', type: 'datetime', default: null, shape: null },
    ],
  }

  it('fills defaults, converts ints and drops unknown params', () => {
    expect(enforceParams({ temperature: 1, unknown: true }, SIGNATURE)).toEqual({
      temperature: 1,
      top_k: 3,
      tags: ['a'],
      since: null,
    })
    expect(enforceParams(undefined, SIGNATURE)).toEqual({
      temperature: 0.5,
      top_k: 3,
      tags: ['a'],
      since: null,
    })
  })

  it('converts datetime text and lists of the declared type', () => {
    const params = enforceParams({ since: '2024-01-02', tags: ['x', 'y'] }, SIGNATURE)!
    expect((params.since as Date).toISOString()).toBe('2024-01-02T00:00:00.000Z')
    expect(params.tags).toEqual(['x', 'y'])
  })

  it("lists every invalid param with MLflow's message", () => {
    const error = errorOf(() => enforceParams({ top_k: 'many', tags: 'x' }, SIGNATURE))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toBe(
      "Invalid parameters found: {('top_k', \"Failed to validate type and shape for 'top_k': long (default: 3), error: Can not safely convert `<class 'str'>` to `DataType.long` for value `many`\"), ('tags', \"Value must be a 1D array with shape (-1,) for param 'tags': string (default: ['a']) (shape: (-1,)), received str with ndim 0\")}",
    )
    expect(errorOf(() => enforceParams({ temperature: [1] }, SIGNATURE)).message).toContain(
      'Value must be a scalar for type `DataType.double`, got `[1]`',
    )
    expect(errorOf(() => enforceParams({ top_k: 1.5 }, SIGNATURE)).message).toContain(
      "Can not safely convert `<class 'float'>` to `DataType.long` for value `1.5`",
    )
  })

  it('ignores params when the model has no params schema', () => {
    expect(enforceParams({ a: 1 }, undefined)).toEqual({})
    expect(enforceParams(undefined, { inputs: [] })).toBeUndefined()
  })
})

describe('enforceSignature: hostile inputs', () => {
  it('does not read prototype members as record fields or object properties', () => {
    const input: ModelInput = {
      kind: 'tensor',
      value: JSON.parse('[{"a": 1}, {"a": 2, "toString": "x"}]') as unknown,
    }
    const signature = columns(
      { type: 'long', name: 'a', required: true },
      { type: 'string', name: 'toString', required: false },
    )
    expect(enforceSignature(input, signature)).toEqual(
      frame(
        ['a', 'toString'],
        [
          [1, null],
          [2, 'x'],
        ],
      ),
    )
    const objects = columns({
      type: { type: 'object', properties: [{ name: 'constructor', type: 'long', required: true }] },
      name: 'o',
      required: true,
    })
    const missing = errorOf(() => enforceSignature(frame(['o'], [[{}]]), objects))
    expect(missing.code).toBe('INVALID_PARAMETER_VALUE')
    expect(missing.message).toContain("Missing required properties: {'constructor'}")
  })

  it('reads a long list of rows without overflowing the call stack', () => {
    const rows = Array.from({ length: 300_000 }, () => [1, 2])
    const signature = columns(
      { type: 'double', name: '0', required: true },
      { type: 'double', name: '1', required: true },
    )
    const checked = enforceSignature({ kind: 'tensor', value: rows }, signature)
    expect(checked.kind === 'dataframe' && checked.rows.length).toBe(300_000)
    const column = Array.from({ length: 300_000 }, () => [[1, 2]])
    const tensor = enforceSignature(frame(['t'], column), {
      inputs: [{ type: 'tensor', name: 't', dtype: 'float32', shape: [-1, 2] }],
    })
    expect(tensor.kind === 'tensors' && (tensor.values.t as unknown[]).length).toBe(300_000)
  })

  it('refuses a long number-like text for a double column or a float tensor in linear time', () => {
    const text = `${'1'.repeat(200_000)}x`
    const started = performance.now()
    const column = errorOf(() =>
      enforceSignature(frame(['x'], [[text]]), columns({ type: 'double', name: 'x', required: true })),
    )
    const tensor = errorOf(() =>
      enforceSignature(
        { kind: 'tensor', value: [[text]] },
        tensors({ type: 'tensor', dtype: 'float32', shape: [-1, 1] }),
      ),
    )
    expect(performance.now() - started).toBeLessThan(1000)
    expect([column.code, tensor.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST'])
  })

  it('refuses inputs that would fill a dataframe with far more missing cells than values', () => {
    const count = 3000
    const signature = columns({ type: 'double', name: 'a', required: true })
    const broadcast: Record<string, unknown> = { a: Array(count).fill(1) }
    for (let index = 0; index < count; index++) broadcast[`s${index}`] = 0
    const sparse = Array.from({ length: count }, (_, index) => ({ [`k${index}`]: 1, a: 1 }))
    for (const input of [
      { kind: 'tensors', values: broadcast },
      { kind: 'tensor', value: sparse },
    ] as const) {
      const error = errorOf(() => enforceSignature(input, signature))
      expect(error.code).toBe('BAD_REQUEST')
      expect(error.message).toContain('missing')
    }
  })
})
