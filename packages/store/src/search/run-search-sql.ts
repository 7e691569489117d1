import { type Comparison, TAG_DATASET_CONTEXT, TAG_RUN_NAME } from '@cairn/core'
import { type RawBuilder, sql } from 'kysely'
import type { SqlDatabase } from '../dialect/dialect.js'
import { RUN_COLUMNS, type RunRow } from '../run-rows.js'
import { invalidFilter } from '../store-errors.js'
import type { SearchRunsInput } from '../tracking-store.js'
import {
  compileBoolean,
  conjuncts,
  metricPredicate,
  numericPredicate,
  stringPredicate,
} from './filter-sql.js'

const STRING_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN', 'IS NULL', 'IS NOT NULL'] as const
const PARAM_TAG_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const

/** Run attributes a filter may name, and the `runs` column behind each (`run_name` is the name tag). */
const STRING_ATTRIBUTES: Record<string, string> = {
  run_id: 'r.run_uuid',
  user_id: 'r.user_id',
  status: 'r.status',
  artifact_uri: 'r.artifact_uri',
  lifecycle_stage: 'r.lifecycle_stage',
}
const NUMERIC_ATTRIBUTES: Record<string, string> = {
  start_time: 'r.start_time',
  end_time: 'r.end_time',
}
/** Attributes `order_by` accepts; `end_time` is the only one that may be missing. */
const ORDER_ATTRIBUTES: Record<string, string> = {
  run_id: 'r.run_uuid',
  run_name: 'r.name',
  experiment_id: 'r.experiment_id',
  user_id: 'r.user_id',
  status: 'r.status',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
  artifact_uri: 'r.artifact_uri',
  lifecycle_stage: 'r.lifecycle_stage',
}

const VALUE_TABLES = { metric: 'latest_metrics', param: 'params', tag: 'tags' } as const

/**
 * SELECT of one page of runs: the filter's top-level metric/param/tag comparisons become inner joins on
 * (run_pk, key) so that the planner can start from the most selective one; everything else (OR trees,
 * datasets, IS NULL) becomes EXISTS subqueries. Ordering joins are LEFT JOINs so that runs without the value
 * stay in the result, sorted last.
 */
export function buildSearchRunsQuery(db: SqlDatabase, input: SearchRunsInput): RawBuilder<RunRow> {
  const joins: RawBuilder<unknown>[] = []
  const where: RawBuilder<boolean>[] = []
  let alias = 0

  where.push(
    input.experimentIds.length === 1
      ? sql<boolean>`r.experiment_id = ${Number(input.experimentIds[0])}`
      : sql<boolean>`r.experiment_id IN (${sql.join(input.experimentIds.map(Number))})`,
  )
  if (input.viewType === 'ACTIVE_ONLY') where.push(sql<boolean>`r.lifecycle_stage = 'active'`)
  else if (input.viewType === 'DELETED_ONLY') where.push(sql<boolean>`r.lifecycle_stage = 'deleted'`)

  if (input.filter) {
    for (const operand of conjuncts(input.filter)) {
      const target = operand.kind === 'comparison' ? joinTarget(operand) : undefined
      if (operand.kind === 'comparison' && target) {
        const name = sql.id(`f${++alias}`)
        const value = sql.ref(`f${alias}.value`)
        const predicate =
          target.table === 'latest_metrics'
            ? metricPredicate(value, sql.ref(`f${alias}.is_nan`), operand)
            : stringPredicate(db, value, operand, PARAM_TAG_COMPARATORS)
        joins.push(
          sql`JOIN ${sql.table(target.table)} AS ${name} ON ${name}.run_pk = r.run_pk AND ${name}.key = ${target.key} AND ${predicate}`,
        )
      } else {
        where.push(compileBoolean(operand, (comparison) => comparisonPredicate(db, comparison)))
      }
    }
  }

  const order: RawBuilder<unknown>[] = []
  const seen = new Set<string>()
  let orderedByStartTime = false
  for (const item of input.orderBy) {
    const identity = `${item.entity}.${item.key}`
    if (seen.has(identity)) {
      throw invalidFilter(
        `\`order_by\` contains duplicate fields: [${input.orderBy.map((entry) => `'${entry.entity}.${entry.key}'`).join(', ')}]`,
      )
    }
    seen.add(identity)
    const direction = sql.raw(item.ascending ? 'ASC' : 'DESC')
    if (item.entity === 'attribute') {
      const column = ORDER_ATTRIBUTES[item.key]
      if (!column) throw invalidFilter(`Invalid order_by attribute key '${item.key}'`)
      if (item.key === 'start_time') orderedByStartTime = true
      if (item.key === 'end_time') order.push(sql`CASE WHEN r.end_time IS NULL THEN 1 ELSE 0 END`)
      order.push(sql`${sql.ref(column)} ${direction}`)
      continue
    }
    const name = `o${++alias}`
    joins.push(
      sql`LEFT JOIN ${sql.table(VALUE_TABLES[item.entity])} AS ${sql.id(name)} ON ${sql.ref(`${name}.run_pk`)} = r.run_pk AND ${sql.ref(`${name}.key`)} = ${item.key}`,
    )
    order.push(
      item.entity === 'metric'
        ? sql`CASE WHEN ${sql.ref(`${name}.run_pk`)} IS NULL THEN 2 WHEN ${sql.ref(`${name}.is_nan`)} = 1 THEN 1 ELSE 0 END`
        : sql`CASE WHEN ${sql.ref(`${name}.run_pk`)} IS NULL THEN 1 ELSE 0 END`,
    )
    order.push(sql`${sql.ref(`${name}.value`)} ${direction}`)
  }
  if (!orderedByStartTime) order.push(sql`r.start_time DESC`)
  order.push(sql`r.run_uuid ASC`)

  return sql<RunRow>`SELECT ${RUN_COLUMNS} FROM runs r ${sql.join(joins, sql` `)}
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ${sql.join(order)}
    LIMIT ${input.maxResults} OFFSET ${input.offset}`
}

/** Comparisons that can be inner joins: they need the value to exist anyway. */
function joinTarget(comparison: Comparison): { table: string; key: string } | undefined {
  if (comparison.comparator === 'IS NULL' || comparison.comparator === 'IS NOT NULL') return undefined
  switch (comparison.entity) {
    case 'metric':
    case 'param':
    case 'tag':
      return { table: VALUE_TABLES[comparison.entity], key: comparison.key }
    case 'attribute':
      return comparison.key === 'run_name' ? { table: 'tags', key: TAG_RUN_NAME } : undefined
    default:
      return undefined
  }
}

function comparisonPredicate(db: SqlDatabase, comparison: Comparison): RawBuilder<boolean> {
  switch (comparison.entity) {
    case 'metric':
      return valueExists('latest_metrics', comparison.key, comparison, (value, isNan) =>
        metricPredicate(value, isNan, comparison),
      )
    case 'param':
    case 'tag':
      return valueExists(VALUE_TABLES[comparison.entity], comparison.key, comparison, (value) =>
        stringPredicate(db, value, comparison, PARAM_TAG_COMPARATORS),
      )
    case 'attribute': {
      if (comparison.key === 'run_name') {
        return valueExists('tags', TAG_RUN_NAME, comparison, (value) =>
          stringPredicate(db, value, comparison, PARAM_TAG_COMPARATORS),
        )
      }
      const stringColumn = STRING_ATTRIBUTES[comparison.key]
      if (stringColumn) return stringPredicate(db, sql.ref(stringColumn), comparison, STRING_COMPARATORS)
      const numericColumn = NUMERIC_ATTRIBUTES[comparison.key]
      if (numericColumn) return numericPredicate(sql.ref(numericColumn), comparison)
      throw invalidFilter(`Invalid attribute key '${comparison.key}' specified.`)
    }
    case 'dataset':
      return datasetPredicate(db, comparison)
  }
}

/**
 * EXISTS over the run's value for `key`. A run without the value never matches a comparison (not even `!=`);
 * `IS NULL` asks for exactly those runs.
 */
function valueExists(
  table: string,
  key: string,
  comparison: Comparison,
  predicate: (value: RawBuilder<unknown>, isNan: RawBuilder<unknown>) => RawBuilder<boolean>,
): RawBuilder<boolean> {
  const base = sql`SELECT 1 FROM ${sql.table(table)} v WHERE v.run_pk = r.run_pk AND v.key = ${key}`
  if (comparison.comparator === 'IS NULL') return sql<boolean>`NOT EXISTS (${base})`
  if (comparison.comparator === 'IS NOT NULL') return sql<boolean>`EXISTS (${base})`
  return sql<boolean>`EXISTS (${base} AND ${predicate(sql.ref('v.value'), sql.ref('v.is_nan'))})`
}

function datasetPredicate(db: SqlDatabase, comparison: Comparison): RawBuilder<boolean> {
  const allowed = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const
  switch (comparison.key) {
    case 'name':
    case 'digest':
      return sql<boolean>`EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
        WHERE i.run_pk = r.run_pk AND ${stringPredicate(db, sql.ref(`d.${comparison.key}`), comparison, allowed)})`
    case 'context':
      return sql<boolean>`EXISTS (SELECT 1 FROM inputs i
        JOIN input_tags t ON t.input_uuid = i.input_uuid AND t.name = ${TAG_DATASET_CONTEXT}
        WHERE i.run_pk = r.run_pk AND ${stringPredicate(db, sql.ref('t.value'), comparison, allowed)})`
    default:
      throw invalidFilter(`Invalid dataset key '${comparison.key}' specified. Valid keys are 'name', 'digest', 'context'`)
  }
}
