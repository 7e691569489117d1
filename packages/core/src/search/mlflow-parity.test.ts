import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MlflowError } from '../errors.js'
import { parseOrderBy } from './parse-order-by.js'
import { parseSearchFilter } from './parse-search-filter.js'
import type { SearchTarget } from './search-target.js'

/**
 * How MLflow itself answered a corpus of filters and order_by clauses, recorded through its SQL stores
 * by __fixtures__/generate-mlflow-parity.py. Every input MLflow accepts must mean the same here;
 * every input it rejects must be rejected, except Cairn's deliberate extensions listed below.
 */
interface Case {
  target: SearchTarget
  mlflow: 'accept' | 'reject' | 'error'
  expected?: unknown
  message?: string
}
interface Fixture {
  mlflowVersion: string
  filters: (Case & { filter: string })[]
  orderBy: (Case & { orderBy: string[] })[]
}

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/mlflow-parity.json', import.meta.url), 'utf8'),
) as Fixture

/** Filters MLflow rejects and Cairn accepts on purpose. */
const CAIRN_FILTER_EXTENSIONS: Record<string, string> = {
  "params.a = 'x' OR params.b = 'y'": 'OR (MLflow issue 6075)',
  "(params.a = 'x')": 'parentheses',
  "params.a = 'x' AND (params.b = 'y')": 'parentheses',
  'params.a IS  NOT   NULL': 'any whitespace between keywords',
  "name = 'a' OR name = 'b'": 'OR',
  "`name` = 'x'": 'quoted attribute keys on every endpoint',
  '"name" = \'x\'': 'quoted attribute keys on every endpoint',
  "`attribute`.name = 'x'": 'backtick-quoted entity on every endpoint',
  "`tags`.name = 'x'": 'backtick-quoted entity on every endpoint',
  'metrics.from > 0': 'SQL keywords as keys (MLflow takes only some of them)',
  'metrics.m > 1E+3': 'an explicit + in an exponent',
}

/**
 * MLflow's experiment store compares the comparator as written, so `name like 'x'` fails there while
 * `name LIKE 'x'` works; Cairn's keywords ignore case everywhere. Returns the upper-case spelling.
 */
function upperCaseKeywordVariant(c: Case & { filter: string }): string | undefined {
  if (c.target !== 'experiments' || !/ (like|ilike|not in) /.test(c.filter)) return undefined
  return c.filter.replace(/ (like|ilike|not in) /, (keyword) => keyword.toUpperCase())
}

function isCairnExtension(c: Case & { filter: string }): boolean {
  return c.filter in CAIRN_FILTER_EXTENSIONS || upperCaseKeywordVariant(c) !== undefined
}

/** Filters MLflow accepts and Cairn rejects on purpose (see README.md, "Deviations"). */
const CAIRN_FILTER_REJECTIONS: Record<string, string> = {
  "run_id IN (('a'))": 'nested parentheses in an IN list',
  "run_id IN (r'a')": 'Python string prefixes in an IN list',
  'metrics.`a`.b = 1': 'a key mixing quoted and bare parts',
  'metrics. a = 1': 'whitespace after the dot',
}

/** order_by items MLflow accepts and Cairn rejects on purpose. */
const CAIRN_ORDER_BY_REJECTIONS: Record<string, string> = {
  'metrics.': 'an empty key',
}

/** order_by items MLflow rejects and Cairn accepts on purpose. */
const CAIRN_ORDER_BY_EXTENSIONS: Record<string, string> = {
  ' metrics.m': 'surrounding whitespace',
  'attributes.`Run Name`': 'the run-name aliases work in order_by as in filters',
  'attribute.name': 'an explicit attribute prefix for registered models',
}

function outcome(
  run: () => unknown,
): { accepted: true; value: unknown } | { accepted: false; error: unknown } {
  try {
    return { accepted: true, value: run() }
  } catch (error) {
    return { accepted: false, error }
  }
}

/** The generator writes ±Infinity as strings (JSON has no infinities). */
function revive(value: unknown): unknown {
  if (value === 'Infinity') return Number.POSITIVE_INFINITY
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY
  if (Array.isArray(value)) return value.map(revive)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, revive(inner)]))
  }
  return value
}

describe(`parity with MLflow ${fixture.mlflowVersion}`, () => {
  it('has a corpus covering every target with accepted and rejected inputs', () => {
    for (const target of ['runs', 'experiments', 'registered_models', 'model_versions']) {
      const cases = fixture.filters.filter((c) => c.target === target)
      expect(cases.some((c) => c.mlflow === 'accept')).toBe(true)
      expect(cases.some((c) => c.mlflow !== 'accept')).toBe(true)
    }
  })

  it.each(fixture.filters.filter((c) => c.mlflow === 'accept' && !(c.filter in CAIRN_FILTER_REJECTIONS)))(
    'gives MLflow’s meaning to the $target filter $filter',
    ({ target, filter, expected }) => {
      const parsed = parseSearchFilter(filter, target)
      expect(parsed).toEqual(revive(expected) ?? undefined)
    },
  )

  it.each(fixture.filters.filter((c) => c.mlflow !== 'accept' && !isCairnExtension(c)))(
    'rejects the $target filter $filter as MLflow does',
    ({ target, filter }) => {
      const result = outcome(() => parseSearchFilter(filter, target))
      expect(result.accepted ? result.value : 'rejected').toBe('rejected')
      if (!result.accepted) {
        expect(result.error).toBeInstanceOf(MlflowError)
        expect((result.error as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
      }
    },
  )

  it.each(fixture.filters.filter((c) => c.mlflow !== 'accept' && c.filter in CAIRN_FILTER_EXTENSIONS))(
    'accepts the $target filter $filter, which MLflow rejects (a Cairn extension)',
    ({ target, filter }) => {
      expect(parseSearchFilter(filter, target)).toBeDefined()
    },
  )

  it.each(fixture.filters.filter((c) => c.mlflow !== 'accept' && upperCaseKeywordVariant(c) !== undefined))(
    'reads the $target filter $filter like its upper-case spelling',
    (c) => {
      const lower = outcome(() => parseSearchFilter(c.filter, c.target))
      const upper = outcome(() => parseSearchFilter(upperCaseKeywordVariant(c), c.target))
      expect(lower.accepted).toBe(upper.accepted)
      if (lower.accepted && upper.accepted) expect(lower.value).toEqual(upper.value)
    },
  )

  it.each(Object.keys(CAIRN_FILTER_EXTENSIONS))('keeps %s in the corpus', (filter) => {
    expect(fixture.filters.some((c) => c.filter === filter && c.mlflow !== 'accept')).toBe(true)
  })

  it.each(Object.keys(CAIRN_FILTER_REJECTIONS))('rejects %s (a documented deviation)', (filter) => {
    expect(fixture.filters.find((c) => c.filter === filter)?.mlflow).toBe('accept')
    expect(() => parseSearchFilter(filter, 'runs')).toThrow(MlflowError)
  })

  it.each(
    fixture.orderBy.filter(
      (c) => c.mlflow === 'accept' && !c.orderBy.some((item) => item in CAIRN_ORDER_BY_REJECTIONS),
    ),
  )('orders $target by $orderBy as MLflow does', ({ target, orderBy, expected }) => {
    expect(parseOrderBy(orderBy, target)).toEqual(expected)
  })

  it.each(Object.keys(CAIRN_ORDER_BY_REJECTIONS))(
    'rejects ordering runs by %s (a documented deviation)',
    (item) => {
      expect(fixture.orderBy.find((c) => c.orderBy.includes(item))?.mlflow).toBe('accept')
      expect(() => parseOrderBy([item], 'runs')).toThrow(MlflowError)
    },
  )

  it.each(
    fixture.orderBy.filter(
      (c) => c.mlflow !== 'accept' && !c.orderBy.some((item) => item in CAIRN_ORDER_BY_EXTENSIONS),
    ),
  )('rejects ordering $target by $orderBy as MLflow does', ({ target, orderBy }) => {
    const result = outcome(() => parseOrderBy(orderBy, target))
    expect(result.accepted ? result.value : 'rejected').toBe('rejected')
  })
})
