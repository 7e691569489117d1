import type { Token } from './lexer.js'
import type { RawIdentifier } from './search-target.js'

/** Reports a syntax error at a position in the input; never returns. */
export type SyntaxErrorReporter = (detail: string, position: number) => never

/** Words with a meaning in the grammar; none of them starts a condition. */
const RESERVED_WORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE', 'RLIKE'])

/** A read position over a token list (which always ends with an `end` token). */
export class TokenCursor {
  private index = 0

  constructor(
    private readonly tokens: readonly Token[],
    readonly fail: SyntaxErrorReporter,
  ) {}

  peek(): Token {
    return this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token
  }

  next(): Token {
    const token = this.peek()
    if (token.kind !== 'end') this.index++
    return token
  }

  /** Whether `token` is the keyword `word` (case-insensitive). */
  isKeyword(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text.toUpperCase() === word
  }

  isReserved(token: Token): boolean {
    return token.kind === 'word' && RESERVED_WORDS.has(token.text.toUpperCase())
  }

  /** Whether `token` can begin an identifier. */
  startsIdentifier(token: Token): boolean {
    return (
      (token.kind === 'word' && !this.isReserved(token)) ||
      token.kind === 'backtick-quoted' ||
      token.kind === 'double-quoted'
    )
  }

  /**
   * Reads `[entity.]key`. Parts are bare words or quoted names joined by dots with no space around
   * them; a key of several bare words keeps its dots (`metrics.a.b` is key `a.b`), a key with other
   * characters must be quoted (``tags.`mlflow.runName` ``, `metrics."my metric"`, `tags.'a b'`).
   */
  readIdentifier(source: string): RawIdentifier {
    const first = this.peek()
    if (!this.startsIdentifier(first))
      this.fail(`expected a key but found ${describeToken(first)}`, first.start)
    const parts: Token[] = [this.next()]
    while (this.peek().kind === 'dot' && !this.peek().spaceBefore) {
      const dot = this.next()
      const part = this.peek()
      const isPart =
        part.kind === 'word' ||
        part.kind === 'backtick-quoted' ||
        part.kind === 'double-quoted' ||
        part.kind === 'single-quoted'
      if (!isPart || part.spaceBefore)
        this.fail(`expected a key after '.' but found ${describeToken(part)}`, dot.start)
      parts.push(this.next())
    }
    const last = parts[parts.length - 1] as Token
    const text = source.slice(first.start, last.start + last.text.length)
    const [head, ...rest] = parts as [Token, ...Token[]]
    if (rest.length === 0) return { text, key: nameOf(head) }

    const entity = head.kind === 'backtick-quoted' ? head.inner : head.text
    if (rest.length === 1) return { text, entity, key: nameOf(rest[0] as Token) }
    if (rest.some((part) => part.kind !== 'word')) {
      this.fail(
        `invalid key in ${quoted(text)}; quote a key that contains dots, e.g. tags.\`a.b\``,
        first.start,
      )
    }
    return { text, entity, key: rest.map((part) => part.text).join('.') }
  }
}

function nameOf(token: Token): string {
  return token.kind === 'word' ? token.text : token.inner
}

/** How a token is named in syntax errors. */
export function describeToken(token: Token): string {
  return token.kind === 'end' ? 'the end of the input' : quoted(token.text)
}

/** `'text'`, shortened: syntax errors point at a place, they need not repeat a 100 kB filter. */
export function quoted(text: string): string {
  return text.length > 40 ? `'${text.slice(0, 40)}…'` : `'${text}'`
}
