import { describe, expect, it } from 'vitest'
import {
  evaluatePythonStrings,
  parsePythonInt,
  pythonBytesRepr,
  pythonList,
  pythonRepr,
  pythonSet,
  pythonTuple,
} from './python-literals.js'

describe('evaluatePythonStrings', () => {
  it.each([
    ["'abc'", 'abc'],
    ['"abc"', 'abc'],
    ["''", ''],
    ["'a''b'", 'ab'],
    ['\'a\'"b"', 'ab'],
    ["'\\\\'", '\\'],
    ["'\\''", "'"],
    ["'\\\"'", '"'],
    ["'\\a\\b\\f\\n\\r\\t\\v'", '\x07\b\f\n\r\t\v'],
    ["'\\0'", '\0'],
    ["'\\101\\1012'", 'AA2'],
    ["'\\x41'", 'A'],
    ["'\\u00e9'", 'é'],
    ["'\\U0001F600'", '😀'],
    ["'a\\\nb'", 'ab'],
    ["'\\q\\d'", '\\q\\d'],
  ])('evaluates %s', (raw, value) => {
    expect(evaluatePythonStrings(raw)).toBe(value)
  })

  it.each(["'abc", 'abc', "'a' b", "'\\x4'", "'\\u12'", "'\\U00110000'", "'\\N{DASH}'", "'a\\"])(
    'rejects %s, as Python would',
    (raw) => {
      expect(evaluatePythonStrings(raw)).toBeUndefined()
    },
  )
})

describe('parsePythonInt', () => {
  it.each([
    ['7', 7n],
    ['007', 7n],
    [' 12 ', 12n],
    ['-3', -3n],
    ['+3', 3n],
    ['1_000', 1000n],
    ['123456789012345678901234567890', 123456789012345678901234567890n],
  ])('reads %j as %d', (text, value) => {
    expect(parsePythonInt(text)).toBe(value)
  })

  it.each(['', 'x', '1.0', '1__0', '_1', '1_', '0x10', '1e3'])('rejects %j', (text) => {
    expect(parsePythonInt(text)).toBeUndefined()
  })
})

describe('Python reprs', () => {
  it('quotes strings as Python does', () => {
    expect(pythonRepr('abc')).toBe("'abc'")
    expect(pythonRepr("it's")).toBe('"it\'s"')
    expect(pythonRepr('both \' and "')).toBe("'both \\' and \"'")
    expect(pythonRepr('a\\b\n\t\x01')).toBe("'a\\\\b\\n\\t\\x01'")
  })

  it('prints lists, sets and tuples', () => {
    expect(pythonList(['a', 'b'])).toBe("['a', 'b']")
    expect(pythonSet(['a', 'b'])).toBe("{'a', 'b'}")
    expect(pythonTuple(['a', 'b'])).toBe("('a', 'b')")
    expect(pythonTuple(['a'])).toBe("('a',)")
  })

  it('prints bytes', () => {
    expect(pythonBytesRepr(new TextEncoder().encode('ab'))).toBe("b'ab'")
    expect(pythonBytesRepr(Uint8Array.from([0x27, 0x0a, 0xff, 0x5c]))).toBe('b"\'\\n\\xff\\\\"')
  })
})
