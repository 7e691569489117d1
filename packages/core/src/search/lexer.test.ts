import { describe, expect, it } from 'vitest'
import { type Token, tokenize } from './lexer.js'

function tokens(text: string): Pick<Token, 'kind' | 'text'>[] {
  const result = tokenize(text)
  if (!result.ok) throw new Error(`${result.message} at ${result.position}`)
  return result.tokens.map(({ kind, text }) => ({ kind, text }))
}

function kinds(text: string): string[] {
  return tokens(text).map((token) => token.kind)
}

describe('tokenize', () => {
  it('splits a comparison into key parts, operator and value', () => {
    expect(tokens("metrics.`a b` >= -1.5e3 AND tags.t != 'x'")).toEqual([
      { kind: 'word', text: 'metrics' },
      { kind: 'dot', text: '.' },
      { kind: 'backtick-quoted', text: '`a b`' },
      { kind: 'operator', text: '>=' },
      { kind: 'number', text: '-1.5e3' },
      { kind: 'word', text: 'AND' },
      { kind: 'word', text: 'tags' },
      { kind: 'dot', text: '.' },
      { kind: 'word', text: 't' },
      { kind: 'operator', text: '!=' },
      { kind: 'single-quoted', text: "'x'" },
      { kind: 'end', text: '' },
    ])
  })

  it.each(['=', '==', '!=', '<>', '<', '<=', '>', '>='])('reads the operator %s as one token', (operator) => {
    expect(tokens(`a${operator}1`)[1]).toEqual({ kind: 'operator', text: operator })
  })

  it('records whether whitespace precedes a token', () => {
    const result = tokenize("a.b = 'x'")
    expect(result.ok && result.tokens.map((token) => token.spaceBefore)).toEqual([
      false,
      false,
      false,
      true,
      true,
      false,
    ])
  })

  it('keeps the raw text between quotes', () => {
    const result = tokenize(`'it''s' "a\\"b" \`c\`\`d\``)
    expect(result.ok && result.tokens.map((token) => token.inner)).toEqual(["it''s", 'a\\"b', 'c``d', ''])
  })

  it('closes a string on the last quote that works when an escaped quote would leave it open', () => {
    expect(tokens("'C:\\dir\\' x")).toEqual([
      { kind: 'single-quoted', text: "'C:\\dir\\'" },
      { kind: 'word', text: 'x' },
      { kind: 'end', text: '' },
    ])
    expect(tokens("'ab'''")).toEqual([
      { kind: 'single-quoted', text: "'ab'''" },
      { kind: 'end', text: '' },
    ])
    expect(tokenize("'ab''").ok).toBe(false)
  })

  it.each([
    ['1', 'number'],
    ['-2', 'number'],
    ['.5', 'number'],
    ['-.5', 'number'],
    ['1.', 'number'],
    ['1e3', 'number'],
    ['1E-3', 'number'],
    ['1e+3', 'number'],
    ['1abc', 'word'],
    ['1_000', 'word'],
    ['1e', 'word'],
    ['_x', 'word'],
    ['ü1', 'word'],
  ])('reads %s as a %s', (text, kind) => {
    expect(kinds(text)).toEqual([kind, 'end'])
  })

  it('reads a dot right after a name as member access, elsewhere as the start of a number', () => {
    expect(kinds('a.5')).toEqual(['word', 'dot', 'number', 'end'])
    expect(kinds('`a`.b')).toEqual(['backtick-quoted', 'dot', 'word', 'end'])
    expect(kinds('a .5')).toEqual(['word', 'number', 'end'])
    expect(kinds('>.5')).toEqual(['operator', 'number', 'end'])
  })

  it.each([
    ["'abc", 'unterminated string', 0],
    ['x = "abc', 'unterminated double-quoted string', 4],
    ['`abc', 'unterminated backtick-quoted name', 0],
    ['a;', "unexpected character ';'", 1],
    ['a - b', "unexpected character '-'", 2],
    ['a ! b', "unexpected character '!'", 2],
    ['1.5x', "invalid number '1.5x'", 0],
    ['-1a', "invalid number '-1a'", 0],
  ])('reports %j as %s at %d', (text, message, position) => {
    expect(tokenize(text)).toEqual({ ok: false, message, position })
  })

  it('runs in linear time on quote-heavy input', () => {
    const started = performance.now()
    for (const text of ["\\'".repeat(50_000), "'".repeat(100_001), `'${"''\\".repeat(30_000)}`])
      tokenize(text)
    expect(performance.now() - started).toBeLessThan(1000)
  })
})
