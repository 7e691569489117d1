import { describe, expect, it } from 'vitest'
import { MlflowError } from '../errors.js'
import type { OrderBy } from './ast.js'
import { parseOrderBy } from './parse-order-by.js'
import type { SearchTarget } from './search-target.js'

function messageOf(orderBy: string[], target: SearchTarget): string {
  try {
    parseOrderBy(orderBy, target)
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowError)
    expect((error as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
    return (error as MlflowError).message
  }
  throw new Error(`Expected ${JSON.stringify(orderBy)} to be rejected for ${target}`)
}

const field = (entity: OrderBy['entity'], key: string, ascending = true): OrderBy => ({
  entity,
  key,
  ascending,
})

describe('parseOrderBy', () => {
  it.each([undefined, []])('returns no ordering for %j, leaving defaults to the store', (orderBy) => {
    expect(parseOrderBy(orderBy, 'runs')).toEqual([])
  })

  it.each([
    ['metrics.m', field('metric', 'm')],
    ['metric.m ASC', field('metric', 'm')],
    ['metrics.m DESC', field('metric', 'm', false)],
    ['metrics.m desc', field('metric', 'm', false)],
    ['metrics.m DeSc', field('metric', 'm', false)],
    ['params.p asc', field('param', 'p')],
    ['parameters.p', field('param', 'p')],
    ['tags.t DESC', field('tag', 't', false)],
    ['start_time DESC', field('attribute', 'start_time', false)],
    ['attributes.end_time', field('attribute', 'end_time')],
    ['attr.status', field('attribute', 'status')],
    ['run.run_id', field('attribute', 'run_id')],
    ['created DESC', field('attribute', 'start_time', false)],
    ['Created', field('attribute', 'start_time')],
    ['attributes.`Run Name`', field('attribute', 'run_name')],
    ['metrics.`my metric` DESC', field('metric', 'my metric', false)],
    ['metrics."my metric"', field('metric', 'my metric')],
    ["metrics.'my metric'", field('metric', 'my metric')],
    ['tags.`mlflow.runName`', field('tag', 'mlflow.runName')],
    ['params.a.b', field('param', 'a.b')],
    ['  metrics.m   DESC  ', field('metric', 'm', false)],
  ])('reads the runs order_by %j', (item, expected) => {
    expect(parseOrderBy([item], 'runs')).toEqual([expected])
  })

  it('keeps the order of several items', () => {
    expect(parseOrderBy(['metrics.m DESC', 'params.p', 'run_id'], 'runs')).toEqual([
      field('metric', 'm', false),
      field('param', 'p'),
      field('attribute', 'run_id'),
    ])
  })

  it.each([
    ['metrics.m foo', "Invalid ordering key in order_by clause 'metrics.m foo'."],
    [
      'metrics.m DESC NULLS LAST',
      "Invalid order_by clause 'metrics.m DESC NULLS LAST'. Could not be parsed.",
    ],
    ['metrics.m, metrics.n', "Invalid order_by clause 'metrics.m, metrics.n'. Could not be parsed."],
    ['metrics.m DESC DESC', "Invalid order_by clause 'metrics.m DESC DESC'. Could not be parsed."],
    ['', "Invalid order_by clause ''. Could not be parsed."],
    [' ', "Invalid order_by clause ' '. Could not be parsed."],
    ['metrics.', "Invalid order_by clause 'metrics.'. Could not be parsed."],
    ['metrics.`m', "Invalid order_by clause 'metrics.`m'. Could not be parsed."],
    ['(metrics.m)', "Invalid order_by clause '(metrics.m)'. Could not be parsed."],
    [
      'foo.x',
      "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
    ],
    ['dataset.name', "Invalid identifier type 'dataset'"],
  ])('rejects the runs order_by %j', (item, message) => {
    expect(messageOf([item], 'runs')).toBe(message)
  })

  it.each(['timestamp', 'name', 'experiment_id'])('rejects the unknown run attribute %s', (key) => {
    expect(messageOf([key], 'runs')).toMatch(
      new RegExp(`^Invalid attribute key '${key}' specified. Valid keys are`),
    )
  })

  it.each([
    [['metrics.m', 'metrics.m DESC'], "['metrics.m', 'metrics.m DESC']"],
    [['start_time', 'created DESC'], "['start_time', 'created DESC']"],
    [['params.a', 'parameters.a'], "['params.a', 'parameters.a']"],
  ])('rejects the duplicate run fields in %j', (orderBy, list) => {
    expect(messageOf(orderBy, 'runs')).toBe(`\`order_by\` contains duplicate fields: ${list}`)
  })

  it('allows the same key under different entities', () => {
    expect(parseOrderBy(['metrics.x', 'params.x', 'tags.x'], 'runs')).toEqual([
      field('metric', 'x'),
      field('param', 'x'),
      field('tag', 'x'),
    ])
  })

  it('reads the experiment keys', () => {
    expect(
      parseOrderBy(
        ['name DESC', 'attribute.experiment_id', 'creation_time asc', 'last_update_time DESC'],
        'experiments',
      ),
    ).toEqual([
      field('attribute', 'name', false),
      field('attribute', 'experiment_id'),
      field('attribute', 'creation_time'),
      field('attribute', 'last_update_time', false),
    ])
  })

  it('lets experiments name a field twice, as MLflow does', () => {
    expect(parseOrderBy(['name', 'name DESC'], 'experiments')).toEqual([
      field('attribute', 'name'),
      field('attribute', 'name', false),
    ])
  })

  it.each([
    ['tags.t', 'Invalid order_by entity: tag'],
    [
      'attributes.name',
      "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')",
    ],
    [
      'timestamp',
      "Invalid attribute key 'timestamp' specified. Valid keys are '{'name', 'experiment_id', 'creation_time', 'last_update_time'}'",
    ],
  ])('rejects the experiments order_by %j', (item, message) => {
    expect(messageOf([item], 'experiments')).toBe(message)
  })

  it('reads the registered model keys, with both timestamps meaning the last update', () => {
    expect(parseOrderBy(['name DESC', 'timestamp'], 'registered_models')).toEqual([
      field('attribute', 'name', false),
      field('attribute', 'last_updated_timestamp'),
    ])
    expect(parseOrderBy(['last_updated_timestamp desc'], 'registered_models')).toEqual([
      field('attribute', 'last_updated_timestamp', false),
    ])
  })

  it.each(['creation_timestamp', 'tags.t', 'foo'])('rejects the registered model order_by %j', (item) => {
    expect(messageOf([item], 'registered_models')).toBe(
      `Invalid order by key '${item}' specified. Valid keys are '{'name', 'timestamp'}'`,
    )
  })

  it.each([[['timestamp', 'last_updated_timestamp DESC']], [['name', 'name DESC']]])(
    'rejects the duplicate registered model fields in %j',
    (orderBy) => {
      expect(messageOf(orderBy, 'registered_models')).toMatch(/^`order_by` contains duplicate fields: \[/)
    },
  )

  it('reads the model version keys', () => {
    expect(
      parseOrderBy(
        ['name', 'version_number DESC', 'creation_timestamp', 'attribute.last_updated_timestamp ASC'],
        'model_versions',
      ),
    ).toEqual([
      field('attribute', 'name'),
      field('attribute', 'version_number', false),
      field('attribute', 'creation_timestamp'),
      field('attribute', 'last_updated_timestamp'),
    ])
  })

  it.each([
    ['tags.t', 'Invalid order_by entity: tag'],
    [
      'run_id',
      "Invalid attribute key 'run_id' specified. Valid keys are '{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'",
    ],
  ])('rejects the model version order_by %j', (item, message) => {
    expect(messageOf([item], 'model_versions')).toBe(message)
  })

  it('rejects duplicate model version fields', () => {
    expect(messageOf(['version_number', 'version_number DESC'], 'model_versions')).toBe(
      "`order_by` contains duplicate fields: ['version_number', 'version_number DESC']",
    )
  })

  it('rejects an overlong order_by item without reading it', () => {
    expect(messageOf([`metrics.${'m'.repeat(200_000)}`], 'runs')).toMatch(/^Invalid order_by clause/)
  })
})
