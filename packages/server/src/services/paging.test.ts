import { decodePageToken, MlflowError } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { historyPositionFromPageToken, pageTokenFromHistoryPosition } from './paging.js'

describe('metric history page tokens', () => {
  it('round-trip positions exactly, int64s beyond 2^53 and extreme doubles included', () => {
    const cursor = [9007199254740993n, -9223372036854775808n, -Number.MAX_VALUE, 0] as const
    const token = pageTokenFromHistoryPosition(25_000, cursor)!
    expect(atob(token)).toBe(
      '{"offset": 25000, "after": [9007199254740993, -9223372036854775808, -1.7976931348623157e+308, 0]}',
    )
    expect(decodePageToken(token)).toBe(25_000)
    expect(historyPositionFromPageToken(token)).toEqual({ offset: 25_000, after: [...cursor] })
    const large = pageTokenFromHistoryPosition(3, [1, 2, 1e21, 1])!
    expect(historyPositionFromPageToken(large)).toEqual({ offset: 3, after: [1, 2, 1e21, 1] })
  })

  it('keep MLflow’s offset-only tokens without a position', () => {
    expect(pageTokenFromHistoryPosition(100, undefined)).toBe('eyJvZmZzZXQiOiAxMDB9')
    expect(pageTokenFromHistoryPosition(undefined, [1, 2, 3, 0])).toBeUndefined()
    expect(historyPositionFromPageToken('eyJvZmZzZXQiOiAxMDB9')).toEqual({ offset: 100 })
    expect(historyPositionFromPageToken(undefined)).toEqual({ offset: 0 })
  })

  it('reject a malformed position as an invalid parameter', () => {
    const token = btoa('{"offset": 5, "after": [1, 2, 3]}')
    expect(() => historyPositionFromPageToken(token)).toThrow(MlflowError)
    expect(() => historyPositionFromPageToken(token)).toThrow(
      'Invalid page token, bad metric history position [1,2,3]',
    )
  })
})
