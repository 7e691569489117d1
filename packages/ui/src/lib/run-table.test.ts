import type { Run } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { aggregate, buildRows, cellValue, collectKeys, compareValues, indexRun } from './run-table.js'

function run(
  id: string,
  fields: {
    params?: Record<string, string>
    metrics?: Record<string, number>
    tags?: Record<string, string>
    start?: number
  },
): Run {
  return {
    info: {
      runId: id,
      runName: `name-${id}`,
      experimentId: '1',
      userId: 'u',
      status: 'FINISHED',
      startTime: fields.start ?? 0,
      endTime: (fields.start ?? 0) + 1000,
      artifactUri: '',
      lifecycleStage: 'active',
    },
    data: {
      params: Object.entries(fields.params ?? {}).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(fields.metrics ?? {}).map(([key, value]) => ({
        key,
        value,
        step: 0,
        timestamp: 0,
      })),
      tags: Object.entries(fields.tags ?? {}).map(([key, value]) => ({ key, value })),
    },
    inputs: { datasetInputs: [], modelInputs: [] },
    outputs: { modelOutputs: [] },
  }
}

const records = [
  indexRun(run('a', { params: { lr: '0.1', model: 'tree' }, metrics: { acc: 0.5 }, start: 3 })),
  indexRun(run('b', { params: { lr: '0.01', model: 'tree' }, metrics: { acc: 0.9 }, start: 2 })),
  indexRun(
    run('c', { params: { lr: '1e-3', model: 'linear' }, start: 1, tags: { 'mlflow.parentRunId': 'a' } }),
  ),
  indexRun(
    run('d', {
      params: { model: 'linear' },
      metrics: { acc: Number.NaN },
      tags: { 'mlflow.parentRunId': 'c' },
    }),
  ),
]
const ids = (rows: ReturnType<typeof buildRows>) =>
  rows.map((row) => (row.kind === 'run' ? row.record.id : row.key))

describe('run table rows', () => {
  it('reads attributes, params, metrics and tags by column name', () => {
    expect(cellValue(records[0]!, 'params.lr')).toBe('0.1')
    expect(cellValue(records[0]!, 'metrics.acc')).toBe(0.5)
    expect(cellValue(records[0]!, 'attributes.duration')).toBe(1000)
    expect(cellValue(records[2]!, 'tags.mlflow.parentRunId')).toBe('a')
    expect(collectKeys(records)).toEqual({
      params: ['lr', 'model'],
      metrics: ['acc'],
      tags: ['mlflow.parentRunId'],
    })
  })

  it('sorts numbers by value (numeric params too) and keeps missing values last in both directions', () => {
    expect(ids(buildRows(records, { sort: { column: 'params.lr', descending: false } }))).toEqual([
      'c',
      'b',
      'a',
      'd',
    ])
    expect(ids(buildRows(records, { sort: { column: 'params.lr', descending: true } }))).toEqual([
      'a',
      'b',
      'c',
      'd',
    ])
    expect(ids(buildRows(records, { sort: { column: 'metrics.acc', descending: true } }))).toEqual([
      'b',
      'a',
      'c',
      'd',
    ])
    expect(compareValues('10', '9')).toBeGreaterThan(0)
    expect(compareValues('b', 'a')).toBeGreaterThan(0)
  })

  it('nests children under parents, and hides the children of folded parents', () => {
    const rows = buildRows(records, {
      tree: true,
      sort: { column: 'attributes.start_time', descending: true },
    })
    expect(
      rows.map((row) => (row.kind === 'run' ? `${row.record.id}:${row.depth}:${row.childCount}` : '')),
    ).toEqual(['a:0:1', 'c:1:1', 'd:2:0', 'b:0:0'])
    expect(
      ids(
        buildRows(records, {
          tree: true,
          folded: new Set(['c']),
          sort: { column: 'attributes.start_time', descending: true },
        }),
      ),
    ).toEqual(['a', 'c', 'b'])
  })

  it('groups by a param with min/mean/max of metric columns, ignoring NaN', () => {
    const rows = buildRows(records, { groupBy: 'params.model', aggregateColumns: ['metrics.acc'] })
    const groups = rows.filter((row) => row.kind === 'group')
    expect(groups.map((group) => [group.value, group.count])).toEqual([
      ['linear', 2],
      ['tree', 2],
    ])
    expect(groups[1]?.aggregates['metrics.acc']).toEqual({ min: 0.5, max: 0.9, mean: 0.7, count: 2 })
    expect(groups[0]?.aggregates['metrics.acc']).toBeUndefined()
    expect(ids(buildRows(records, { groupBy: 'params.model', folded: new Set(['g:tree']) }))).toEqual([
      'g:linear',
      'c',
      'd',
      'g:tree',
    ])
    expect(aggregate(records, ['params.lr'])['params.lr']?.max).toBe(0.1)
  })

  it('survives a parent cycle', () => {
    const cycle = [
      indexRun(run('x', { tags: { 'mlflow.parentRunId': 'y' } })),
      indexRun(run('y', { tags: { 'mlflow.parentRunId': 'x' } })),
    ]
    expect(ids(buildRows(cycle, { tree: true })).sort()).toEqual(['x', 'y'])
  })
})
