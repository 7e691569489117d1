import { invalidParameter } from '@cairn/core'
import type { LoggedModelComparison } from './registry-store.js'

const ATTRIBUTE_ALIASES: Record<string, string> = {
  creation_timestamp: 'creation_timestamp_ms',
  creation_time: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
  last_updated_time: 'last_updated_timestamp_ms',
}
/** Logged-model columns a filter or order_by may name, and whether they are numeric. */
export const LOGGED_MODEL_ATTRIBUTES: Record<string, { column: string; numeric: boolean }> = {
  model_id: { column: 'lm.model_id', numeric: false },
  experiment_id: { column: 'lm.experiment_id', numeric: true },
  name: { column: 'lm.name', numeric: false },
  artifact_location: { column: 'lm.artifact_location', numeric: false },
  creation_timestamp_ms: { column: 'lm.creation_timestamp_ms', numeric: true },
  last_updated_timestamp_ms: { column: 'lm.last_updated_timestamp_ms', numeric: true },
  status: { column: 'lm.status', numeric: true },
  model_type: { column: 'lm.model_type', numeric: false },
  source_run_id: { column: 'lm.source_run_id', numeric: false },
  status_message: { column: 'lm.status_message', numeric: false },
}
const ENTITY_TYPES: Record<string, LoggedModelComparison['entity']> = {
  attributes: 'attribute',
  metrics: 'metric',
  params: 'param',
  tags: 'tag',
}
const NUMERIC_OPS = ['<', '<=', '>', '>=', '=', '!='] as const
const STRING_OPS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const

/** The canonical attribute name (`creation_time` → `creation_timestamp_ms`). */
export function loggedModelAttribute(name: string): string {
  return (Object.hasOwn(ATTRIBUTE_ALIASES, name) && ATTRIBUTE_ALIASES[name]) || name
}

type Token = { kind: 'word' | 'op' | 'string' | 'number' | 'list'; text: string; items?: string[] }

const TOKEN =
  /\s*(?:(`[^`]*`|[A-Za-z_]\w*(?:\.(?:`[^`]*`|\w+))*)|(<=|>=|!=|<>|=|<|>)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(\((?:[^()'"]|'[^']*'|"[^"]*")*\)))/y

function tokenize(filter: string): Token[] {
  const tokens: Token[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < filter.length) {
    if (/^\s*$/.test(filter.slice(TOKEN.lastIndex))) break
    const start = TOKEN.lastIndex
    const match = TOKEN.exec(filter)
    if (!match) {
      throw invalidParameter(
        `Invalid filter string: '${filter}'. Unexpected text at position ${start}: '${filter.slice(start, start + 20)}'`,
      )
    }
    if (match[1] !== undefined) tokens.push({ kind: 'word', text: match[1] })
    else if (match[2] !== undefined) tokens.push({ kind: 'op', text: match[2] })
    else if (match[3] !== undefined) tokens.push({ kind: 'string', text: unquote(match[3]) })
    else if (match[4] !== undefined) tokens.push({ kind: 'number', text: match[4] })
    else if (match[5] !== undefined) {
      const inner = match[5].slice(1, -1)
      const items = [...inner.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map(
        (item) => item[1] ?? item[2] ?? '',
      )
      tokens.push({ kind: 'list', text: match[5], items })
    }
  }
  return tokens
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, '$1')
}

/**
 * Parses a logged-model search filter (MLflow's `search_logged_model_utils` grammar): comparisons
 * `<entity>.<key> <op> <value>` joined by AND, entities `attributes` (default), `metrics`, `params`,
 * `tags`; metrics and numeric attributes take `< <= > >= = !=`, the rest `= != LIKE ILIKE IN NOT IN`.
 */
export function parseLoggedModelFilter(filter: string | undefined): LoggedModelComparison[] {
  if (!filter || filter.trim() === '') return []
  const tokens = tokenize(filter)
  const comparisons: LoggedModelComparison[] = []
  let index = 0
  const fail = (): never => {
    throw invalidParameter(
      `Invalid filter string: '${filter}'. Expected a list of comparisons separated by 'AND' ` +
        "(e.g. 'metrics.loss > 0.1 AND params.lr = 0.01').",
    )
  }
  while (index < tokens.length) {
    const identifier = tokens[index++]
    if (identifier?.kind !== 'word') return fail()
    let operator = tokens[index++]
    if (!operator) return fail()
    let op = operator.text.toUpperCase()
    if (operator.kind === 'word' && op === 'NOT') {
      operator = tokens[index++]
      if (operator?.text.toUpperCase() !== 'IN') return fail()
      op = 'NOT IN'
    } else if (operator.kind === 'word' && !['LIKE', 'ILIKE', 'IN'].includes(op)) return fail()
    const value = tokens[index++]
    if (!value || value.kind === 'op' || value.kind === 'word') return fail()

    const { entity, key } = parseIdentifier(identifier.text)
    const attribute = Object.hasOwn(LOGGED_MODEL_ATTRIBUTES, key) ? LOGGED_MODEL_ATTRIBUTES[key] : undefined
    const numeric = entity === 'metric' || (entity === 'attribute' && attribute?.numeric === true)
    if (entity === 'attribute' && !attribute) {
      throw invalidParameter(`Invalid attribute key '${key}' specified for logged models.`)
    }
    const allowed: readonly string[] = numeric ? NUMERIC_OPS : STRING_OPS
    if (!allowed.includes(op)) {
      const shown = `${entity === 'attribute' ? 'attributes' : `${entity}s`}.${key}`
      throw invalidParameter(
        `Invalid comparison operator for ${shown}: '${op}'. Expected one of (${allowed.map((item) => `'${item}'`).join(', ')}).`,
      )
    }
    let parsed: LoggedModelComparison['value']
    if (numeric) {
      const number = Number(value.text)
      if (value.kind === 'list' || Number.isNaN(number)) {
        throw invalidParameter(`Invalid numeric value for ${identifier.text}: ${value.text}`)
      }
      parsed = number
    } else if (op === 'IN' || op === 'NOT IN') {
      if (value.kind !== 'list') return fail()
      parsed = value.items ?? []
    } else {
      if (value.kind === 'list') return fail()
      parsed = value.text
    }
    comparisons.push({
      entity,
      key,
      comparator: op as LoggedModelComparison['comparator'],
      value: parsed,
    })
    const next = tokens[index]
    if (next === undefined) break
    if (next.kind !== 'word' || next.text.toUpperCase() !== 'AND') return fail()
    index++
    if (index >= tokens.length) return fail()
  }
  return comparisons
}

function parseIdentifier(text: string): { entity: LoggedModelComparison['entity']; key: string } {
  const match = /^([a-z]+)\.(.+)$/.exec(text)
  if (match && !text.startsWith('`')) {
    const entity = ENTITY_TYPES[match[1]!]
    if (!entity) {
      throw invalidParameter(
        `Invalid entity type: '${match[1]}'. Expected one of ['attributes', 'metrics', 'params', 'tags'].`,
      )
    }
    const key = match[2]!.replace(/^`|`$/g, '')
    return { entity, key: entity === 'attribute' ? loggedModelAttribute(key) : key }
  }
  return { entity: 'attribute', key: loggedModelAttribute(text.replace(/^`|`$/g, '')) }
}
