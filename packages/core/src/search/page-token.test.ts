import { describe, expect, it } from 'vitest'
import { MlflowError } from '../errors.js'
import { decodePageToken, encodePageToken } from './page-token.js'

function messageOf(token: string): string {
  try {
    decodePageToken(token)
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowError)
    expect((error as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
    return (error as MlflowError).message
  }
  throw new Error(`Expected the page token ${token} to be rejected`)
}

describe('encodePageToken', () => {
  it('produces the bytes MLflow produces: base64 of {"offset": N}', () => {
    // base64.b64encode(json.dumps({"offset": 100}).encode("utf-8")) in MLflow
    expect(encodePageToken(100)).toBe('eyJvZmZzZXQiOiAxMDB9')
    expect(atob(encodePageToken(1000))).toBe('{"offset": 1000}')
  })

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses the offset %d', (offset) => {
    expect(() => encodePageToken(offset)).toThrow(RangeError)
  })
})

describe('decodePageToken', () => {
  it.each([undefined, ''])('reads %j as offset 0', (token) => {
    expect(decodePageToken(token)).toBe(0)
  })

  it.each([1, 7, 1000, 123_456_789, Number.MAX_SAFE_INTEGER])('round-trips the offset %d', (offset) => {
    expect(decodePageToken(encodePageToken(offset))).toBe(offset)
  })

  it('reads tokens written by MLflow, including a string offset', () => {
    expect(decodePageToken('eyJvZmZzZXQiOiAxMDAwfQ==')).toBe(1000)
    expect(decodePageToken(btoa('{"offset": "25"}'))).toBe(25)
  })

  it.each(['%%%%', 'abc', 'eyJvZmZzZXQiOiAxMDB9=', 'eyJvZmZzZXQiOiAx MDB9', 'eyJv-ZmZ_'])(
    'rejects %j as not base64',
    (token) => {
      expect(messageOf(token)).toBe('Invalid page token, could not base64-decode')
    },
  )

  it('rejects a token that is not JSON, quoting the bytes as MLflow does', () => {
    expect(messageOf(btoa('garbage'))).toBe("Invalid page token, decoded value=b'garbage'")
    expect(messageOf(btoa("it's\n\u00ff"))).toBe('Invalid page token, decoded value=b"it\'s\\n\\xff"')
  })

  it.each(['{"x": 1}', '{"offset": 0}', '{"offset": null}', '{"offset": ""}', '[1]', '7', 'null'])(
    'rejects the JSON %s without a usable offset',
    (json) => {
      expect(messageOf(btoa(json))).toBe(
        `Invalid page token, parsed value=${JSON.stringify(JSON.parse(json))}`,
      )
    },
  )

  it.each([
    ['{"offset": "x"}', 'x'],
    ['{"offset": -5}', '-5'],
    ['{"offset": 1.5}', '1.5'],
    ['{"offset": true}', 'true'],
    ['{"offset": 1e300}', '1e+300'],
  ])('rejects the offset in %s', (json, shown) => {
    expect(messageOf(btoa(json))).toBe(`Invalid page token, not stringable ${shown}`)
  })
})
