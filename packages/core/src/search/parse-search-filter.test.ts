import { describe, expect, it } from 'vitest'
import { MlflowError } from '../errors.js'
import type { Comparator, Comparison, FilterExpression, SearchEntity } from './ast.js'
import {
  MAX_SEARCH_FILTER_DEPTH,
  MAX_SEARCH_FILTER_LENGTH,
  parseSearchFilter,
} from './parse-search-filter.js'
import type { SearchTarget } from './search-target.js'

function comparison(
  entity: SearchEntity,
  key: string,
  comparator: Comparator,
  value: Comparison['value'],
): Comparison {
  return { kind: 'comparison', entity, key, comparator, value }
}

const and = (...operands: FilterExpression[]): FilterExpression => ({ kind: 'and', operands })
const or = (...operands: FilterExpression[]): FilterExpression => ({ kind: 'or', operands })

/** The MlflowError `action` throws (fails when it throws nothing or something else). */
function errorOf(action: () => unknown): MlflowError {
  let result: unknown
  try {
    result = action()
  } catch (error) {
    if (error instanceof MlflowError) return error
    throw error
  }
  throw new Error(`Expected an MlflowError, got ${JSON.stringify(result)}`)
}

function messageOf(filter: string, target: SearchTarget = 'runs'): string {
  const error = errorOf(() => parseSearchFilter(filter, target))
  expect(error.code).toBe('INVALID_PARAMETER_VALUE')
  expect(error.httpStatus).toBe(400)
  return error.message
}

const runs = (filter: string) => parseSearchFilter(filter, 'runs')

describe('parseSearchFilter: empty filters', () => {
  it.each([undefined, ''])('returns undefined for %j', (filter) => {
    expect(parseSearchFilter(filter, 'runs')).toBeUndefined()
  })

  it.each(['and', 'AND AND', ' and '])(
    'returns undefined for a filter of ANDs only (%j), as MLflow',
    (filter) => {
      expect(runs(filter)).toBeUndefined()
    },
  )

  it('rejects a whitespace-only filter with MLflow’s message', () => {
    expect(messageOf('   ')).toBe("Invalid filter '   '. Could not be parsed.")
  })

  it('throws a TypeError for an unknown target', () => {
    expect(() => parseSearchFilter("name = 'x'", 'traces' as SearchTarget)).toThrow(TypeError)
  })
})

describe('parseSearchFilter: runs identifiers', () => {
  it.each([
    ['metric', 'metric'],
    ['metrics', 'metric'],
    ['`metrics`', 'metric'],
  ] as const)('reads the %s. prefix as metrics', (prefix, entity) => {
    expect(runs(`${prefix}.acc > 0.5`)).toEqual(comparison(entity, 'acc', '>', 0.5))
  })

  it.each(['param', 'params', 'parameter', 'parameters'])('reads the %s. prefix as params', (prefix) => {
    expect(runs(`${prefix}.lr = '0.1'`)).toEqual(comparison('param', 'lr', '=', '0.1'))
  })

  it.each(['tag', 'tags'])('reads the %s. prefix as tags', (prefix) => {
    expect(runs(`${prefix}.team = 'a'`)).toEqual(comparison('tag', 'team', '=', 'a'))
  })

  it.each(['attribute', 'attributes', 'attr', 'run'])('reads the %s. prefix as attributes', (prefix) => {
    expect(runs(`${prefix}.status = 'FINISHED'`)).toEqual(comparison('attribute', 'status', '=', 'FINISHED'))
  })

  it.each(['dataset', 'datasets'])('reads the %s. prefix as datasets', (prefix) => {
    expect(runs(`${prefix}.digest = 'abc'`)).toEqual(comparison('dataset', 'digest', '=', 'abc'))
  })

  it('reads a bare key as an attribute', () => {
    expect(runs("user_id = 'alice'")).toEqual(comparison('attribute', 'user_id', '=', 'alice'))
  })

  it.each(['run_id', 'run_name', 'user_id', 'status', 'artifact_uri'])(
    'accepts the string attribute %s',
    (key) => {
      expect(runs(`attributes.${key} = 'v'`)).toEqual(comparison('attribute', key, '=', 'v'))
    },
  )

  it.each(['start_time', 'end_time'])('accepts the numeric attribute %s', (key) => {
    expect(runs(`${key} >= 1700000000000`)).toEqual(comparison('attribute', key, '>=', 1_700_000_000_000))
  })

  it.each(['created', 'Created', '`created`', 'attr.Created'])('maps %s to start_time', (key) => {
    expect(runs(`${key} > 5`)).toEqual(comparison('attribute', 'start_time', '>', 5))
  })

  it.each([
    '`run name`',
    '`Run name`',
    '`Run Name`',
    '"run name"',
    'attributes.`Run Name`',
    'run."Run name"',
  ])('maps %s to run_name', (key) => {
    expect(runs(`${key} = 'lr-1'`)).toEqual(comparison('attribute', 'run_name', '=', 'lr-1'))
  })

  it.each([
    ['tags.`mlflow.runName`', 'mlflow.runName'],
    ["tags.'a b'", 'a b'],
    ['tags."a\'b"', "a'b"],
    ['tags.a.b', 'a.b'],
  ])('reads the tag key of %s as %j', (identifier, key) => {
    expect(runs(`${identifier} = 'v'`)).toEqual(comparison('tag', key, '=', 'v'))
  })

  it.each([
    ['metrics."my metric"', 'my metric'],
    ['metrics.`val-loss`', 'val-loss'],
    ['metrics.a.b.c', 'a.b.c'],
    ['metrics.1abc', '1abc'],
    ['metrics.ü', 'ü'],
    ['metrics.select', 'select'],
    ['metrics.`a``b`', 'a``b'],
    ['metrics.`or`', 'or'],
    ['metrics.and', 'and'],
  ])('reads the metric key of %s as %j', (identifier, key) => {
    expect(runs(`${identifier} > 0`)).toEqual(comparison('metric', key, '>', 0))
  })

  it('rejects an unknown entity with MLflow’s message', () => {
    expect(messageOf('foo.a = 1')).toBe(
      "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
    )
  })

  it.each(['Metrics', 'METRICS', '"metrics"'])(
    'treats the entity %s as unknown (prefixes are case-sensitive)',
    (prefix) => {
      expect(messageOf(`${prefix}.a = 1`)).toContain(`Invalid entity type '${prefix}'`)
    },
  )

  it('rejects an unknown attribute and lists the valid keys', () => {
    const message = messageOf("experiment_id = '1'")
    expect(message).toMatch(/^Invalid attribute key 'experiment_id' specified\. Valid keys are '\{.*\}'$/)
    for (const key of ['run_id', 'run_name', 'start_time', 'created', 'Run Name'])
      expect(message).toContain(`'${key}'`)
  })

  it('rejects an unknown dataset key', () => {
    expect(messageOf("dataset.size = 'x'")).toBe(
      "Invalid dataset key 'size' specified. Valid keys are '{'name', 'digest', 'context'}'",
    )
  })

  it.each(['metrics . a = 1', 'metrics .a = 1', 'metrics. a = 1', 'metrics.`a`.b = 1', 'metrics. = 1'])(
    'rejects the malformed identifier in %j',
    (filter) => {
      expect(messageOf(filter)).toMatch(/^Invalid clause\(s\) in filter string: /)
    },
  )
})

describe('parseSearchFilter: values', () => {
  it.each([
    ["'x'", 'x'],
    ['"x"', 'x'],
    ["''", ''],
    ['""', ''],
    ["'%_'", '%_'],
    ["'it''s'", "it''s"],
    ["'a\\'b'", "a\\'b"],
    ['"a""b"', 'a""b'],
    ["'C:\\dir\\'", 'C:\\dir\\'],
    ["'multi\nline'", 'multi\nline'],
    ["'AND metrics.a > 1'", 'AND metrics.a > 1'],
  ])('keeps the text between the outer quotes of %s verbatim, as MLflow', (literal, value) => {
    expect(runs(`params.p = ${literal}`)).toEqual(comparison('param', 'p', '=', value))
  })

  it.each([
    ['1', 1],
    ['-1', -1],
    ['0.25', 0.25],
    ['1.', 1],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['1.5E3', 1500],
    ['01', 1],
    ['-0', -0],
    ['1e400', Number.POSITIVE_INFINITY],
  ])('reads the metric value %s as the number %d', (literal, value) => {
    expect(runs(`metrics.m = ${literal}`)).toEqual(comparison('metric', 'm', '=', value))
  })

  it('reads numbers without surrounding spaces', () => {
    expect(runs('metrics.m>-1 and metrics.n<=.5')).toEqual(
      and(comparison('metric', 'm', '>', -1), comparison('metric', 'n', '<=', 0.5)),
    )
  })

  it.each(["'1'", '"1"', 'one', '`x`', "('1')", '1abc', '1_000'])(
    'requires a numeric literal for metrics, not %s',
    (value) => {
      expect(messageOf(`metrics.m = ${value}`)).toBe(`Expected numeric value type for metric. Found ${value}`)
    },
  )

  it.each(['start_time', 'end_time', 'created'])(
    'requires a numeric literal for the numeric attribute %s',
    (key) => {
      expect(messageOf(`${key} = '5'`)).toBe(
        `Expected numeric value type for numeric attribute: ${key}. Found '5'`,
      )
    },
  )

  it.each(['0x10', '- 1', '+1', '1.5x', '1e'])('rejects %s as a number', (value) => {
    expect(() => runs(`metrics.m = ${value}`)).toThrow(MlflowError)
  })

  it.each([
    ['params.p', 'parameter'],
    ['tags.t', 'tag'],
  ])('requires a quoted string for %s', (identifier, name) => {
    expect(messageOf(`${identifier} = 5`)).toBe(
      `Expected a quoted string value for ${name} (e.g. 'my-value'). Got value 5`,
    )
  })

  it.each(['abc', '`abc`'])(
    'rejects the unquoted or backtick-quoted value %s with MLflow’s message',
    (value) => {
      expect(messageOf(`params.p = ${value}`)).toBe(
        `Parameter value is either not quoted or unidentified quote types used for string value ${value}. ` +
          'Use either single or double quotes.',
      )
    },
  )

  it('requires a quoted string for string attributes', () => {
    expect(messageOf('status = 3')).toBe('Expected a quoted string value for attributes. Got value 3')
  })

  it('requires a quoted string for dataset keys', () => {
    expect(messageOf('dataset.name = 3')).toBe(
      'Expected a quoted string value for dataset attributes. Got value 3',
    )
  })
})

describe('parseSearchFilter: keywords', () => {
  it.each(['AND', 'and', 'And', 'aNd'])('reads %s as AND', (keyword) => {
    expect(runs(`metrics.a = 1 ${keyword} metrics.b = 2`)).toEqual(
      and(comparison('metric', 'a', '=', 1), comparison('metric', 'b', '=', 2)),
    )
  })

  it.each([
    ['like', 'LIKE'],
    ['Like', 'LIKE'],
    ['ilike', 'ILIKE'],
    ['ILike', 'ILIKE'],
  ] as const)('reads %s as %s', (keyword, comparator) => {
    expect(runs(`tags.t ${keyword} 'a%'`)).toEqual(comparison('tag', 't', comparator, 'a%'))
  })

  it.each([
    ["run_id in ('a')", 'IN'],
    ["run_id not in ('a')", 'NOT IN'],
    ["run_id Not  In ('a')", 'NOT IN'],
  ] as const)('reads %j with comparator %s', (filter, comparator) => {
    expect(runs(filter)).toEqual(comparison('attribute', 'run_id', comparator, ['a']))
  })

  it.each([
    ['params.p is null', 'IS NULL'],
    ['params.p IS NOT NULL', 'IS NOT NULL'],
    ['params.p Is\nNot\tNull', 'IS NOT NULL'],
  ] as const)('reads %j with comparator %s', (filter, comparator) => {
    expect(runs(filter)).toEqual(comparison('param', 'p', comparator, null))
  })
})

describe('parseSearchFilter: comparators for runs', () => {
  it.each(['=', '!=', '>', '>=', '<', '<='] as const)(
    'accepts %s for metrics and numeric attributes',
    (op) => {
      expect(runs(`metrics.m ${op} 1 and start_time ${op} 2`)).toEqual(
        and(comparison('metric', 'm', op, 1), comparison('attribute', 'start_time', op, 2)),
      )
    },
  )

  it.each(['=', '!=', 'LIKE', 'ILIKE'] as const)(
    'accepts %s for params, tags, string attributes and datasets',
    (op) => {
      expect(
        runs(`params.p ${op} 'x' and tags.t ${op} 'x' and status ${op} 'x' and dataset.name ${op} 'x'`),
      ).toEqual(
        and(
          comparison('param', 'p', op, 'x'),
          comparison('tag', 't', op, 'x'),
          comparison('attribute', 'status', op, 'x'),
          comparison('dataset', 'name', op, 'x'),
        ),
      )
    },
  )

  it.each([
    ['metrics.m LIKE 1', "Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}'"],
    ['start_time ILIKE 1', "Invalid comparator 'ILIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}'"],
    [
      "params.p > 'x'",
      "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'",
    ],
    [
      "tags.t <= 'x'",
      "Invalid comparator '<=' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'",
    ],
    ["status > 'x'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'"],
    [
      "dataset.name < 'x'",
      "Invalid comparator '<' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'",
    ],
  ])('rejects %j', (filter, message) => {
    expect(messageOf(filter)).toBe(message)
  })

  it.each([
    "params.p <> 'x'",
    "params.p == 'x'",
    "params.p RLIKE 'x'",
    "params.p NOT LIKE 'x'",
    "params.p not ilike 'x'",
  ])('rejects the comparator in %j, which MLflow parses but no store accepts', (filter) => {
    expect(messageOf(filter)).toMatch(/^Invalid comparator '(<>|==|RLIKE|NOT LIKE|NOT ILIKE)' not one of/)
  })

  it('checks every clause’s value before any comparator, as MLflow', () => {
    expect(messageOf('metrics.m LIKE 1 AND params.p = 5')).toMatch(
      /^Expected a quoted string value for parameter/,
    )
  })
})

describe('parseSearchFilter: IN lists', () => {
  it('reads a list of run ids', () => {
    expect(runs("attributes.run_id IN ('a1', \"b2\", 'c3',)")).toEqual(
      comparison('attribute', 'run_id', 'IN', ['a1', 'b2', 'c3']),
    )
  })

  it('drops run ids with uppercase letters, which can never match (as MLflow)', () => {
    expect(runs("run_id NOT IN ('ABC', 'def', 'aB1', '123')")).toEqual(
      comparison('attribute', 'run_id', 'NOT IN', ['def', '123']),
    )
  })

  it('keeps an empty list when every run id is dropped', () => {
    expect(runs("run_id IN ('ABC')")).toEqual(comparison('attribute', 'run_id', 'IN', []))
  })

  it('keeps the case of dataset names in lists', () => {
    expect(runs("dataset.name IN ('Train', 'eval') and dataset.context NOT IN ('TEST')")).toEqual(
      and(
        comparison('dataset', 'name', 'IN', ['Train', 'eval']),
        comparison('dataset', 'context', 'NOT IN', ['TEST']),
      ),
    )
  })

  it.each([
    ["('it''s')", 'its'],
    ["('a' 'b')", 'ab'],
    ["('a\\nb')", 'a\nb'],
    ["('a\\'b')", "a'b"],
    ["('\\x41\\u00e9\\101')", 'AéA'],
    ["('\\q')", '\\q'],
    ['("a\\"b")', 'a"b'],
  ])('reads list items as Python string literals: %s', (list, item) => {
    expect(runs(`dataset.name IN ${list}`)).toEqual(comparison('dataset', 'name', 'IN', [item]))
  })

  it('rejects an empty list with MLflow’s message', () => {
    expect(messageOf('run_id IN ()')).toBe(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    )
  })

  it('rejects a list holding something other than strings', () => {
    expect(messageOf("run_id IN ('a', 1)")).toBe(
      "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ('a', 1)",
    )
  })

  it.each(['(,)', "('a',,)", '(a)', "(('a'))", "('a' 1)", "('\\x4')"])(
    'rejects the ill-formed list %s',
    (list) => {
      expect(messageOf(`run_id IN ${list}`)).toBe(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      )
    },
  )

  it.each(['run_name', 'status', 'user_id'])('allows lists only for run_id, not %s', (key) => {
    expect(messageOf(`${key} IN ('a')`)).toBe(
      "Only ['run_id'] attributes support comparison with a list of quoted string values.",
    )
  })

  it.each(["run_id = ('a')", "dataset.name LIKE ('a')"])(
    'rejects a list after a comparator other than IN: %j',
    (filter) => {
      expect(messageOf(filter)).toMatch(/^Invalid comparator '(=|LIKE)' for a list of values/)
    },
  )

  it.each(["run_id IN 'a'", 'run_id IN', "run_id NOT 'a'", "run_id IN ('a'"])(
    'rejects the malformed IN in %j',
    (filter) => {
      expect(messageOf(filter)).toMatch(/^Invalid clause\(s\) in filter string: /)
    },
  )

  it('rejects lists for params and metrics with the value-type message', () => {
    expect(messageOf("params.p IN ('a')")).toBe(
      "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('a')",
    )
    expect(messageOf('metrics.m IN (1)')).toBe('Expected numeric value type for metric. Found (1)')
  })
})

describe('parseSearchFilter: IS NULL', () => {
  it('accepts IS NULL and IS NOT NULL for params and tags of runs', () => {
    expect(runs('params.p IS NULL AND tags.t IS NOT NULL')).toEqual(
      and(comparison('param', 'p', 'IS NULL', null), comparison('tag', 't', 'IS NOT NULL', null)),
    )
  })

  it.each([
    ['metrics.m', "'metric' 'm'"],
    ['status', "'attribute' 'status'"],
    ['dataset.name', "'dataset' 'name'"],
  ])('rejects IS NULL for %s', (identifier, what) => {
    expect(messageOf(`${identifier} IS NULL`)).toBe(
      `IS NULL / IS NOT NULL is only supported for tags and params, not for ${what}`,
    )
  })

  it('accepts IS NULL for experiment tags only', () => {
    expect(parseSearchFilter('tags.t IS NOT NULL', 'experiments')).toEqual(
      comparison('tag', 't', 'IS NOT NULL', null),
    )
    expect(messageOf('name IS NULL', 'experiments')).toBe(
      "IS NULL / IS NOT NULL is only supported for tags, not for attribute 'name'",
    )
  })

  it.each(['registered_models', 'model_versions'] as const)('rejects IS NULL on %s', (target) => {
    expect(messageOf('tags.t IS NULL', target)).toBe('Invalid comparator for tag: IS NULL')
    expect(messageOf('name IS NOT NULL', target)).toBe('Invalid comparator for attribute: IS NOT NULL')
  })

  it.each(['params.p IS 5', 'params.p IS NOT', "params.p IS 'x'"])('rejects the malformed %j', (filter) => {
    expect(messageOf(filter)).toMatch(/^Invalid clause\(s\) in filter string: expected NULL/)
  })
})

describe('parseSearchFilter: experiments', () => {
  const experiments = (filter: string) => parseSearchFilter(filter, 'experiments')

  it('reads names and tags', () => {
    expect(
      experiments("name LIKE 'exp-%' AND tags.`team.name` ILIKE '%ml%' AND attribute.name != 'x'"),
    ).toEqual(
      and(
        comparison('attribute', 'name', 'LIKE', 'exp-%'),
        comparison('tag', 'team.name', 'ILIKE', '%ml%'),
        comparison('attribute', 'name', '!=', 'x'),
      ),
    )
  })

  it.each(['creation_time', 'last_update_time'])('reads %s as an integer', (key) => {
    expect(experiments(`${key} >= 1700000000000`)).toEqual(
      comparison('attribute', key, '>=', 1_700_000_000_000),
    )
  })

  it('rejects a non-integer time, as MLflow’s store does', () => {
    expect(messageOf('creation_time > 1.5', 'experiments')).toBe(
      "Invalid value for numeric attribute 'creation_time': '1.5'",
    )
  })

  it('reads experiment ids as canonical integers, alone or in lists', () => {
    expect(experiments("experiment_id = '007'")).toEqual(comparison('attribute', 'experiment_id', '=', '7'))
    expect(experiments("experiment_id NOT IN ('1', ' 2 ')")).toEqual(
      comparison('attribute', 'experiment_id', 'NOT IN', ['1', '2']),
    )
  })

  it('rejects an experiment id that is not an integer', () => {
    expect(messageOf("experiment_id IN ('1', 'abc')", 'experiments')).toBe(
      "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.",
    )
  })

  it.each([
    [
      "name IN ('a')",
      "Only ['experiment_id'] attributes support comparison with a list of quoted string values.",
    ],
    ["name > 'a'", 'Invalid comparator for string attribute: >'],
    ["experiment_id LIKE '1%'", 'Invalid comparator for experiment_id: LIKE'],
    ['creation_time LIKE 1', 'Invalid comparator for numeric attribute: LIKE'],
    ["tags.t > 'a'", 'Invalid comparator for tag: >'],
    ["metrics.m = 'a'", "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')"],
    [
      "attributes.name = 'a'",
      "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')",
    ],
    [
      "artifact_location = 'a'",
      "Invalid attribute key 'artifact_location' specified. Valid keys are '{'name', 'experiment_id', 'creation_time', 'last_update_time'}'",
    ],
  ])('rejects %j', (filter, message) => {
    expect(messageOf(filter, 'experiments')).toBe(message)
  })
})

describe('parseSearchFilter: registered models', () => {
  const models = (filter: string) => parseSearchFilter(filter, 'registered_models')

  it('reads names, name lists and tags', () => {
    expect(
      models("name IN ('A', 'b') AND tags.`mlflow.prompt.is_prompt` = 'true' AND name ILIKE '%x'"),
    ).toEqual(
      and(
        comparison('attribute', 'name', 'IN', ['A', 'b']),
        comparison('tag', 'mlflow.prompt.is_prompt', '=', 'true'),
        comparison('attribute', 'name', 'ILIKE', '%x'),
      ),
    )
  })

  it.each([
    ["tags.t IN ('a')", "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')"],
    ["tags.t > 'a'", 'Invalid comparator for tag: >'],
    ["name > 'a'", 'Invalid comparator for attribute: >'],
    [
      'name = 1',
      'Expected a quoted string value or a list of quoted string values for attributes. Got value 1',
    ],
    ["description = 'a'", "Invalid attribute key 'description' specified. Valid keys are '{'name'}'"],
    ["params.p = 'a'", "Invalid entity type 'params'. Valid entity types are ('attribute', 'tag', 'tags')"],
  ])('rejects %j', (filter, message) => {
    expect(messageOf(filter, 'registered_models')).toBe(message)
  })
})

describe('parseSearchFilter: model versions', () => {
  const versions = (filter: string) => parseSearchFilter(filter, 'model_versions')

  it('reads every attribute', () => {
    expect(
      versions("name = 'm' and version_number >= 2 and source_path LIKE 's3://%' and tags.t = 'x'"),
    ).toEqual(
      and(
        comparison('attribute', 'name', '=', 'm'),
        comparison('attribute', 'version_number', '>=', 2),
        comparison('attribute', 'source_path', 'LIKE', 's3://%'),
        comparison('tag', 't', '=', 'x'),
      ),
    )
  })

  it('reads a quoted version number as a number, as MLflow’s store does', () => {
    expect(versions("version_number = '3'")).toEqual(comparison('attribute', 'version_number', '=', 3))
  })

  it('reads name and run_id lists, dropping run ids with uppercase letters', () => {
    expect(versions("name NOT IN ('A') and run_id IN ('abc', 'DEF')")).toEqual(
      and(comparison('attribute', 'name', 'NOT IN', ['A']), comparison('attribute', 'run_id', 'IN', ['abc'])),
    )
  })

  it.each([
    ['version_number = 1.5', "Invalid value for numeric attribute 'version_number': 1.5"],
    ["version_number = 'x'", "Invalid value for numeric attribute 'version_number': 'x'"],
    ["version_number LIKE '1'", 'Invalid comparator for attribute version_number: LIKE'],
    [
      "source_path IN ('a')",
      "Only ['name', 'run_id'] attributes support comparison with a list of quoted string values.",
    ],
    [
      'name = 1',
      "Only the '{'version_number', 'creation_timestamp', 'last_updated_timestamp'}' attributes support comparison with numeric values.",
    ],
    ["tags.t ILIKE 'a' and tags.u > 'b'", 'Invalid comparator for tag: >'],
    [
      'creation_timestamp > 1',
      "Invalid attribute key 'creation_timestamp' specified. Valid keys are '{'name', 'version_number', 'run_id', 'source_path'}'",
    ],
  ])('rejects %j', (filter, message) => {
    expect(messageOf(filter, 'model_versions')).toBe(message)
  })
})

describe('parseSearchFilter: AND, OR and parentheses', () => {
  const a = comparison('param', 'a', '=', '1')
  const b = comparison('param', 'b', '=', '2')
  const c = comparison('param', 'c', '=', '3')
  const d = comparison('param', 'd', '=', '4')

  it('gives a lone comparison for a single clause', () => {
    expect(runs("params.a = '1'")).toEqual(a)
  })

  it('gives one flat and node for a chain of ANDs', () => {
    expect(runs("params.a = '1' AND params.b = '2' AND params.c = '3'")).toEqual(and(a, b, c))
  })

  it('binds AND tighter than OR', () => {
    expect(runs("params.a = '1' AND params.b = '2' OR params.c = '3' AND params.d = '4'")).toEqual(
      or(and(a, b), and(c, d)),
    )
    expect(runs("params.a = '1' OR params.b = '2' AND params.c = '3'")).toEqual(or(a, and(b, c)))
  })

  it('lets parentheses override precedence', () => {
    expect(runs("params.a = '1' AND (params.b = '2' OR params.c = '3')")).toEqual(and(a, or(b, c)))
    expect(runs("(params.a = '1' OR params.b = '2') AND (params.c = '3' OR params.d = '4')")).toEqual(
      and(or(a, b), or(c, d)),
    )
  })

  it('flattens nested groups of the same kind', () => {
    expect(runs("(params.a = '1' AND (params.b = '2' AND params.c = '3')) AND params.d = '4'")).toEqual(
      and(a, b, c, d),
    )
    expect(runs("params.a = '1' OR (params.b = '2' OR (params.c = '3')) or params.d = '4'")).toEqual(
      or(a, b, c, d),
    )
  })

  it('unwraps redundant parentheses', () => {
    expect(runs("((((params.a = '1'))))")).toEqual(a)
  })

  it.each(['OR', 'or', 'Or'])('reads %s case-insensitively', (keyword) => {
    expect(runs(`params.a = '1' ${keyword} params.b = '2'`)).toEqual(or(a, b))
  })

  it('accepts what MLflow accepts around ANDs: juxtaposed, leading, trailing and repeated', () => {
    expect(runs("params.a = '1' params.b = '2'")).toEqual(and(a, b))
    expect(runs("AND params.a = '1' AND AND params.b = '2' AND")).toEqual(and(a, b))
    expect(runs("params.a='1'and params.b='2'")).toEqual(and(a, b))
  })

  it('reads a juxtaposed IS NULL clause as AND (where MLflow folds the previous clause into the key)', () => {
    expect(runs("params.a = '1' tags.t IS NULL")).toEqual(and(a, comparison('tag', 't', 'IS NULL', null)))
  })

  it.each([
    ["params.a = '1' OR", 'expected a condition before the end of the input'],
    ["OR params.a = '1'", "expected a condition before 'OR'"],
    ["params.a = '1' OR OR params.b = '2'", "expected a condition before 'OR'"],
    ["params.a = '1' OR AND", 'expected a condition before the end of the input'],
    ['()', 'empty parentheses'],
    ["params.a = '1' AND ()", 'empty parentheses'],
    ["(params.a = '1'", "expected ')' to close the '(' at position 0"],
    ["params.a = '1')", "unexpected ')'"],
    ["(params.a = '1'))", "unexpected ')'"],
    ["NOT params.a = '1'", "unexpected 'NOT'"],
    ["params.a = '1' AND NOT params.b = '2'", "unexpected 'NOT'"],
  ])('rejects %j', (filter, detail) => {
    expect(messageOf(filter)).toContain(detail)
  })
})

describe('parseSearchFilter: syntax errors', () => {
  it.each([
    ["params.a = 'x", 'unterminated string at position 11'],
    ['params.a = "x', 'unterminated double-quoted string at position 11'],
    ["tags.`a = 'x'", 'unterminated backtick-quoted name at position 5'],
    ["params.a = 'x';", "unexpected character ';' at position 14"],
    ["params.a = 'x' -- comment", "unexpected character '-' at position 15"],
    ["params.a = 'x' /* c */", "unexpected character '/' at position 15"],
    ["params.a = 'x', params.b = 'y'", "unexpected ',' at position 14"],
    ["params.a = 'x' 5", "unexpected '5' at position 15"],
    ['metrics.a = 1.5x', "invalid number '1.5x' at position 12"],
    ['params.a', "expected a comparator after 'params.a' but found the end of the input at position 8"],
    ["params.a 'x'", "expected a comparator after 'params.a' but found ''x'' at position 9"],
    ['params.a =', "expected a value after '=' but found the end of the input at position 10"],
    ["= 'x'", "unexpected '=' at position 0"],
    ["'x' = params.a", "unexpected ''x'' at position 0"],
    ["params.a ! 'x'", "unexpected character '!' at position 9"],
  ])('reports %j with its position', (filter, detail) => {
    expect(messageOf(filter)).toBe(`Invalid clause(s) in filter string: ${detail}`)
  })
})

describe('parseSearchFilter: adversarial input', () => {
  it.each([
    "'); DROP TABLE runs; --",
    "params.a = 'x'); DROP TABLE runs; --",
    "params.a = 'x'; DROP TABLE runs",
    "params.a = 'x' UNION SELECT * FROM runs",
    "params.a = 'x' OR 1=1",
    "params.a = 'x' OR '1'='1'",
    'params.a = $1',
    'params.a = ?',
  ])('rejects the injection attempt %j', (filter) => {
    expect(() => runs(filter)).toThrow(MlflowError)
  })

  it('keeps SQL inside a quoted value as plain data', () => {
    expect(runs("params.a = '''); DROP TABLE runs; --'")).toEqual(
      comparison('param', 'a', '=', "''); DROP TABLE runs; --"),
    )
    expect(runs('tags.`x; DROP TABLE runs` = "1 OR 1=1"')).toEqual(
      comparison('tag', 'x; DROP TABLE runs', '=', '1 OR 1=1'),
    )
  })

  it('accepts nesting up to the depth limit', () => {
    const depth = MAX_SEARCH_FILTER_DEPTH
    expect(runs(`${'('.repeat(depth)}params.a = '1'${')'.repeat(depth)}`)).toEqual(
      comparison('param', 'a', '=', '1'),
    )
  })

  it('rejects nesting past the depth limit with a clear error', () => {
    const depth = MAX_SEARCH_FILTER_DEPTH + 1
    expect(messageOf(`${'('.repeat(depth)}params.a = '1'${')'.repeat(depth)}`)).toBe(
      `Filter string nests parentheses too deeply: the maximum depth is ${MAX_SEARCH_FILTER_DEPTH}`,
    )
  })

  it('rejects tens of thousands of open parentheses quickly and without overflowing the stack', () => {
    const started = performance.now()
    expect(messageOf('('.repeat(90_000))).toContain('nests parentheses too deeply')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('rejects a filter longer than the limit before reading it', () => {
    const filter = `params.a = '${'x'.repeat(MAX_SEARCH_FILTER_LENGTH)}'`
    expect(messageOf(filter)).toBe(
      `Filter string is too long: ${filter.length} characters, the maximum is ${MAX_SEARCH_FILTER_LENGTH}`,
    )
  })

  it('parses a long IN list of run ids quickly', () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => i.toString(16).padStart(32, 'a'))
    const filter = `run_id IN (${ids.map((id) => `'${id}'`).join(', ')})`
    expect(filter.length).toBeLessThanOrEqual(MAX_SEARCH_FILTER_LENGTH)
    const started = performance.now()
    expect(runs(filter)).toEqual(comparison('attribute', 'run_id', 'IN', ids))
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('parses thousands of OR-ed clauses without recursion trouble', () => {
    const filter = Array.from({ length: 5_000 }, (_, i) => `metrics.m = ${i}`).join(' OR ')
    const parsed = runs(filter)
    expect(parsed?.kind).toBe('or')
    expect(parsed?.kind === 'or' ? parsed.operands.length : 0).toBe(5_000)
  })

  it.each([
    ['backslash-quote runs', `params.a = '${"\\'".repeat(30_000)}`],
    ['doubled quotes', `params.a = ${"'".repeat(99_999)}`],
    ['alternating quotes', `params.a = ${`'"\``.repeat(30_000)}`],
    ['unclosed lists', `run_id IN ${'('.repeat(90_000)}`],
  ])('stays linear on pathological %s', (_name, filter) => {
    const started = performance.now()
    try {
      runs(filter)
    } catch (error) {
      expect(error).toBeInstanceOf(MlflowError)
    }
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it.each(['constructor.a = 1', '__proto__.a = 1', "toString = 'x'", "hasOwnProperty = 'x'"])(
    'treats the object-prototype name in %j as an unknown identifier',
    (filter) => {
      expect(messageOf(filter)).toMatch(/^Invalid (entity type|attribute key)/)
      expect(messageOf(filter, 'experiments')).toMatch(/^Invalid (entity type|attribute key)/)
    },
  )

  it.each(['constructor', '__proto__', 'toString'])(
    'throws a TypeError for the unknown target %s',
    (target) => {
      expect(() => parseSearchFilter("name = 'x'", target as SearchTarget)).toThrow(TypeError)
    },
  )

  it('handles control characters and non-BMP text as data', () => {
    expect(runs("tags.`k\u0000` = '\u0001😀\u2028'")).toEqual(
      comparison('tag', 'k\u0000', '=', '\u0001😀\u2028'),
    )
  })
})
