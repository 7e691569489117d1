import type { Comparison, FilterExpression, OrderBy } from '@cairn/core'
import { STAGE_DELETED_INTERNAL, TAG_IS_PROMPT } from '@cairn/core'
import { type RawBuilder, sql } from 'kysely'
import type { SqlDatabase } from '../dialect/dialect.js'
import { compileBoolean, conjuncts, numericPredicate, stringPredicate } from '../search/filter-sql.js'
import { invalidFilter } from '../store-errors.js'
import type { SearchRegistryInput } from './registry-store.js'

const NAME_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const
const TAG_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE'] as const

const VERSION_STRING_COLUMNS: Record<string, string> = {
  name: 'mv.name',
  run_id: 'mv.run_id',
  source_path: 'mv.source',
}
const VERSION_NUMERIC_COLUMNS: Record<string, string> = {
  version_number: 'mv.version',
  creation_timestamp: 'mv.creation_time',
  last_updated_timestamp: 'mv.last_updated_time',
}
const VERSION_ORDER_COLUMNS: Record<string, string> = {
  name: 'mv.name',
  version_number: 'mv.version',
  creation_timestamp: 'mv.creation_time',
  last_updated_timestamp: 'mv.last_updated_time',
}
const DEFAULT_VERSION_ORDER: OrderBy[] = [
  { entity: 'attribute', key: 'last_updated_timestamp', ascending: false },
  { entity: 'attribute', key: 'name', ascending: true },
  { entity: 'attribute', key: 'version_number', ascending: false },
]

/**
 * MLflow's prompt rule: a search returns prompts only when a top-level condition asks for
 * `tags.mlflow.prompt.is_prompt = 'true'` (or `!= 'false'`); otherwise conditions on that tag are
 * dropped and every model with the tag set to 'true' is excluded.
 */
export function splitPromptFilter(filter: FilterExpression | undefined): {
  filter: FilterExpression | undefined
  includePrompts: boolean
} {
  if (!filter) return { filter, includePrompts: false }
  const parts = conjuncts(filter)
  const isPromptTag = (part: FilterExpression): part is Comparison =>
    part.kind === 'comparison' && part.entity === 'tag' && part.key === TAG_IS_PROMPT
  const first = parts.find(isPromptTag)
  if (first) {
    const value = typeof first.value === 'string' ? first.value.toLowerCase() : ''
    const querying =
      (first.comparator === '=' && value === 'true') || (first.comparator === '!=' && value === 'false')
    if (querying) return { filter, includePrompts: true }
  }
  const rest = parts.filter((part) => !isPromptTag(part))
  if (rest.length === 0) return { filter: undefined, includePrompts: false }
  return { filter: rest.length === 1 ? rest[0] : { kind: 'and', operands: rest }, includePrompts: false }
}

function tagExists(
  db: SqlDatabase,
  table: RawBuilder<unknown>,
  join: RawBuilder<unknown>,
  comparison: Comparison,
): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM ${table} t WHERE ${join} AND t.key = ${comparison.key}
    AND ${stringPredicate(db, sql.ref('t.value'), comparison, TAG_COMPARATORS)})`
}

function registeredModelPredicate(db: SqlDatabase, comparison: Comparison): RawBuilder<boolean> {
  if (comparison.entity === 'attribute') {
    if (comparison.key !== 'name') throw invalidFilter(`Invalid attribute name: ${comparison.key}`)
    return stringPredicate(db, sql.ref('rm.name'), comparison, NAME_COMPARATORS)
  }
  if (comparison.entity === 'tag') {
    if (!(TAG_COMPARATORS as readonly string[]).includes(comparison.comparator))
      throw invalidFilter(`Invalid comparator for tag: ${comparison.comparator}`)
    return tagExists(db, sql`registered_model_tags`, sql`t.name = rm.name`, comparison)
  }
  throw invalidFilter(`Invalid token type: ${comparison.entity}`)
}

function modelVersionPredicate(db: SqlDatabase, comparison: Comparison): RawBuilder<boolean> {
  if (comparison.entity === 'attribute') {
    const numeric = VERSION_NUMERIC_COLUMNS[comparison.key]
    if (numeric) return numericPredicate(sql.ref(numeric), comparison)
    const column = VERSION_STRING_COLUMNS[comparison.key]
    if (!column) throw invalidFilter(`Invalid attribute name: ${comparison.key}`)
    return stringPredicate(db, sql.ref(column), comparison, NAME_COMPARATORS)
  }
  if (comparison.entity === 'tag') {
    if (!(TAG_COMPARATORS as readonly string[]).includes(comparison.comparator))
      throw invalidFilter(`Invalid comparator for tag: ${comparison.comparator}`)
    return tagExists(
      db,
      sql`model_version_tags`,
      sql`t.name = mv.name AND t.version = mv.version`,
      comparison,
    )
  }
  throw invalidFilter(`Invalid token type: ${comparison.entity}`)
}

function direction(ascending: boolean): RawBuilder<unknown> {
  return sql.raw(ascending ? 'ASC' : 'DESC')
}

/** Names of one page of registered models (plus one row telling whether another page exists). */
export function buildSearchRegisteredModelsQuery<TRow = { name: string }>(
  db: SqlDatabase,
  input: SearchRegistryInput,
  columns: RawBuilder<unknown> = sql`rm.name`,
): RawBuilder<TRow> {
  const { filter, includePrompts } = splitPromptFilter(input.filter)
  const where: RawBuilder<boolean>[] = []
  if (filter) where.push(compileBoolean(filter, (comparison) => registeredModelPredicate(db, comparison)))
  if (!includePrompts) {
    where.push(sql<boolean>`NOT EXISTS (SELECT 1 FROM registered_model_tags p
      WHERE p.name = rm.name AND p.key = ${TAG_IS_PROMPT} AND p.value = 'true')`)
  }
  const order: RawBuilder<unknown>[] = []
  let hasName = false
  for (const item of input.orderBy) {
    if (item.key === 'name') hasName = true
    const column = item.key === 'name' ? 'rm.name' : 'rm.last_updated_time'
    order.push(sql`${sql.ref(column)} ${direction(item.ascending)}`)
  }
  if (!hasName) order.push(sql`rm.name ASC`)
  return sql<TRow>`SELECT ${columns} FROM registered_models rm
    ${where.length > 0 ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
    ORDER BY ${sql.join(order)}
    LIMIT ${input.maxResults + 1} OFFSET ${input.offset}`
}

/** Keys of one page of live model versions (plus one row telling whether another page exists). */
export function buildSearchModelVersionsQuery(
  db: SqlDatabase,
  input: SearchRegistryInput,
): RawBuilder<{ name: string; version: number }> {
  const { filter, includePrompts } = splitPromptFilter(input.filter)
  const where: RawBuilder<boolean>[] = [sql<boolean>`mv.current_stage <> ${STAGE_DELETED_INTERNAL}`]
  if (filter) where.push(compileBoolean(filter, (comparison) => modelVersionPredicate(db, comparison)))
  if (!includePrompts) {
    where.push(sql<boolean>`NOT EXISTS (SELECT 1 FROM model_version_tags p
      WHERE p.name = mv.name AND p.key = ${TAG_IS_PROMPT} AND p.value = 'true')`)
  }
  const orderBy = input.orderBy.length > 0 ? input.orderBy : DEFAULT_VERSION_ORDER
  const order: RawBuilder<unknown>[] = []
  const seen = new Set<string>()
  for (const item of orderBy) {
    const column = VERSION_ORDER_COLUMNS[item.key]
    if (!column) throw invalidFilter(`Invalid order by key '${item.key}' specified.`)
    seen.add(item.key)
    order.push(sql`${sql.ref(column)} ${direction(item.ascending)}`)
  }
  if (!seen.has('name')) order.push(sql`mv.name ASC`)
  if (!seen.has('version_number')) order.push(sql`mv.version DESC`)
  return sql<{ name: string; version: number }>`SELECT mv.name, mv.version FROM model_versions mv
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ${sql.join(order)}
    LIMIT ${input.maxResults + 1} OFFSET ${input.offset}`
}
