/**
 * The tokenizer shared by the filter and order_by parsers. It splits a search string into
 * words, numbers, quoted strings, operators and punctuation, and never interprets them:
 * what a token means depends on where the parser meets it.
 */

export type TokenKind =
  | 'word'
  | 'number'
  | 'single-quoted'
  | 'double-quoted'
  | 'backtick-quoted'
  | 'operator'
  | 'left-paren'
  | 'right-paren'
  | 'comma'
  | 'dot'
  | 'end'

export interface Token {
  kind: TokenKind
  /** The token as written, quotes included. */
  text: string
  /** For quoted tokens the text between the outer quotes, kept verbatim (MLflow strips only the outer quotes). */
  inner: string
  /** Offset of the first character in the input. */
  start: number
  /** Whether whitespace separates this token from the previous one. */
  spaceBefore: boolean
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; message: string; position: number }

const FAIL = -1

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u
const WHITESPACE = /\s/u

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR.test(char)
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9'
}

/**
 * Where each quoted string that opens just before position `p` ends, for every `p`, computed in one
 * right-to-left pass. This reproduces the backtracking match of MLflow's SQL lexer
 * (`'(''|\\'|[^'])*'`): a doubled quote and a backslash-escaped quote stay inside the string, unless
 * the string would then never close, in which case the match falls back to the last quote that works.
 * The result depends only on the position, so one table serves every string in the input.
 */
function quoteEnds(text: string, quote: string, backslashEscapes: boolean): Int32Array {
  const n = text.length
  const ends = new Int32Array(n + 2).fill(FAIL)
  for (let p = n - 1; p >= 0; p--) {
    const char = text[p]
    const next = text[p + 1]
    if (char === quote) {
      ends[p] = next === quote && ends[p + 2] !== FAIL ? (ends[p + 2] as number) : p
    } else if (backslashEscapes && char === '\\' && next === quote) {
      ends[p] = ends[p + 2] !== FAIL ? (ends[p + 2] as number) : (ends[p + 1] as number)
    } else {
      ends[p] = ends[p + 1] as number
    }
  }
  return ends
}

const QUOTE_KINDS: Record<string, { kind: TokenKind; backslashEscapes: boolean; name: string }> = {
  "'": { kind: 'single-quoted', backslashEscapes: true, name: 'string' },
  '"': { kind: 'double-quoted', backslashEscapes: true, name: 'double-quoted string' },
  '`': { kind: 'backtick-quoted', backslashEscapes: false, name: 'backtick-quoted name' },
}

const TWO_CHAR_OPERATORS = new Set(['==', '!=', '<>', '<=', '>='])
const ONE_CHAR_OPERATORS = new Set(['=', '<', '>'])
const PUNCTUATION: Record<string, TokenKind> = { '(': 'left-paren', ')': 'right-paren', ',': 'comma' }

/** Splits `text` into tokens; the last token is always `end`. Runs in linear time. */
export function tokenize(text: string): TokenizeResult {
  const tokens: Token[] = []
  const quoteTables = new Map<string, Int32Array>()
  let i = 0
  let spaceBefore = false

  const push = (kind: TokenKind, start: number, end: number, inner = '') => {
    tokens.push({ kind, text: text.slice(start, end), inner, start, spaceBefore })
    spaceBefore = false
  }

  while (i < text.length) {
    const char = text[i] as string
    const next = text[i + 1]
    const start = i

    if (WHITESPACE.test(char)) {
      spaceBefore = true
      i++
      continue
    }

    const quote = QUOTE_KINDS[char]
    if (quote) {
      let table = quoteTables.get(char)
      if (!table) {
        table = quoteEnds(text, char, quote.backslashEscapes)
        quoteTables.set(char, table)
      }
      const end = table[i + 1] as number
      if (end === FAIL) return { ok: false, message: `unterminated ${quote.name}`, position: start }
      push(quote.kind, start, end + 1, text.slice(start + 1, end))
      i = end + 1
      continue
    }

    const punctuation = PUNCTUATION[char]
    if (punctuation) {
      push(punctuation, start, start + 1)
      i++
      continue
    }

    if (next !== undefined && TWO_CHAR_OPERATORS.has(char + next)) {
      push('operator', start, start + 2)
      i += 2
      continue
    }
    if (ONE_CHAR_OPERATORS.has(char)) {
      push('operator', start, start + 1)
      i++
      continue
    }

    const previous = tokens[tokens.length - 1]
    const followsName =
      previous !== undefined &&
      !spaceBefore &&
      (previous.kind === 'word' || previous.kind.endsWith('-quoted'))
    const startsNumber =
      isDigit(char) ||
      (char === '.' && isDigit(next) && !followsName) ||
      (char === '-' && (isDigit(next) || (next === '.' && isDigit(text[i + 2]))))

    if (startsNumber) {
      const end = scanNumber(text, i)
      if (!isWordChar(text[end])) {
        push('number', start, end)
        i = end
        continue
      }
      let wordEnd = i
      while (isWordChar(text[wordEnd])) wordEnd++
      // `1abc` or `1_000` is one name to MLflow's lexer, not a number followed by a name.
      if (wordEnd < end) {
        return { ok: false, message: `invalid number '${text.slice(i, end + 1)}'`, position: start }
      }
      push('word', start, wordEnd)
      i = wordEnd
      continue
    }

    if (char === '.') {
      push('dot', start, start + 1)
      i++
      continue
    }

    if (isWordChar(char)) {
      let end = i + 1
      while (isWordChar(text[end])) end++
      push('word', start, end)
      i = end
      continue
    }

    return { ok: false, message: `unexpected character '${char}'`, position: start }
  }

  tokens.push({ kind: 'end', text: '', inner: '', start: text.length, spaceBefore })
  return { ok: true, tokens }
}

/** Scans `-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?` from `start`; returns the end offset. */
function scanNumber(text: string, start: number): number {
  let i = start
  if (text[i] === '-') i++
  while (isDigit(text[i])) i++
  if (text[i] === '.') {
    i++
    while (isDigit(text[i])) i++
  }
  if (text[i] === 'e' || text[i] === 'E') {
    let j = i + 1
    if (text[j] === '+' || text[j] === '-') j++
    if (isDigit(text[j])) {
      while (isDigit(text[j])) j++
      i = j
    }
  }
  return i
}
