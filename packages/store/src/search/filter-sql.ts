import type { Comparator, Comparison, FilterExpression } from '@cairn/core'
import { type Expression, type RawBuilder, sql } from 'kysely'
import type { SqlDatabase } from '../dialect/dialect.js'
import { invalidFilter } from '../store-errors.js'

/**
 * Pieces shared by the run and experiment filter compilers. Every value (keys included) is a bound
 * parameter; only operators from the fixed tables below and identifiers written in code reach the SQL text.
 */

export const TRUE = sql<boolean>`1 = 1`
export const FALSE = sql<boolean>`1 = 0`

const NUMERIC_OPERATORS: Partial<Record<Comparator, string>> = {
  '=': '=',
  '!=': '<>',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
}

export function numberValue(comparison: Comparison): number {
  const { value } = comparison
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  if (Number.isNaN(number)) {
    throw invalidFilter(
      `Expected a numeric value for ${comparison.entity} '${comparison.key}'. Got value ${String(value)}`,
    )
  }
  return number
}

function stringValue(comparison: Comparison): string {
  if (typeof comparison.value !== 'string') {
    throw invalidFilter(
      `Expected a quoted string value for ${comparison.entity} '${comparison.key}'. Got value ${String(comparison.value)}`,
    )
  }
  return comparison.value
}

function listValue(comparison: Comparison): string[] {
  const { value } = comparison
  if (!Array.isArray(value)) {
    throw invalidFilter(
      `Expected a list of quoted strings for ${comparison.entity} '${comparison.key}' ${comparison.comparator}`,
    )
  }
  return value
}

function unsupported(comparison: Comparison): never {
  throw invalidFilter(
    `Invalid comparator '${comparison.comparator}' for ${comparison.entity} '${comparison.key}'`,
  )
}

/** `column <op> value` for numbers (metric values use `metricPredicate`). */
export function numericPredicate(column: Expression<unknown>, comparison: Comparison): RawBuilder<boolean> {
  if (comparison.comparator === 'IS NULL') return sql<boolean>`${column} IS NULL`
  if (comparison.comparator === 'IS NOT NULL') return sql<boolean>`${column} IS NOT NULL`
  const operator = NUMERIC_OPERATORS[comparison.comparator] ?? unsupported(comparison)
  return sql<boolean>`${column} ${sql.raw(operator)} ${numberValue(comparison)}`
}

/**
 * A comparison on a latest metric value. NaN never equals or orders against a number, so it only
 * satisfies `!=`.
 */
export function metricPredicate(
  value: Expression<unknown>,
  isNan: Expression<unknown>,
  comparison: Comparison,
): RawBuilder<boolean> {
  const operator = NUMERIC_OPERATORS[comparison.comparator] ?? unsupported(comparison)
  const number = numberValue(comparison)
  if (comparison.comparator === '!=') return sql<boolean>`(${isNan} = 1 OR ${value} <> ${number})`
  return sql<boolean>`(${isNan} = 0 AND ${value} ${sql.raw(operator)} ${number})`
}

/** `= != LIKE ILIKE IN NOT IN` on a text column (binary collation on both dialects). */
export function stringPredicate(
  db: SqlDatabase,
  column: Expression<unknown>,
  comparison: Comparison,
  allowed: readonly Comparator[],
): RawBuilder<boolean> {
  if (!allowed.includes(comparison.comparator)) unsupported(comparison)
  switch (comparison.comparator) {
    case '=':
      return sql<boolean>`${column} = ${stringValue(comparison)}`
    case '!=':
      return sql<boolean>`${column} <> ${stringValue(comparison)}`
    case 'LIKE':
      return db.like(column, stringValue(comparison))
    case 'ILIKE':
      return db.ilike(column, stringValue(comparison))
    case 'IN': {
      const values = listValue(comparison)
      return values.length === 0 ? FALSE : db.inList(column, values)
    }
    case 'NOT IN': {
      const values = listValue(comparison)
      return values.length === 0 ? TRUE : sql<boolean>`NOT (${db.inList(column, values)})`
    }
    case 'IS NULL':
      return sql<boolean>`${column} IS NULL`
    case 'IS NOT NULL':
      return sql<boolean>`${column} IS NOT NULL`
    default:
      return unsupported(comparison)
  }
}

/** Compiles and/or trees; `leaf` turns one comparison into a predicate. */
export function compileBoolean(
  expression: FilterExpression,
  leaf: (comparison: Comparison) => RawBuilder<boolean>,
): RawBuilder<boolean> {
  switch (expression.kind) {
    case 'comparison':
      return leaf(expression)
    case 'and':
      if (expression.operands.length === 0) return TRUE
      return sql<boolean>`(${sql.join(
        expression.operands.map((operand) => compileBoolean(operand, leaf)),
        sql` AND `,
      )})`
    case 'or':
      if (expression.operands.length === 0) return FALSE
      return sql<boolean>`(${sql.join(
        expression.operands.map((operand) => compileBoolean(operand, leaf)),
        sql` OR `,
      )})`
  }
}

/** The top-level AND operands (nested ANDs flattened). */
export function conjuncts(expression: FilterExpression): FilterExpression[] {
  if (expression.kind !== 'and') return [expression]
  return expression.operands.flatMap(conjuncts)
}
