import { describe, expect, it } from 'vitest'
import { parseExactJson, stringifyExactJson } from './exact-json.js'

describe('parseExactJson', () => {
  it('decodes integer literals beyond ±2^53 as exact bigints, wherever they sit', () => {
    const text =
      '{"run_id":"r","metrics":[{"key":"a","value":1,"timestamp":4611686018427387904,"step":9007199254740993},' +
      '{"key":"b","value":2,"timestamp":1,"step":-4611686018427387904}],"nested":[[1,[9223372036854775807]]]}'
    expect(parseExactJson(text)).toEqual({
      run_id: 'r',
      metrics: [
        { key: 'a', value: 1, timestamp: 4611686018427387904n, step: 9007199254740993n },
        { key: 'b', value: 2, timestamp: 1, step: -4611686018427387904n },
      ],
      nested: [[1, [9223372036854775807n]]],
    })
  })

  it('keeps safe integers, doubles and digits inside strings as JSON.parse reads them', () => {
    const text =
      '{"safe":9007199254740991,"negative":-9007199254740991,"ms":1700000000000,"fraction":0.30000000000000004,' +
      '"long_fraction":1234567890123456.5,"exponent":1.2345678901234567e+25,"big_exponent":1e1234567890123456,' +
      '"text":"step 9007199254740993","escaped":"\\"9007199254740993\\"","digits_key_9007199254740993":1}'
    expect(parseExactJson(text)).toEqual(JSON.parse(text))
  })

  it('follows keys with escapes, empty containers and the last of duplicate keys', () => {
    expect(
      parseExactJson(
        '{"a\\"b":{},"c":[],"d\\u0065":[{"x":[]},9007199254740993],"dup":9007199254740993,"dup":1}',
      ),
    ).toEqual({ 'a"b': {}, c: [], de: [{ x: [] }, 9007199254740993n], dup: 1 })
    expect(parseExactJson('{"dup":1,"dup":18446744073709551616}')).toEqual({ dup: 18446744073709551616n })
  })

  it('decodes a document that is one unsafe integer', () => {
    expect(parseExactJson(' -9007199254740993 ')).toBe(-9007199254740993n)
  })

  it('rejects malformed text with the error JSON.parse gives, never repairing it', () => {
    for (const text of [
      '{"a":01234567890123456789}',
      '{"a":+12345678901234567890}',
      '{"a":12345678901234567890',
      '{"a":12345678901234567890 "b":1}',
      '[12345678901234567890,]',
    ]) {
      const expected = (() => {
        try {
          JSON.parse(text)
        } catch (error) {
          return (error as Error).message
        }
        throw new Error(`JSON.parse accepted ${text}`)
      })()
      expect(() => parseExactJson(text), text).toThrow(new SyntaxError(expected))
    }
  })
})

describe('stringifyExactJson', () => {
  it('writes bigints as bare integers, and round-trips with parseExactJson', () => {
    const value = {
      metrics: [{ key: 'a', value: 0.5, timestamp: 4611686018427387904n, step: -9007199254740993n }],
      skipped: undefined,
      list: [undefined, 1n, { toJSON: () => 'custom' }],
    }
    const text = stringifyExactJson(value)
    expect(text).toBe(
      '{"metrics":[{"key":"a","value":0.5,"timestamp":4611686018427387904,"step":-9007199254740993}],' +
        '"list":[null,1,"custom"]}',
    )
    expect(parseExactJson(text)).toEqual({
      metrics: [{ key: 'a', value: 0.5, timestamp: 4611686018427387904n, step: -9007199254740993n }],
      list: [null, 1, 'custom'],
    })
  })

  it('writes values without bigints exactly as JSON.stringify does', () => {
    const value = { a: [1, 'two', null, Number.NaN], b: { c: true }, d: undefined }
    expect(stringifyExactJson(value)).toBe(JSON.stringify(value))
  })

  it('still refuses circular structures', () => {
    const value: Record<string, unknown> = { step: 1n }
    value.self = value
    expect(() => stringifyExactJson(value)).toThrow(TypeError)
  })
})
