import { invalidParameter } from '../errors.js'
import type { Comparison, FilterExpression } from './ast.js'
import { type Token, tokenize } from './lexer.js'
import { evaluatePythonStrings } from './python-literals.js'
import {
  type PendingComparison,
  type RawIdentifier,
  type RawValue,
  rulesFor,
  type SearchTarget,
} from './search-target.js'
import { describeToken, quoted, TokenCursor } from './token-cursor.js'

/** Longest filter string accepted, in UTF-16 code units (room for an IN list of ~2,500 run ids). */
export const MAX_SEARCH_FILTER_LENGTH = 100_000

/** Deepest parenthesis nesting accepted in a filter (MLflow itself has no parentheses). */
export const MAX_SEARCH_FILTER_DEPTH = 50

type RawNode = { kind: 'comparison'; index: number } | { kind: 'and' | 'or'; operands: RawNode[] }

interface RawComparison {
  identifier: RawIdentifier
  comparator: string
  value: RawValue
}

const LIST_ERRORS = {
  empty: 'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
  illFormed:
    'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
  otherType: (text: string) =>
    `While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${text}`,
}

/**
 * Parses an MLflow search filter into a {@link FilterExpression} for one search endpoint.
 *
 * The grammar is MLflow's (`mlflow/utils/search_utils.py`): comparisons `<entity>.<key> <op> <value>`
 * joined by `AND`, with the same entity prefixes, attribute aliases, quoting rules, comparators and
 * error messages. Cairn also accepts `OR` and parentheses (AND binds tighter than OR); a filter that
 * MLflow accepts means the same here. A filter of ANDs alone gives one `and` node or a lone comparison.
 *
 * @returns `undefined` when there is nothing to filter on (no filter, or only `AND`s, as MLflow).
 * @throws MlflowError `INVALID_PARAMETER_VALUE` for anything MLflow rejects, and for filters longer than
 *   {@link MAX_SEARCH_FILTER_LENGTH} or nested deeper than {@link MAX_SEARCH_FILTER_DEPTH}.
 *
 * @example
 * parseSearchFilter("metrics.rmse < 1 and tags.`mlflow.runName` LIKE 'lr-%'", 'runs')
 * // { kind: 'and', operands: [
 * //   { kind: 'comparison', entity: 'metric', key: 'rmse', comparator: '<', value: 1 },
 * //   { kind: 'comparison', entity: 'tag', key: 'mlflow.runName', comparator: 'LIKE', value: 'lr-%' } ] }
 */
export function parseSearchFilter(
  filter: string | undefined,
  target: SearchTarget,
): FilterExpression | undefined {
  const rules = rulesFor(target)
  if (filter === undefined || filter === '') return undefined
  if (filter.length > MAX_SEARCH_FILTER_LENGTH) {
    throw invalidParameter(
      `Filter string is too long: ${filter.length} characters, the maximum is ${MAX_SEARCH_FILTER_LENGTH}`,
    )
  }
  if (filter.trim() === '') throw invalidParameter(`Invalid filter ${quoted(filter)}. Could not be parsed.`)

  const fail = (detail: string, position: number): never => {
    throw invalidParameter(`Invalid clause(s) in filter string: ${detail} at position ${position}`)
  }
  const lexed = tokenize(filter)
  if (!lexed.ok) return fail(lexed.message, lexed.position)

  const parser = new FilterParser(new TokenCursor(lexed.tokens, fail), filter)
  const tree = parser.parse()
  if (tree === undefined) return undefined

  // MLflow checks identifiers and value types for every clause while parsing, and comparators only
  // afterwards in the store; keeping that order gives the same error for a filter with several faults.
  const pending = parser.comparisons.map(({ identifier, comparator, value }): PendingComparison => {
    const resolved = rules.resolveIdentifier(identifier)
    const comparison = { ...resolved, comparator, value }
    rules.checkValue(comparison)
    return comparison
  })
  const comparisons = pending.map((comparison) => rules.finish(comparison))
  return build(tree, comparisons)
}

function build(node: RawNode, comparisons: readonly Comparison[]): FilterExpression {
  if (node.kind === 'comparison') return comparisons[node.index] as Comparison
  return { kind: node.kind, operands: node.operands.map((operand) => build(operand, comparisons)) }
}

/** Groups operands under `kind`, lifting same-kind children so that nesting never repeats a kind. */
function group(kind: 'and' | 'or', operands: RawNode[]): RawNode {
  const flat = operands.flatMap((operand) => (operand.kind === kind ? operand.operands : [operand]))
  return flat.length === 1 ? (flat[0] as RawNode) : { kind, operands: flat }
}

/**
 * filter     := disjunction <end>
 * disjunction:= conjunction ( OR conjunction )*
 * conjunction:= ( AND | primary )*            -- stray and missing ANDs are accepted, as MLflow does
 * primary    := '(' disjunction ')' | identifier predicate
 * predicate  := op value | [NOT] (LIKE|ILIKE|RLIKE) value | [NOT] IN list | IS [NOT] NULL
 */
class FilterParser {
  readonly comparisons: RawComparison[] = []
  private depth = 0

  constructor(
    private readonly cursor: TokenCursor,
    private readonly source: string,
  ) {}

  parse(): RawNode | undefined {
    const tree = this.parseDisjunction()
    const rest = this.cursor.peek()
    if (rest.kind !== 'end') this.cursor.fail(`unexpected ${describeToken(rest)}`, rest.start)
    return tree
  }

  private parseDisjunction(): RawNode | undefined {
    const first = this.parseConjunction()
    if (!this.cursor.isKeyword(this.cursor.peek(), 'OR')) return first
    const operands: RawNode[] = []
    let operand = first
    for (;;) {
      const token = this.cursor.peek()
      if (operand === undefined)
        this.cursor.fail(`expected a condition before ${describeToken(token)}`, token.start)
      operands.push(operand)
      if (!this.cursor.isKeyword(token, 'OR')) break
      this.cursor.next()
      operand = this.parseConjunction()
    }
    return group('or', operands)
  }

  private parseConjunction(): RawNode | undefined {
    const operands: RawNode[] = []
    for (;;) {
      const token = this.cursor.peek()
      if (this.cursor.isKeyword(token, 'AND')) this.cursor.next()
      else if (token.kind === 'left-paren' || this.cursor.startsIdentifier(token))
        operands.push(this.parsePrimary())
      else break
    }
    return operands.length === 0 ? undefined : group('and', operands)
  }

  private parsePrimary(): RawNode {
    const open = this.cursor.peek()
    if (open.kind !== 'left-paren') return this.parseComparison()
    if (this.depth >= MAX_SEARCH_FILTER_DEPTH) {
      throw invalidParameter(
        `Filter string nests parentheses too deeply: the maximum depth is ${MAX_SEARCH_FILTER_DEPTH}`,
      )
    }
    this.cursor.next()
    this.depth++
    const inner = this.parseDisjunction()
    const close = this.cursor.peek()
    if (close.kind !== 'right-paren') {
      this.cursor.fail(
        `expected ')' to close the '(' at position ${open.start} but found ${describeToken(close)}`,
        close.start,
      )
    }
    if (inner === undefined) this.cursor.fail('empty parentheses', open.start)
    this.cursor.next()
    this.depth--
    return inner as RawNode
  }

  private parseComparison(): RawNode {
    const identifier = this.cursor.readIdentifier(this.source)
    const token = this.cursor.next()
    const word = token.kind === 'word' ? token.text.toUpperCase() : undefined
    let comparator: string
    let value: RawValue

    if (token.kind === 'operator') {
      comparator = token.text
      value = this.parseValue(token)
    } else if (word === 'LIKE' || word === 'ILIKE' || word === 'RLIKE') {
      comparator = word
      value = this.parseValue(token)
    } else if (word === 'IN') {
      comparator = 'IN'
      value = this.parseList(token)
    } else if (word === 'NOT') {
      const next = this.cursor.next()
      const nextWord = next.kind === 'word' ? next.text.toUpperCase() : undefined
      if (nextWord === 'IN') {
        comparator = 'NOT IN'
        value = this.parseList(next)
      } else if (nextWord === 'LIKE' || nextWord === 'ILIKE' || nextWord === 'RLIKE') {
        comparator = `NOT ${nextWord}`
        value = this.parseValue(next)
      } else {
        return this.cursor.fail(
          `expected IN or LIKE after 'NOT' but found ${describeToken(next)}`,
          next.start,
        )
      }
    } else if (word === 'IS') {
      const next = this.cursor.next()
      if (this.cursor.isKeyword(next, 'NULL')) {
        comparator = 'IS NULL'
      } else if (this.cursor.isKeyword(next, 'NOT')) {
        const last = this.cursor.next()
        if (!this.cursor.isKeyword(last, 'NULL')) {
          return this.cursor.fail(`expected NULL after 'IS NOT' but found ${describeToken(last)}`, last.start)
        }
        comparator = 'IS NOT NULL'
      } else {
        return this.cursor.fail(
          `expected NULL or NOT NULL after 'IS' but found ${describeToken(next)}`,
          next.start,
        )
      }
      value = { kind: 'none', text: '' }
    } else {
      return this.cursor.fail(
        `expected a comparator after ${quoted(identifier.text)} but found ${describeToken(token)}`,
        token.start,
      )
    }

    this.comparisons.push({ identifier, comparator, value })
    return { kind: 'comparison', index: this.comparisons.length - 1 }
  }

  private parseValue(after: Token): RawValue {
    const token = this.cursor.peek()
    switch (token.kind) {
      case 'single-quoted':
      case 'double-quoted':
        this.cursor.next()
        return { kind: 'string', text: token.text, value: token.inner }
      case 'number':
        this.cursor.next()
        return { kind: 'number', text: token.text }
      case 'word':
      case 'backtick-quoted':
        this.cursor.next()
        return { kind: 'bare', text: token.text }
      case 'left-paren':
        return this.parseList(after)
      default:
        return this.cursor.fail(
          `expected a value after '${after.text}' but found ${describeToken(token)}`,
          token.start,
        )
    }
  }

  /** Reads `( 'a', "b", ... )` the way Python's `ast.literal_eval` reads MLflow's IN lists. */
  private parseList(after: Token): RawValue {
    const open = this.cursor.next()
    if (open.kind !== 'left-paren') {
      return this.cursor.fail(
        `expected '(' after '${after.text}' but found ${describeToken(open)}`,
        open.start,
      )
    }
    const items: (string | null)[] = []
    let current: string | null | undefined
    let illFormed = false
    let nesting = 0
    for (;;) {
      const token = this.cursor.next()
      if (token.kind === 'end') {
        return this.cursor.fail(`expected ')' to close the list at position ${open.start}`, token.start)
      }
      if (token.kind === 'right-paren' && nesting === 0) {
        if (current !== undefined) items.push(current)
        const text = this.source.slice(open.start, token.start + 1)
        if (illFormed) return { kind: 'list', text, error: LIST_ERRORS.illFormed }
        if (items.length === 0) return { kind: 'list', text, error: LIST_ERRORS.empty }
        if (items.includes(null)) return { kind: 'list', text, error: LIST_ERRORS.otherType(text) }
        return { kind: 'list', text, items: items as string[] }
      }
      if (token.kind === 'left-paren') nesting++
      else if (token.kind === 'right-paren') nesting--
      if (nesting > 0 || token.kind === 'right-paren') {
        illFormed = true
      } else if (token.kind === 'single-quoted' || token.kind === 'double-quoted') {
        const evaluated = evaluatePythonStrings(token.text)
        if (evaluated === undefined || current === null) illFormed = true
        else current = (current ?? '') + evaluated
      } else if (token.kind === 'number') {
        if (current !== undefined) illFormed = true
        current = null
      } else if (token.kind === 'comma') {
        if (current === undefined) illFormed = true
        else items.push(current)
        current = undefined
      } else {
        illFormed = true
      }
    }
  }
}
