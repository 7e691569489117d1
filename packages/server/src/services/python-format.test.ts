import { pythonRepr, pythonTypeName } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import {
  codePointLength,
  posixNormpath,
  pythonFloatRepr,
  pythonJsonDumps,
  truncateCodePoints,
} from './python-format.js'

describe('python-format', () => {
  it('formats floats as Python repr does', () => {
    expect(pythonFloatRepr(1)).toBe('1.0')
    expect(pythonFloatRepr(2.5)).toBe('2.5')
    expect(pythonFloatRepr(Number.NaN)).toBe('nan')
    expect(pythonFloatRepr(Number.POSITIVE_INFINITY)).toBe('inf')
    expect(pythonFloatRepr(Number.NEGATIVE_INFINITY)).toBe('-inf')
    expect(pythonFloatRepr(1e16)).toBe('1e+16')
    expect(pythonFloatRepr(1.5e-7)).toBe('1.5e-07')
    expect(pythonFloatRepr(123.456)).toBe('123.456')
  })

  it('dumps JSON with sorted keys, compact separators and ASCII escapes', () => {
    expect(pythonJsonDumps({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}')
    expect(pythonJsonDumps('é')).toBe('"\\u00e9"')
    expect(pythonJsonDumps([{ k: 'v' }], [', ', ': '])).toBe('[{"k": "v"}]')
    expect(pythonJsonDumps(Number.NaN)).toBe('NaN')
  })

  it('quotes strings as Python repr does', () => {
    expect(pythonRepr('a')).toBe("'a'")
    expect(pythonRepr("it's")).toBe('"it\'s"')
    expect(pythonRepr('a\nb')).toBe("'a\\nb'")
  })

  it('names JSON value types as Python does', () => {
    expect(['x', 1, 1.5, true, [], {}, null].map(pythonTypeName)).toEqual([
      'str',
      'int',
      'float',
      'bool',
      'list',
      'dict',
      'NoneType',
    ])
  })

  it('normalises paths as posixpath.normpath does', () => {
    expect(posixNormpath('')).toBe('.')
    expect(posixNormpath('a//b')).toBe('a/b')
    expect(posixNormpath('a/./b/')).toBe('a/b')
    expect(posixNormpath('../a')).toBe('../a')
    expect(posixNormpath('a/../..')).toBe('..')
    expect(posixNormpath('/a/../b')).toBe('/b')
    expect(posixNormpath('//a')).toBe('//a')
    expect(posixNormpath('///a')).toBe('/a')
  })

  it('counts and truncates code points, not UTF-16 units', () => {
    expect(codePointLength('a😀b')).toBe(3)
    expect(truncateCodePoints('😀😀😀', 2)).toBe('😀😀')
    expect(truncateCodePoints('abc', 5)).toBe('abc')
  })
})
