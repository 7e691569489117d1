import type { Comparison, FilterExpression, OrderBy, Run, ViewType } from '@cairn/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectMlflowError } from './test-support/assertions.js'
import { describeEachStore, uniqueName } from './test-support/index.js'
import type { TrackingStore } from './tracking-store.js'

const cmp = (
  entity: Comparison['entity'],
  key: string,
  comparator: Comparison['comparator'],
  value: Comparison['value'],
): Comparison => ({ kind: 'comparison', entity, key, comparator, value })
const and = (...operands: FilterExpression[]): FilterExpression => ({ kind: 'and', operands })
const or = (...operands: FilterExpression[]): FilterExpression => ({ kind: 'or', operands })

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// A reference implementation of the search semantics, to compare the SQL against.
function likeToRegExp(pattern: string, flags: string): RegExp {
  let source = ''
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!
    if (char === '\\' && index + 1 < pattern.length)
      source += pattern[++index]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    else if (char === '%') source += '[\\s\\S]*'
    else if (char === '_') source += '[\\s\\S]'
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, flags)
}

function matchesString(actual: string | undefined, comparison: Comparison): boolean {
  if (comparison.comparator === 'IS NULL') return actual === undefined
  if (comparison.comparator === 'IS NOT NULL') return actual !== undefined
  if (actual === undefined) return false
  const value = comparison.value
  switch (comparison.comparator) {
    case '=':
      return actual === value
    case '!=':
      return actual !== value
    case 'LIKE':
      return likeToRegExp(value as string, '').test(actual)
    case 'ILIKE':
      return likeToRegExp(value as string, 'i').test(actual)
    case 'IN':
      return (value as string[]).includes(actual)
    case 'NOT IN':
      return !(value as string[]).includes(actual)
    default:
      throw new Error(`unsupported ${comparison.comparator}`)
  }
}

function matchesNumber(actual: number | undefined, comparison: Comparison): boolean {
  if (comparison.comparator === 'IS NULL') return actual === undefined
  if (comparison.comparator === 'IS NOT NULL') return actual !== undefined
  if (actual === undefined) return false
  const value = comparison.value as number
  switch (comparison.comparator) {
    case '=':
      return actual === value
    case '!=':
      return actual !== value
    case '>':
      return actual > value
    case '>=':
      return actual >= value
    case '<':
      return actual < value
    case '<=':
      return actual <= value
    default:
      throw new Error(`unsupported ${comparison.comparator}`)
  }
}

function referenceMatch(run: Run, expression: FilterExpression): boolean {
  if (expression.kind === 'and') return expression.operands.every((operand) => referenceMatch(run, operand))
  if (expression.kind === 'or') return expression.operands.some((operand) => referenceMatch(run, operand))
  const { entity, key } = expression
  if (entity === 'metric')
    return matchesNumber(run.data.metrics.find((m) => m.key === key)?.value, expression)
  if (entity === 'param') return matchesString(run.data.params.find((p) => p.key === key)?.value, expression)
  if (entity === 'tag') return matchesString(run.data.tags.find((t) => t.key === key)?.value, expression)
  if (entity === 'attribute') {
    if (key === 'run_name')
      return matchesString(run.data.tags.find((t) => t.key === 'mlflow.runName')?.value, expression)
    if (key === 'run_id') return matchesString(run.info.runId, expression)
    if (key === 'status') return matchesString(run.info.status, expression)
    if (key === 'start_time') return matchesNumber(run.info.startTime, expression)
    if (key === 'end_time') return matchesNumber(run.info.endTime, expression)
  }
  throw new Error(`reference does not know ${entity}.${key}`)
}

function referenceSort(runs: Run[], orderBy: OrderBy[]): Run[] {
  const sortValue = (run: Run, item: OrderBy): { rank: number; value?: number | string } => {
    if (item.entity === 'metric') {
      const point = run.data.metrics.find((m) => m.key === item.key)
      if (!point) return { rank: 2 }
      return Number.isNaN(point.value) ? { rank: 1, value: 0 } : { rank: 0, value: point.value }
    }
    const list = item.entity === 'param' ? run.data.params : run.data.tags
    const found = list.find((entry) => entry.key === item.key)
    return found ? { rank: 0, value: found.value } : { rank: 1 }
  }
  return [...runs].sort((a, b) => {
    for (const item of orderBy) {
      const left = sortValue(a, item)
      const right = sortValue(b, item)
      if (left.rank !== right.rank) return left.rank - right.rank
      if (left.value !== right.value && left.value !== undefined && right.value !== undefined) {
        const order = left.value < right.value ? -1 : 1
        return item.ascending ? order : -order
      }
    }
    if (a.info.startTime !== b.info.startTime) return b.info.startTime - a.info.startTime
    return a.info.runId < b.info.runId ? -1 : 1
  })
}

describeEachStore('searchRuns', (getStore) => {
  let experimentId: string
  let runs: Run[] = []
  const search = async (
    options: {
      filter?: FilterExpression
      orderBy?: OrderBy[]
      viewType?: ViewType
      maxResults?: number
      offset?: number
      experimentIds?: string[]
    } = {},
  ) =>
    getStore().searchRuns({
      experimentIds: options.experimentIds ?? [experimentId],
      filter: options.filter,
      viewType: options.viewType ?? 'ACTIVE_ONLY',
      maxResults: options.maxResults ?? 1000,
      orderBy: options.orderBy ?? [],
      offset: options.offset ?? 0,
    })
  const ids = async (options: Parameters<typeof search>[0]) =>
    (await search(options)).items.map((run) => run.info.runId)
  const expectSameAsReference = async (filter: FilterExpression | undefined, orderBy: OrderBy[] = []) => {
    const active = runs.filter((run) => run.info.lifecycleStage === 'active')
    const expected = referenceSort(
      filter ? active.filter((run) => referenceMatch(run, filter)) : active,
      orderBy,
    )
    expect(await ids({ filter, orderBy })).toEqual(expected.map((run) => run.info.runId))
  }

  beforeAll(async () => {
    const store: TrackingStore = getStore()
    experimentId = await store.createExperiment({ name: uniqueName('search') })
    const next = random(7)
    for (let index = 0; index < 60; index++) {
      const run = await store.createRun({
        experimentId,
        userId: index % 2 ? 'alice' : 'Bob',
        runName: `run-${index % 7}-${index}`,
        startTime: 1000 + (index % 10),
        tags:
          next() < 0.8 ? [{ key: 'team', value: ['Vision', 'vision', 'nlp', 'speech%'][index % 4]! }] : [],
      })
      const metrics = []
      if (next() < 0.85)
        metrics.push({
          key: 'acc',
          value: next() < 0.1 ? Number.NaN : Math.round(next() * 20) / 20,
          timestamp: 1,
          step: 0,
        })
      if (next() < 0.7)
        metrics.push({ key: 'loss', value: Math.round(next() * 100) / 10, timestamp: 1, step: 0 })
      const params = []
      if (next() < 0.9)
        params.push({ key: 'model', value: ['cnn', 'vit', 'CNN', 'mlp_2'][Math.floor(next() * 4)]! })
      if (next() < 0.6) params.push({ key: 'lr', value: String([0.1, 0.01, 0.001][index % 3]) })
      await store.logBatch({ runId: run.info.runId, metrics, params, tags: [] })
      if (index % 5 === 0)
        await store.updateRun({ runId: run.info.runId, status: 'FINISHED', endTime: 5000 + index })
      if (index % 13 === 0) await store.deleteRun(run.info.runId)
    }
    runs = (await search({ viewType: 'ALL' })).items
    expect(runs).toHaveLength(60)
  })

  it('orders by start_time DESC then run_id ASC by default', async () => {
    await expectSameAsReference(undefined)
  })

  it.each([
    ['metric >', cmp('metric', 'acc', '>', 0.5)],
    ['metric = on an exact value', cmp('metric', 'acc', '=', 0.5)],
    ['metric != (never matches a missing metric, always matches NaN)', cmp('metric', 'acc', '!=', 0.5)],
    ['metric <=', cmp('metric', 'loss', '<=', 3)],
    ['param =', cmp('param', 'model', '=', 'cnn')],
    ['param != (missing params never match)', cmp('param', 'model', '!=', 'cnn')],
    ['param LIKE is case-sensitive', cmp('param', 'model', 'LIKE', 'c%')],
    ['param ILIKE is case-insensitive', cmp('param', 'model', 'ILIKE', 'c%')],
    ['LIKE with _ and an escaped _', cmp('param', 'model', 'LIKE', 'mlp\\__')],
    ['tag ILIKE', cmp('tag', 'team', 'ILIKE', 'VISION')],
    ['tag LIKE with an escaped %', cmp('tag', 'team', 'LIKE', 'speech\\%')],
    ['run_name LIKE via the mlflow.runName tag', cmp('attribute', 'run_name', 'LIKE', 'run-3-%')],
    ['status', cmp('attribute', 'status', '=', 'FINISHED')],
    ['end_time (missing never matches)', cmp('attribute', 'end_time', '>', 5010)],
    ['start_time', cmp('attribute', 'start_time', '<', 1003)],
    ['metric AND param', and(cmp('metric', 'acc', '>', 0.3), cmp('param', 'model', '=', 'vit'))],
    [
      'three value joins',
      and(
        cmp('metric', 'acc', '>=', 0.2),
        cmp('metric', 'loss', '<', 8),
        cmp('param', 'model', 'IN', ['cnn', 'CNN']),
      ),
    ],
    ['OR of entities', or(cmp('param', 'model', '=', 'vit'), cmp('tag', 'team', '=', 'nlp'))],
    [
      'a AND (b OR c)',
      and(
        cmp('metric', 'acc', '>', 0.2),
        or(cmp('param', 'model', '=', 'cnn'), cmp('param', 'lr', '=', '0.01')),
      ),
    ],
    [
      '(a AND b) OR (c AND NOT-IN)',
      or(
        and(cmp('metric', 'loss', '>', 5), cmp('tag', 'team', 'LIKE', 'v%')),
        and(cmp('param', 'lr', '=', '0.1'), cmp('param', 'model', 'NOT IN', ['cnn', 'vit'])),
      ),
    ],
    ['IS NULL finds the runs without the value', cmp('metric', 'loss', 'IS NULL', null)],
    ['IS NOT NULL', cmp('param', 'lr', 'IS NOT NULL', null)],
  ] as const)('matches the reference semantics: %s', async (_name, filter) => {
    await expectSameAsReference(filter)
  })

  it.each([
    [
      'metric DESC: NaN after real values, then missing',
      [{ entity: 'metric', key: 'acc', ascending: false }],
    ],
    ['metric ASC: NaN after real values, then missing', [{ entity: 'metric', key: 'acc', ascending: true }]],
    ['param ASC with missing last', [{ entity: 'param', key: 'model', ascending: true }]],
    ['tag DESC with missing last', [{ entity: 'tag', key: 'team', ascending: false }]],
    [
      'two keys',
      [
        { entity: 'param', key: 'lr', ascending: true },
        { entity: 'metric', key: 'loss', ascending: false },
      ],
    ],
  ] as const)('orders like the reference: %s', async (_name, orderBy) => {
    await expectSameAsReference(undefined, orderBy as unknown as OrderBy[])
    await expectSameAsReference(cmp('metric', 'acc', '>', 0.1), orderBy as unknown as OrderBy[])
  })

  it('orders by attributes, with missing end times last either way', async () => {
    const byEnd = await search({ orderBy: [{ entity: 'attribute', key: 'end_time', ascending: false }] })
    const ends = byEnd.items.map((run) => run.info.endTime)
    const present = ends.filter((end) => end !== undefined)
    expect(ends.slice(0, present.length)).toEqual([...present].sort((a, b) => b! - a!))
    expect(ends.slice(present.length).every((end) => end === undefined)).toBe(true)
    const byName = (await search({ orderBy: [{ entity: 'attribute', key: 'run_name', ascending: true }] }))
      .items
    expect(byName.map((run) => run.info.runName)).toEqual(byName.map((run) => run.info.runName).sort())
  })

  it('filters run ids with IN and NOT IN', async () => {
    const some = runs
      .filter((run) => run.info.lifecycleStage === 'active')
      .slice(0, 3)
      .map((run) => run.info.runId)
    expect(new Set(await ids({ filter: cmp('attribute', 'run_id', 'IN', some) }))).toEqual(new Set(some))
    expect(await ids({ filter: cmp('attribute', 'run_id', 'NOT IN', some) })).toHaveLength(
      runs.filter((run) => run.info.lifecycleStage === 'active').length - 3,
    )
    expect(await ids({ filter: cmp('attribute', 'run_id', 'IN', []) })).toEqual([])
  })

  it('honours view types', async () => {
    const deleted = runs.filter((run) => run.info.lifecycleStage === 'deleted').map((run) => run.info.runId)
    expect(deleted.length).toBeGreaterThan(0)
    expect(new Set(await ids({ viewType: 'DELETED_ONLY' }))).toEqual(new Set(deleted))
    expect(await ids({ viewType: 'ALL' })).toHaveLength(60)
  })

  it('pages by offset, with a next offset whenever a page is full', async () => {
    const all = await ids({})
    const first = await search({ maxResults: 25 })
    expect(first.nextOffset).toBe(25)
    const second = await search({ maxResults: 25, offset: 25 })
    const rest = await search({ maxResults: 25, offset: 50 })
    expect([...first.items, ...second.items, ...rest.items].map((run) => run.info.runId)).toEqual(all)
    expect(rest.nextOffset).toBeUndefined()
    const exact = await search({ maxResults: all.length })
    expect(exact.nextOffset).toBe(all.length)
    expect((await search({ maxResults: 10, offset: all.length })).items).toEqual([])
  })

  it('loads params, latest metrics and tags of every run on the page', async () => {
    const page = await search({ filter: cmp('param', 'model', '=', 'vit') })
    for (const run of page.items) {
      expect(run).toEqual(await getStore().getRun(run.info.runId))
    }
  })

  it('searches several experiments at once and ignores malformed ids', async () => {
    const store = getStore()
    const other = await store.createExperiment({ name: uniqueName('other') })
    const run = await store.createRun({
      experimentId: other,
      userId: 'u',
      runName: 'x',
      startTime: 1,
      tags: [],
    })
    const both = await ids({ experimentIds: [experimentId, other, 'not-a-number'] })
    expect(both).toContain(run.info.runId)
    expect(both).toHaveLength(runs.filter((r) => r.info.lifecycleStage === 'active').length + 1)
    expect(await ids({ experimentIds: ['abc'] })).toEqual([])
  })

  it('filters on datasets by name, digest and context', async () => {
    const store = getStore()
    const experiment = await store.createExperiment({ name: uniqueName('datasets') })
    const withTraining = await store.createRun({
      experimentId: experiment,
      userId: 'u',
      runName: 'a',
      startTime: 2,
      tags: [],
    })
    const withEval = await store.createRun({
      experimentId: experiment,
      userId: 'u',
      runName: 'b',
      startTime: 1,
      tags: [],
    })
    await store.createRun({ experimentId: experiment, userId: 'u', runName: 'c', startTime: 0, tags: [] })
    const input = (name: string, digest: string, context: string) => ({
      dataset: { name, digest, sourceType: 'local', source: 'x' },
      tags: [{ key: 'mlflow.data.context', value: context }],
    })
    await store.logInputs(withTraining.info.runId, [input('iris', 'd1', 'training')], [])
    await store.logInputs(withEval.info.runId, [input('iris', 'd2', 'eval'), input('wine', 'd3', 'eval')], [])
    const find = async (filter: FilterExpression) =>
      (await search({ experimentIds: [experiment], filter })).items.map((run) => run.info.runName)
    expect(await find(cmp('dataset', 'name', '=', 'iris'))).toEqual(['a', 'b'])
    expect(await find(cmp('dataset', 'digest', 'IN', ['d2', 'd9']))).toEqual(['b'])
    expect(await find(cmp('dataset', 'context', '=', 'training'))).toEqual(['a'])
    expect(await find(cmp('dataset', 'name', '!=', 'iris'))).toEqual(['b'])
    expect(await find(cmp('dataset', 'context', 'ILIKE', 'EV%'))).toEqual(['b'])
  })

  it('binds hostile keys and values as data', async () => {
    const store = getStore()
    const experiment = await store.createExperiment({ name: uniqueName('inject') })
    const run = await store.createRun({
      experimentId: experiment,
      userId: 'u',
      runName: 'x',
      startTime: 1,
      tags: [],
    })
    const hostile = `k'); DROP TABLE runs; --"\``
    await store.logBatch({
      runId: run.info.runId,
      metrics: [{ key: hostile, value: 1, timestamp: 1, step: 0 }],
      params: [{ key: hostile, value: "v' OR '1'='1" }],
      tags: [{ key: hostile, value: '%' }],
    })
    const find = async (filter: FilterExpression, orderBy: OrderBy[] = []) =>
      (await search({ experimentIds: [experiment], filter, orderBy })).items.map((r) => r.info.runId)
    expect(
      await find(cmp('param', hostile, '=', "v' OR '1'='1"), [
        { entity: 'metric', key: hostile, ascending: true },
      ]),
    ).toEqual([run.info.runId])
    expect(await find(cmp('param', hostile, '=', "x' OR '1'='1"))).toEqual([])
    expect(await find(cmp('metric', hostile, '>', 0))).toEqual([run.info.runId])
    expect(await find(cmp('tag', "nope' OR 1=1 --", '!=', 'x'))).toEqual([])
    expect(await find(cmp('attribute', 'run_id', 'IN', ["') OR 1=1 --"]))).toEqual([])
    expect((await store.getRun(run.info.runId)).data.params).toEqual([
      { key: hostile, value: "v' OR '1'='1" },
    ])
  })

  it('rejects unsupported comparisons and duplicate order keys', async () => {
    await expectMlflowError(search({ filter: cmp('metric', 'acc', 'LIKE', '1%') }), 'INVALID_PARAMETER_VALUE')
    await expectMlflowError(search({ filter: cmp('metric', 'acc', '>', 'high') }), 'INVALID_PARAMETER_VALUE')
    await expectMlflowError(search({ filter: cmp('param', 'model', '>', 'a') }), 'INVALID_PARAMETER_VALUE')
    await expectMlflowError(
      search({ filter: cmp('attribute', 'bogus', '=', 'a') }),
      'INVALID_PARAMETER_VALUE',
    )
    await expectMlflowError(search({ filter: cmp('dataset', 'bogus', '=', 'a') }), 'INVALID_PARAMETER_VALUE')
    await expectMlflowError(
      search({
        orderBy: [
          { entity: 'metric', key: 'acc', ascending: true },
          { entity: 'metric', key: 'acc', ascending: false },
        ],
      }),
      'INVALID_PARAMETER_VALUE',
    )
  })
})

describe('reference LIKE helper', () => {
  it('translates wildcards and escapes', () => {
    expect(likeToRegExp('a\\_b%', '').test('a_bzz')).toBe(true)
    expect(likeToRegExp('a\\_b%', '').test('axbzz')).toBe(false)
  })
})
