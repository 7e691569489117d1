import { describe, expect, it } from 'vitest'
import {
  applySuggestion,
  filterIdentifiers,
  filterProblem,
  identifierFor,
  suggest,
  tokenAt,
} from './filter-autocomplete.js'

describe('filter completion', () => {
  const identifiers = filterIdentifiers({ metrics: ['acc', 'val loss'], params: ['lr'], tags: ['team'] })

  it('backquotes keys the grammar cannot take bare', () => {
    expect(identifierFor('metrics', 'acc')).toBe('metrics.acc')
    expect(identifierFor('metrics', 'val loss')).toBe('metrics.`val loss`')
    expect(identifiers).toContain('attributes.status')
  })

  it('completes the word at the cursor, prefix matches first', () => {
    expect(tokenAt('metrics.acc > 1 and par', 23)).toEqual({ start: 20, word: 'par' })
    expect(suggest(identifiers, 'par')).toEqual(['params.lr'])
    expect(suggest(identifiers, 'loss')).toEqual(['metrics.`val loss`'])
    expect(suggest(identifiers, "'quoted")).toEqual([])
    expect(applySuggestion('metrics.ac > 1', 10, 'metrics.acc')).toEqual({
      text: 'metrics.acc > 1',
      cursor: 12,
    })
  })

  it("answers the grammar's own message for a bad filter", () => {
    expect(filterProblem("metrics.acc > 0.5 and params.lr = '0.1'")).toBeUndefined()
    expect(filterProblem('metrics.acc >')).toMatch(/Invalid/)
    expect(filterProblem('foo.bar = 1')).toMatch(/Invalid/)
  })
})
