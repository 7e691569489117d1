import { describe, expect, it } from 'vitest'
import { decodeRepeatedly } from './percent-decoding.js'

describe('decodeRepeatedly', () => {
  it('decodes nested escapes until the text is stable', () => {
    expect(decodeRepeatedly('%252e%252e/x')).toEqual({ text: '../x', outcome: 'stable' })
    expect(decodeRepeatedly('plain')).toEqual({ text: 'plain', outcome: 'stable' })
  })

  it('reports a malformed escape with the text decoded so far', () => {
    expect(decodeRepeatedly('%2525zz')).toEqual({ text: '%zz', outcome: 'malformed' })
  })

  it('reports text still changing after the last round', () => {
    expect(decodeRepeatedly('%25252e', { maxRounds: 2 })).toEqual({ text: '%2e', outcome: 'exhausted' })
  })

  it('reads + as a space when asked (query strings)', () => {
    expect(decodeRepeatedly('a+b%2Bc', { plusAsSpace: true }).text).toBe('a b c')
    expect(decodeRepeatedly('a+b').text).toBe('a+b')
  })
})
