import { describe, expect, it } from 'vitest'
import { INT64_MAX, INT64_MIN } from '../int64.js'
import { LogBatchRequest, LogMetricRequest } from './run-schemas.js'
import { DoubleInput, ExactInt64, Int64 } from './wire-types.js'

describe('ExactInt64', () => {
  it('accepts JSON integers of any int64 size and digit strings, in canonical form', () => {
    expect(ExactInt64.parse(5)).toBe(5)
    expect(ExactInt64.parse(9007199254740993n)).toBe(9007199254740993n)
    expect(ExactInt64.parse('9007199254740993')).toBe(9007199254740993n)
    expect(ExactInt64.parse('-42')).toBe(-42)
    expect(ExactInt64.parse('-9223372036854775808')).toBe(INT64_MIN)
    expect(ExactInt64.parse(INT64_MAX)).toBe(INT64_MAX)
  })

  it('rejects integers outside the int64 range, fractions and other types', () => {
    for (const value of [
      INT64_MAX + 1n,
      INT64_MIN - 1n,
      '9223372036854775808',
      1.5,
      2 ** 53,
      '1.0',
      true,
      null,
    ]) {
      expect(ExactInt64.safeParse(value).success, String(value)).toBe(false)
    }
  })

  it('leaves the other int64 fields safe-integer only', () => {
    expect(Int64.safeParse(9007199254740993n).success).toBe(false)
  })
})

describe('metric requests', () => {
  it('keep unsafe steps and timestamps exact', () => {
    const request = LogMetricRequest.parse({
      run_id: 'r',
      key: 'k',
      value: 1,
      timestamp: 4611686018427387904n,
      step: -4611686018427387904n,
    })
    expect(request).toMatchObject({ timestamp: 4611686018427387904n, step: -4611686018427387904n })
    const batch = LogBatchRequest.parse({
      run_id: 'r',
      metrics: [{ key: 'k', value: 1, timestamp: 1, step: '9007199254740993' }],
    })
    expect(batch.metrics?.[0]?.step).toBe(9007199254740993n)
  })

  it('take a large double written as an integer as that double', () => {
    expect(DoubleInput.parse(100000000000000000000n)).toBe(1e20)
  })
})
