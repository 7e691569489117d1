import { MlflowError } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import type { ModelInput } from '../model.js'
import { concatDataframeInputs, predictionsToJson, splitOutputByRows } from './predictions.js'

describe('predictionsToJson', () => {
  it('writes a dataframe as a list of records', () => {
    expect(
      predictionsToJson({
        kind: 'dataframe',
        columns: ['a', 'b'],
        rows: [
          [1, 'x'],
          [2, null],
        ],
      }),
    ).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: null },
    ])
  })

  it('writes tensors as nested lists, typed arrays and bigints as numbers', () => {
    expect(
      predictionsToJson({ kind: 'tensor', value: [new Float32Array([0.5, 1]), new Float32Array([2, 3])] }),
    ).toEqual([
      [0.5, 1],
      [2, 3],
    ])
    expect(
      predictionsToJson({ kind: 'tensors', values: { label: new BigInt64Array([1n, 2n]), score: [1n] } }),
    ).toEqual({
      label: [1, 2],
      score: [1],
    })
  })

  it('nests a flat tensor with dims, as onnxruntime answers it', () => {
    expect(
      predictionsToJson({
        kind: 'tensor',
        value: { dims: [2, 3], data: new Int32Array([1, 2, 3, 4, 5, 6]) },
      }),
    ).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(predictionsToJson({ kind: 'tensor', value: { dims: [], data: new Float64Array([7]) } })).toBe(7)
  })

  it('writes JSON as is, with bytes as base64, dates as ISO text and non-finite numbers as null', () => {
    const value = {
      text: 'a',
      nested: [{ when: new Date(Date.UTC(2024, 0, 1)) }],
      bytes: Buffer.from('hi'),
      nan: Number.NaN,
    }
    expect(predictionsToJson({ kind: 'json', value })).toEqual({
      text: 'a',
      nested: [{ when: '2024-01-01T00:00:00.000Z' }],
      bytes: 'aGk=',
      nan: null,
    })
  })
})

describe('concatDataframeInputs', () => {
  it('concatenates the rows of dataframes with the same columns', () => {
    const a: ModelInput = { kind: 'dataframe', columns: ['x', 'y'], rows: [[1, 2]] }
    const b: ModelInput = {
      kind: 'dataframe',
      columns: ['x', 'y'],
      rows: [
        [3, 4],
        [5, 6],
      ],
    }
    expect(concatDataframeInputs([a, b])).toEqual({
      kind: 'dataframe',
      columns: ['x', 'y'],
      rows: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    })
  })

  it('refuses different columns or non-dataframe inputs', () => {
    const a: ModelInput = { kind: 'dataframe', columns: ['x', 'y'], rows: [[1, 2]] }
    expect(() => concatDataframeInputs([a, { kind: 'dataframe', columns: ['y', 'x'], rows: [] }])).toThrow(
      MlflowError,
    )
    expect(() => concatDataframeInputs([a, { kind: 'tensor', value: [1] }])).toThrow(/same columns/)
    expect(() => concatDataframeInputs([])).toThrow(/Only dataframe inputs/)
  })
})

describe('splitOutputByRows', () => {
  it('splits a dataframe by row counts', () => {
    expect(splitOutputByRows({ kind: 'dataframe', columns: ['p'], rows: [[1], [2], [3]] }, [1, 2])).toEqual([
      { kind: 'dataframe', columns: ['p'], rows: [[1]] },
      { kind: 'dataframe', columns: ['p'], rows: [[2], [3]] },
    ])
  })

  it('splits nested lists, typed arrays and flat tensors along the first dimension', () => {
    expect(
      splitOutputByRows(
        {
          kind: 'tensor',
          value: [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
        },
        [2, 1],
      ),
    ).toEqual([
      {
        kind: 'tensor',
        value: [
          [1, 2],
          [3, 4],
        ],
      },
      { kind: 'tensor', value: [[5, 6]] },
    ])
    const [first, second] = splitOutputByRows({ kind: 'tensor', value: new Float32Array([1, 2, 3]) }, [1, 2])
    expect(predictionsToJson(first!)).toEqual([1])
    expect(predictionsToJson(second!)).toEqual([2, 3])
    expect(
      splitOutputByRows(
        { kind: 'tensor', value: { dims: [2, 2], data: new Float64Array([1, 2, 3, 4]) } },
        [1, 1],
      ),
    ).toEqual([
      { kind: 'tensor', value: [[1, 2]] },
      { kind: 'tensor', value: [[3, 4]] },
    ])
  })

  it('splits every tensor of a tensors output and JSON lists', () => {
    expect(
      splitOutputByRows({ kind: 'tensors', values: { label: [0, 1], score: [[0.1], [0.9]] } }, [1, 1]),
    ).toEqual([
      { kind: 'tensors', values: { label: [0], score: [[0.1]] } },
      { kind: 'tensors', values: { label: [1], score: [[0.9]] } },
    ])
    expect(splitOutputByRows({ kind: 'json', value: ['a', 'b'] }, [1, 1])).toEqual([
      { kind: 'json', value: ['a'] },
      { kind: 'json', value: ['b'] },
    ])
  })

  it('refuses an output whose row count does not match', () => {
    const error = (() => {
      try {
        splitOutputByRows({ kind: 'tensor', value: [1, 2] }, [1, 2])
      } catch (caught) {
        return caught as MlflowError
      }
      throw new Error('expected an error')
    })()
    expect(error.code).toBe('INTERNAL_ERROR')
    expect(error.message).toBe(
      'The model answered 2 rows for 3 input rows; a row-batchable model must answer one entry per input row',
    )
    expect(() => splitOutputByRows({ kind: 'json', value: { a: 1 } }, [1])).toThrow(/no first dimension/)
  })
})

describe('predictionsToJson: hostile keys', () => {
  it("keeps a '__proto__' column or key as data instead of setting a prototype", () => {
    const records = predictionsToJson({
      kind: 'dataframe',
      columns: ['__proto__', 'a'],
      rows: [[{ x: 1 }, 2]],
    })
    expect(JSON.stringify(records)).toBe('[{"__proto__":{"x":1},"a":2}]')
    const value = JSON.parse('{"__proto__": {"polluted": true}, "b": [1]}') as unknown
    const json = predictionsToJson({ kind: 'json', value })
    expect(JSON.stringify(json)).toBe('{"__proto__":{"polluted":true},"b":[1]}')
    expect((json as { polluted?: unknown }).polluted).toBeUndefined()
  })
})
