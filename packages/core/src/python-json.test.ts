import { describe, expect, it } from 'vitest'
import { pythonJsonText, utcTimeCreated } from './python-json.js'

describe('pythonJsonText', () => {
  it("writes json.dumps' default separators, keys in insertion order", () => {
    expect(pythonJsonText({ b: 1, a: [true, null, 'x', 1.5] })).toBe('{"b": 1, "a": [true, null, "x", 1.5]}')
    expect(pythonJsonText([])).toBe('[]')
    expect(pythonJsonText({})).toBe('{}')
  })

  it('escapes non-ASCII as \\uXXXX (ensure_ascii), in keys and values', () => {
    // json.dumps([{"name": "température", "type": "double"}]) and json.dumps("😀\x7f")
    expect(pythonJsonText([{ name: 'température', type: 'double' }])).toBe(
      '[{"name": "temp\\u00e9rature", "type": "double"}]',
    )
    expect(pythonJsonText({ é: 'x' })).toBe('{"\\u00e9": "x"}')
    expect(pythonJsonText('😀\x7f')).toBe('"\\ud83d\\ude00\\u007f"')
    expect(pythonJsonText('a"b\\\n\x01')).toBe('"a\\"b\\\\\\n\\u0001"')
  })

  it('leaves out undefined object entries and writes other undefined as null', () => {
    expect(pythonJsonText({ a: undefined, b: [undefined] })).toBe('{"b": [null]}')
  })
})

describe('utcTimeCreated', () => {
  it('is naive UTC with microseconds', () => {
    expect(utcTimeCreated(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))).toBe('2024-01-02 03:04:05.678000')
  })
})
