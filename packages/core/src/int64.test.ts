import { describe, expect, it } from 'vitest'
import { compareInt64, INT64_MAX, INT64_MIN, isInt64, toInt64Value } from './int64.js'

describe('toInt64Value', () => {
  it('is a number while the value is a safe integer and a bigint beyond', () => {
    expect(toInt64Value(9007199254740991n)).toBe(9007199254740991)
    expect(toInt64Value(-9007199254740991n)).toBe(-9007199254740991)
    expect(toInt64Value(9007199254740992n)).toBe(9007199254740992n)
    expect(toInt64Value('-9007199254740993')).toBe(-9007199254740993n)
    expect(toInt64Value('42')).toBe(42)
    expect(toInt64Value(7)).toBe(7)
  })

  it('orders numbers and bigints together exactly', () => {
    const values = [9007199254740993n, -1, 9007199254740992n, 9007199254740991, INT64_MIN, 0, INT64_MAX]
    expect(values.sort(compareInt64)).toEqual([
      INT64_MIN,
      -1,
      0,
      9007199254740991,
      9007199254740992n,
      9007199254740993n,
      INT64_MAX,
    ])
  })

  it('knows the int64 range', () => {
    expect(isInt64(INT64_MAX)).toBe(true)
    expect(isInt64(INT64_MIN)).toBe(true)
    expect(isInt64(INT64_MAX + 1n)).toBe(false)
    expect(isInt64(INT64_MIN - 1n)).toBe(false)
  })
})
