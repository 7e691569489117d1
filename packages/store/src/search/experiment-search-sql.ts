import type { Comparison } from '@cairn/core'
import { type RawBuilder, sql } from 'kysely'
import type { SqlDatabase } from '../dialect/dialect.js'
import type { ExperimentRow } from '../run-rows.js'
import { invalidFilter } from '../store-errors.js'
import type { SearchExperimentsInput } from '../tracking-store.js'
import { compileBoolean, numericPredicate, stringPredicate } from './filter-sql.js'

const STRING_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const
const NUMERIC_ATTRIBUTES: Record<string, string> = {
  creation_time: 'e.creation_time',
  last_update_time: 'e.last_update_time',
  experiment_id: 'e.experiment_id',
}
const ORDER_ATTRIBUTES: Record<string, string> = {
  name: 'e.name',
  experiment_id: 'e.experiment_id',
  creation_time: 'e.creation_time',
  last_update_time: 'e.last_update_time',
}
const DEFAULT_ORDER = [
  { entity: 'attribute', key: 'creation_time', ascending: false },
  { entity: 'attribute', key: 'experiment_id', ascending: true },
] as const

/**
 * One page of experiments plus one row to tell whether another page exists. Default order
 * `creation_time DESC, experiment_id ASC`; `experiment_id DESC` breaks ties when not named (as MLflow).
 */
export function buildSearchExperimentsQuery(
  db: SqlDatabase,
  input: SearchExperimentsInput,
): RawBuilder<ExperimentRow> {
  const where: RawBuilder<boolean>[] = []
  if (input.viewType === 'ACTIVE_ONLY') where.push(sql<boolean>`e.lifecycle_stage = 'active'`)
  else if (input.viewType === 'DELETED_ONLY') where.push(sql<boolean>`e.lifecycle_stage = 'deleted'`)
  if (input.filter)
    where.push(compileBoolean(input.filter, (comparison) => experimentPredicate(db, comparison)))

  const order: RawBuilder<unknown>[] = []
  const orderBy = input.orderBy.length > 0 ? input.orderBy : DEFAULT_ORDER
  let hasId = false
  for (const item of orderBy) {
    const column = item.entity === 'attribute' ? ORDER_ATTRIBUTES[item.key] : undefined
    if (!column) throw invalidFilter(`Invalid order_by entity: ${item.entity}.${item.key}`)
    if (item.key === 'experiment_id') hasId = true
    order.push(sql`${sql.ref(column)} ${sql.raw(item.ascending ? 'ASC' : 'DESC')}`)
  }
  if (!hasId) order.push(sql`e.experiment_id DESC`)

  return sql<ExperimentRow>`SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage,
      e.creation_time, e.last_update_time
    FROM experiments e
    ${where.length > 0 ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
    ORDER BY ${sql.join(order)}
    LIMIT ${input.maxResults + 1} OFFSET ${input.offset}`
}

function experimentPredicate(db: SqlDatabase, comparison: Comparison): RawBuilder<boolean> {
  if (comparison.entity === 'attribute') {
    if (comparison.key === 'name')
      return stringPredicate(db, sql.ref('e.name'), comparison, STRING_COMPARATORS)
    const column = NUMERIC_ATTRIBUTES[comparison.key]
    if (column) return numericPredicate(sql.ref(column), comparison)
    throw invalidFilter(`Invalid attribute key '${comparison.key}' specified.`)
  }
  if (comparison.entity === 'tag') {
    const base = sql`SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = ${comparison.key}`
    if (comparison.comparator === 'IS NULL') return sql<boolean>`NOT EXISTS (${base})`
    if (comparison.comparator === 'IS NOT NULL') return sql<boolean>`EXISTS (${base})`
    return sql<boolean>`EXISTS (${base} AND ${stringPredicate(db, sql.ref('t.value'), comparison, STRING_COMPARATORS)})`
  }
  throw invalidFilter(`Invalid token type: ${comparison.entity}`)
}
