import { type Comparison, type FilterExpression, TAG_DATASET_CONTEXT, TAG_RUN_NAME } from '@cairn/core'
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
const VALUE_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const

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

type ValueTable = 'latest_metrics' | 'params' | 'tags'
const VALUE_TABLES = { metric: 'latest_metrics', param: 'params', tag: 'tags' } as const

/** A top-level filter comparison on a metric, param or tag value, compiled as an inner join on (run_pk, key). */
export interface ValueJoin {
  table: ValueTable
  key: string
  comparison: Comparison
}

/** The value joins of a filter: its top-level AND operands that need the metric/param/tag to exist. */
export function valueJoins(filter: FilterExpression | undefined): ValueJoin[] {
  const joins: ValueJoin[] = []
  if (!filter) return joins
  for (const operand of conjuncts(filter)) {
    if (operand.kind !== 'comparison') continue
    const target = joinTarget(operand)
    if (target) joins.push({ ...target, comparison: operand })
  }
  return joins
}

function joinTarget(comparison: Comparison): { table: ValueTable; key: string } | undefined {
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

function joinPredicate(db: SqlDatabase, join: ValueJoin, alias: string): RawBuilder<boolean> {
  const value = sql.ref(`${alias}.value`)
  return join.table === 'latest_metrics'
    ? metricPredicate(value, sql.ref(`${alias}.is_nan`), join.comparison)
    : stringPredicate(db, value, join.comparison, VALUE_COMPARATORS)
}

/** How many rows (at most `cap`) a value join matches over the whole table: a cheap index range count. */
export function countValueJoin(db: SqlDatabase, join: ValueJoin, cap: number): RawBuilder<{ n: number }> {
  return sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT 1 FROM ${sql.table(join.table)} AS c
    WHERE c.key = ${join.key} AND ${joinPredicate(db, join, 'c')} LIMIT ${cap}) counted`
}

/** How many runs (at most `cap`) the experiment and view-type conditions alone select. */
export function countCandidateRuns(input: SearchRunsInput, cap: number): RawBuilder<{ n: number }> {
  return sql<{
    n: number
  }>`SELECT count(*) AS n FROM (SELECT 1 FROM runs r WHERE ${sql.join(runConditions(input), sql` AND `)}
    LIMIT ${cap}) counted`
}

function runConditions(input: SearchRunsInput): RawBuilder<boolean>[] {
  const conditions = [
    input.experimentIds.length === 1
      ? sql<boolean>`r.experiment_id = ${Number(input.experimentIds[0])}`
      : sql<boolean>`r.experiment_id IN (${sql.join(input.experimentIds.map(Number))})`,
  ]
  if (input.viewType === 'ACTIVE_ONLY') conditions.push(sql<boolean>`r.lifecycle_stage = 'active'`)
  else if (input.viewType === 'DELETED_ONLY') conditions.push(sql<boolean>`r.lifecycle_stage = 'deleted'`)
  return conditions
}

/**
 * SELECT of one page of runs. Top-level metric/param/tag comparisons are inner joins on (run_pk, key);
 * everything else (OR trees, datasets, attributes, IS NULL) is a WHERE predicate with EXISTS subqueries.
 * Ordering joins are LEFT JOINs so runs without the value stay, sorted last.
 *
 * `driver` (SQLite only) forces the join order with CROSS JOIN: the index of the value join to start
 * from, or -1 to start from `runs`. SQLite has no statistics unless ANALYZE runs, so the store picks the
 * driver by counting; PostgreSQL's planner decides on its own.
 */
export function buildSearchRunsQuery(
  db: SqlDatabase,
  input: SearchRunsInput,
  driver?: number,
): RawBuilder<RunRow> {
  const joins = valueJoins(input.filter)
  const where = residualPredicates(db, input)

  const joinSql = (join: ValueJoin, index: number, keyword: 'JOIN' | 'CROSS JOIN') => {
    const alias = `f${index}`
    return sql`${sql.raw(keyword)} ${sql.table(join.table)} AS ${sql.id(alias)} ON ${sql.ref(`${alias}.run_pk`)} = r.run_pk
      AND ${sql.ref(`${alias}.key`)} = ${join.key} AND ${joinPredicate(db, join, alias)}`
  }
  let from: RawBuilder<unknown>
  if (driver === undefined || db.kind !== 'sqlite') {
    from = sql`runs r ${sql.join(
      joins.map((join, index) => joinSql(join, index, 'JOIN')),
      sql` `,
    )}`
  } else if (driver < 0) {
    from = sql`runs r ${sql.join(
      joins.map((join, index) => joinSql(join, index, 'CROSS JOIN')),
      sql` `,
    )}`
  } else {
    // The other value joins come before `runs`: each one narrows the rows whose run is then looked up.
    const first = joins[driver]!
    const alias = `f${driver}`
    const others = joins.flatMap((join, index) => {
      if (index === driver) return []
      const other = `f${index}`
      return [
        sql`CROSS JOIN ${sql.table(join.table)} AS ${sql.id(other)} ON ${sql.ref(`${other}.run_pk`)} = ${sql.ref(`${alias}.run_pk`)}
          AND ${sql.ref(`${other}.key`)} = ${join.key} AND ${joinPredicate(db, join, other)}`,
      ]
    })
    from = sql`${sql.table(first.table)} AS ${sql.id(alias)} ${sql.join(others, sql` `)}
      CROSS JOIN runs r ON ${sql.ref(`${alias}.run_pk`)} = r.run_pk
      AND ${sql.ref(`${alias}.key`)} = ${first.key} AND ${joinPredicate(db, first, alias)}`
  }

  const orderJoins: RawBuilder<unknown>[] = []
  const order: RawBuilder<unknown>[] = []
  const seen = new Set<string>()
  let orderedByStartTime = false
  input.orderBy.forEach((item, index) => {
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
      return
    }
    const alias = `o${index}`
    orderJoins.push(
      sql`LEFT JOIN ${sql.table(VALUE_TABLES[item.entity])} AS ${sql.id(alias)} ON ${sql.ref(`${alias}.run_pk`)} = r.run_pk
        AND ${sql.ref(`${alias}.key`)} = ${item.key}`,
    )
    order.push(
      item.entity === 'metric'
        ? sql`CASE WHEN ${sql.ref(`${alias}.run_pk`)} IS NULL THEN 2 WHEN ${sql.ref(`${alias}.is_nan`)} = 1 THEN 1 ELSE 0 END`
        : sql`CASE WHEN ${sql.ref(`${alias}.run_pk`)} IS NULL THEN 1 ELSE 0 END`,
    )
    order.push(sql`${sql.ref(`${alias}.value`)} ${direction}`)
  })
  if (!orderedByStartTime) order.push(sql`r.start_time DESC`)
  order.push(sql`r.run_uuid ASC`)

  return sql<RunRow>`SELECT ${RUN_COLUMNS} FROM ${from} ${sql.join(orderJoins, sql` `)}
    WHERE ${sql.join([...runConditions(input), ...where], sql` AND `)}
    ORDER BY ${sql.join(order)}
    LIMIT ${input.maxResults} OFFSET ${input.offset}`
}

/** The filter's operands that are not value joins, as WHERE predicates on `r`. */
function residualPredicates(db: SqlDatabase, input: SearchRunsInput): RawBuilder<boolean>[] {
  const where: RawBuilder<boolean>[] = []
  if (!input.filter) return where
  for (const operand of conjuncts(input.filter)) {
    if (operand.kind === 'comparison' && joinTarget(operand)) continue
    where.push(compileBoolean(operand, (comparison) => comparisonPredicate(db, comparison)))
  }
  return where
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
        stringPredicate(db, value, comparison, VALUE_COMPARATORS),
      )
    case 'attribute': {
      if (comparison.key === 'run_name') {
        return valueExists('tags', TAG_RUN_NAME, comparison, (value) =>
          stringPredicate(db, value, comparison, VALUE_COMPARATORS),
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
  table: ValueTable,
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
      throw invalidFilter(
        `Invalid dataset key '${comparison.key}' specified. Valid keys are 'name', 'digest', 'context'`,
      )
  }
}

/**
 * SQLite fast path for a search ordered by one metric: the first `offset + maxResults` matching runs taken
 * in the metric's index order (non-NaN values only; NaN and missing values sort after every number), over
 * at most `cap` index entries, so that the query stops as soon as the page is full instead of joining and
 * sorting every candidate. The caller checks the answer is the true page and otherwise runs
 * `buildSearchRunsQuery`. Each row carries its metric value as `order_value`.
 */
export function buildOrderDrivenSearchQuery(
  db: SqlDatabase,
  input: SearchRunsInput,
  cap: number,
): RawBuilder<RunRow & { order_value: number }> {
  const item = input.orderBy[0]!
  const direction = sql.raw(item.ascending ? 'ASC' : 'DESC')
  const joins = valueJoins(input.filter)
  const where = residualPredicates(db, input)
  const filterJoins = joins.map((join, index) => {
    const alias = `f${index}`
    return sql`CROSS JOIN ${sql.table(join.table)} AS ${sql.id(alias)} ON ${sql.ref(`${alias}.run_pk`)} = o.run_pk
      AND ${sql.ref(`${alias}.key`)} = ${join.key} AND ${joinPredicate(db, join, alias)}`
  })
  return sql<RunRow & { order_value: number }>`SELECT ${RUN_COLUMNS}, o.value AS order_value
    FROM (SELECT run_pk, value FROM latest_metrics WHERE key = ${item.key} AND is_nan = 0
      ORDER BY value ${direction} LIMIT ${cap}) AS o
    ${sql.join(filterJoins, sql` `)}
    CROSS JOIN runs r ON r.run_pk = o.run_pk
    WHERE ${sql.join([...runConditions(input), ...where], sql` AND `)}
    ORDER BY o.value ${direction}, r.start_time DESC, r.run_uuid ASC
    LIMIT ${input.offset + input.maxResults}`
}

/** The metric value of the `cap`-th entry of the fast path's index range (none: the range has fewer). */
export function orderDrivenBoundary(input: SearchRunsInput, cap: number): RawBuilder<{ value: number }> {
  const item = input.orderBy[0]!
  return sql<{ value: number }>`SELECT value FROM latest_metrics WHERE key = ${item.key} AND is_nan = 0
    ORDER BY value ${sql.raw(item.ascending ? 'ASC' : 'DESC')} LIMIT 1 OFFSET ${cap - 1}`
}

/** Whether a search may take the fast path: SQLite, ordered by exactly one metric. */
export function orderDrivenSearchApplies(db: SqlDatabase, input: SearchRunsInput): boolean {
  return db.kind === 'sqlite' && input.orderBy.length === 1 && input.orderBy[0]!.entity === 'metric'
}
