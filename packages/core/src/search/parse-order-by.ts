import { invalidParameter } from '../errors.js'
import type { OrderBy } from './ast.js'
import { tokenize } from './lexer.js'
import { MAX_SEARCH_FILTER_LENGTH } from './parse-search-filter.js'
import { pythonList } from './python-literals.js'
import { rulesFor, type SearchTarget } from './search-target.js'
import { TokenCursor } from './token-cursor.js'

/**
 * Parses the `order_by` items of a search request: each is `<identifier> [ASC|DESC]`, with the
 * identifiers of the filter grammar (quoted keys, entity prefixes, aliases). Valid keys per target:
 * - runs: `metrics.*`, `params.*`, `tags.*` and the run attributes (`created` → `start_time`);
 * - experiments: `name`, `experiment_id`, `creation_time`, `last_update_time`;
 * - registered models: `name`, `timestamp`, `last_updated_timestamp` (both timestamps are
 *   `last_updated_timestamp`, as MLflow sorts both by the last update);
 * - model versions: `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp`.
 *
 * No default ordering or tie-break is added: that is the store's job.
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` for an unparsable item, an unknown key, or (runs and
 *   the registry, as MLflow) a field named twice.
 *
 * @example
 * parseOrderBy(['metrics.`val loss` ASC', 'created DESC'], 'runs')
 * // [{ entity: 'metric', key: 'val loss', ascending: true },
 * //  { entity: 'attribute', key: 'start_time', ascending: false }]
 */
export function parseOrderBy(orderBy: string[] | undefined, target: SearchTarget): OrderBy[] {
  const rules = rulesFor(target)
  const parsed: OrderBy[] = []
  const seen = new Set<string>()
  for (const clause of orderBy ?? []) {
    const item = parseOrderByItem(clause, target)
    const field = `${item.entity}\u0000${item.key}`
    if (rules.rejectsDuplicateOrderBy && seen.has(field)) {
      throw invalidParameter(`\`order_by\` contains duplicate fields: ${pythonList(orderBy ?? [])}`)
    }
    seen.add(field)
    parsed.push(item)
  }
  return parsed
}

function parseOrderByItem(clause: string, target: SearchTarget): OrderBy {
  const unparsable = () => invalidParameter(`Invalid order_by clause '${clause}'. Could not be parsed.`)
  if (clause.length > MAX_SEARCH_FILTER_LENGTH || clause.trim() === '') throw unparsable()
  const lexed = tokenize(clause)
  if (!lexed.ok) throw unparsable()
  const cursor = new TokenCursor(lexed.tokens, () => {
    throw unparsable()
  })
  const identifier = cursor.readIdentifier(clause)
  let ascending = true
  const direction = cursor.next()
  if (direction.kind === 'word') {
    const word = direction.text.toLowerCase()
    if (word !== 'asc' && word !== 'desc') {
      throw invalidParameter(`Invalid ordering key in order_by clause '${clause}'.`)
    }
    ascending = word === 'asc'
    if (cursor.next().kind !== 'end') throw unparsable()
  } else if (direction.kind !== 'end') {
    throw unparsable()
  }
  const field = rulesFor(target).resolveOrderBy(identifier)
  return { ...field, ascending }
}
