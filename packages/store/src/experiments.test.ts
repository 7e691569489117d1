import type { FilterExpression, MlflowError } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { appendToUri } from './sql-tracking-store.js'
import { expectMlflowError } from './test-support/assertions.js'
import {
  createTestStore,
  describeEachStore,
  IS_CI,
  POSTGRES_PROBLEM,
  STORE_KINDS,
  uniqueName,
} from './test-support/index.js'

describe('appendToUri', () => {
  it('joins with exactly one slash whatever the root looks like', () => {
    expect(appendToUri('mlflow-artifacts:/', '3')).toBe('mlflow-artifacts:/3')
    expect(appendToUri('s3://bucket/prefix', '3')).toBe('s3://bucket/prefix/3')
    expect(appendToUri('s3://bucket/prefix/', '3')).toBe('s3://bucket/prefix/3')
    expect(appendToUri('/data/artifacts//', '3', 'abc', 'artifacts')).toBe('/data/artifacts/3/abc/artifacts')
  })
})

describeEachStore('experiments', (getStore) => {
  it('has the Default experiment 0 under the artifact root', async () => {
    const experiment = await getStore().getExperiment('0')
    expect(experiment).toMatchObject({
      experimentId: '0',
      name: 'Default',
      artifactLocation: 'mlflow-artifacts:/0',
      lifecycleStage: 'active',
      tags: [],
    })
  })

  it('creates experiments with increasing integer ids, default locations and tags', async () => {
    const store = getStore()
    const first = await store.createExperiment({
      name: uniqueName('exp'),
      tags: [{ key: 'team', value: 'a' }],
    })
    const second = await store.createExperiment({
      name: uniqueName('exp'),
      artifactLocation: 's3://bucket/x',
    })
    expect(Number(second)).toBeGreaterThan(Number(first))
    expect(first).toMatch(/^\d+$/)
    const experiment = await store.getExperiment(first)
    expect(experiment.artifactLocation).toBe(`mlflow-artifacts:/${first}`)
    expect(experiment.tags).toEqual([{ key: 'team', value: 'a' }])
    expect(experiment.creationTime).toBeGreaterThan(0)
    expect(experiment.lastUpdateTime).toBe(experiment.creationTime)
    expect((await store.getExperiment(second)).artifactLocation).toBe('s3://bucket/x')
  })

  it('rejects a duplicate name with RESOURCE_ALREADY_EXISTS', async () => {
    const store = getStore()
    const name = uniqueName('dup')
    await store.createExperiment({ name })
    await expectMlflowError(
      store.createExperiment({ name }),
      'RESOURCE_ALREADY_EXISTS',
      `Experiment(name=${name}) already exists.`,
    )
  })

  it('returns RESOURCE_DOES_NOT_EXIST for unknown and malformed ids', async () => {
    const store = getStore()
    await expectMlflowError(
      store.getExperiment('987654'),
      'RESOURCE_DOES_NOT_EXIST',
      'No Experiment with id=987654 exists',
    )
    await expectMlflowError(store.getExperiment('abc'), 'RESOURCE_DOES_NOT_EXIST')
    await expectMlflowError(store.getExperiment('99999999999999'), 'RESOURCE_DOES_NOT_EXIST')
    await expectMlflowError(store.getExperiment("1' OR '1'='1"), 'RESOURCE_DOES_NOT_EXIST')
  })

  it('finds experiments by exact name', async () => {
    const store = getStore()
    const name = uniqueName('Named')
    const id = await store.createExperiment({ name })
    expect((await store.findExperimentByName(name))?.experimentId).toBe(id)
    expect(await store.findExperimentByName(name.toLowerCase())).toBeUndefined()
    expect(await store.findExperimentByName(uniqueName('missing'))).toBeUndefined()
  })

  it('deletes and restores an experiment together with its runs', async () => {
    const store = getStore()
    const id = await store.createExperiment({ name: uniqueName('lifecycle') })
    const run = await store.createRun({ experimentId: id, userId: 'u', runName: 'r', startTime: 1, tags: [] })
    const before = await store.getExperiment(id)
    await store.deleteExperiment(id)
    const deleted = await store.getExperiment(id)
    expect(deleted.lifecycleStage).toBe('deleted')
    expect(deleted.lastUpdateTime).toBeGreaterThanOrEqual(before.lastUpdateTime)
    expect((await store.getRunInfo(run.info.runId)).lifecycleStage).toBe('deleted')
    await expectMlflowError(store.deleteExperiment(id), 'RESOURCE_DOES_NOT_EXIST')
    await store.restoreExperiment(id)
    expect((await store.getExperiment(id)).lifecycleStage).toBe('active')
    expect((await store.getRunInfo(run.info.runId)).lifecycleStage).toBe('active')
    await expectMlflowError(store.restoreExperiment(id), 'RESOURCE_DOES_NOT_EXIST')
  })

  it('renames active experiments only, refusing taken names', async () => {
    const store = getStore()
    const id = await store.createExperiment({ name: uniqueName('old') })
    const newName = uniqueName('new')
    await store.renameExperiment(id, newName)
    expect((await store.getExperiment(id)).name).toBe(newName)
    const other = await store.createExperiment({ name: uniqueName('other') })
    await expectMlflowError(store.renameExperiment(other, newName), 'RESOURCE_ALREADY_EXISTS')
    await store.deleteExperiment(other)
    await expectMlflowError(
      store.renameExperiment(other, uniqueName('x')),
      'INVALID_STATE',
      'Cannot rename a non-active experiment.',
    )
    await expectMlflowError(store.renameExperiment('424242', 'x'), 'RESOURCE_DOES_NOT_EXIST')
  })

  it('upserts and deletes experiment tags', async () => {
    const store = getStore()
    const id = await store.createExperiment({ name: uniqueName('tags') })
    await store.setExperimentTag(id, { key: 'k', value: 'one' })
    await store.setExperimentTag(id, { key: 'k', value: 'two' })
    await store.setExperimentTag(id, { key: 'multi', value: 'line\nvalue' })
    await store.setExperimentTag(id, { key: 'empty', value: '' })
    expect((await store.getExperiment(id)).tags).toEqual([
      { key: 'empty', value: '' },
      { key: 'k', value: 'two' },
      { key: 'multi', value: 'line\nvalue' },
    ])
    await store.deleteExperimentTag(id, 'k')
    expect((await store.getExperiment(id)).tags.map((tag) => tag.key)).toEqual(['empty', 'multi'])
    await expectMlflowError(
      store.deleteExperimentTag(id, 'k'),
      'RESOURCE_DOES_NOT_EXIST',
      `No tag with name: k in experiment with id ${id}`,
    )
    await expectMlflowError(
      store.setExperimentTag('777777', { key: 'a', value: 'b' }),
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  describe('searchExperiments', () => {
    const prefix = uniqueName('srch')
    const ids: Record<string, string> = {}

    const search = async (options: {
      filter?: FilterExpression
      orderBy?: { key: string; ascending: boolean }[]
      viewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL'
      maxResults?: number
      offset?: number
    }) => {
      const nameFilter: FilterExpression = {
        kind: 'comparison',
        entity: 'attribute',
        key: 'name',
        comparator: 'LIKE',
        value: `${prefix}%`,
      }
      return getStore().searchExperiments({
        viewType: options.viewType ?? 'ACTIVE_ONLY',
        maxResults: options.maxResults ?? 100,
        filter: options.filter ? { kind: 'and', operands: [nameFilter, options.filter] } : nameFilter,
        orderBy: (options.orderBy ?? []).map((item) => ({ entity: 'attribute' as const, ...item })),
        offset: options.offset ?? 0,
      })
    }
    const names = async (options: Parameters<typeof search>[0]) =>
      (await search(options)).items.map((experiment) => experiment.name.slice(prefix.length + 1))

    it('prepares experiments', async () => {
      const store = getStore()
      for (const suffix of ['a', 'ab', 'Abc', 'b_x', 'deleted']) {
        ids[suffix] = await store.createExperiment({
          name: `${prefix}-${suffix}`,
          tags:
            suffix === 'ab'
              ? [{ key: 'color', value: 'Blue' }]
              : suffix === 'a'
                ? [{ key: 'color', value: 'red' }]
                : [],
        })
        await new Promise((resolve) => setTimeout(resolve, 3))
      }
      await store.deleteExperiment(ids.deleted!)
    })

    it('orders by creation_time DESC, experiment_id ASC by default', async () => {
      expect(await names({})).toEqual(['b_x', 'Abc', 'ab', 'a'])
    })

    it('orders names in binary order and breaks ties by experiment_id', async () => {
      expect(await names({ orderBy: [{ key: 'name', ascending: false }] })).toEqual(['b_x', 'ab', 'a', 'Abc'])
      expect(await names({ orderBy: [{ key: 'name', ascending: true }] })).toEqual(['Abc', 'a', 'ab', 'b_x'])
    })

    it('filters names with case-sensitive LIKE and case-insensitive ILIKE', async () => {
      const like = (pattern: string): FilterExpression => ({
        kind: 'comparison',
        entity: 'attribute',
        key: 'name',
        comparator: 'LIKE',
        value: `${prefix}-${pattern}`,
      })
      const ilike = (pattern: string): FilterExpression => ({
        kind: 'comparison',
        entity: 'attribute',
        key: 'name',
        comparator: 'ILIKE',
        value: `${prefix}-${pattern}`,
      })
      expect(await names({ filter: like('a%'), orderBy: [{ key: 'name', ascending: true }] })).toEqual([
        'a',
        'ab',
      ])
      expect(await names({ filter: ilike('a%'), orderBy: [{ key: 'name', ascending: true }] })).toEqual([
        'Abc',
        'a',
        'ab',
      ])
      expect(await names({ filter: like('b\\_x') })).toEqual(['b_x'])
      expect(await names({ filter: like('_b') })).toEqual(['ab'])
    })

    it('filters by = and != on names and by tags (a missing tag never matches)', async () => {
      const filter = (comparator: '=' | '!=', value: string): FilterExpression => ({
        kind: 'comparison',
        entity: 'attribute',
        key: 'name',
        comparator,
        value: `${prefix}-${value}`,
      })
      expect(await names({ filter: filter('=', 'ab') })).toEqual(['ab'])
      expect(await names({ filter: filter('!=', 'ab') })).toEqual(['b_x', 'Abc', 'a'])
      expect(
        await names({
          filter: { kind: 'comparison', entity: 'tag', key: 'color', comparator: '!=', value: 'red' },
        }),
      ).toEqual(['ab'])
      expect(
        await names({
          filter: { kind: 'comparison', entity: 'tag', key: 'color', comparator: 'ILIKE', value: 'b%' },
        }),
      ).toEqual(['ab'])
      expect(
        await names({
          filter: { kind: 'comparison', entity: 'tag', key: 'color', comparator: 'LIKE', value: 'b%' },
        }),
      ).toEqual([])
    })

    it('filters on creation_time numerically', async () => {
      const created = (await getStore().getExperiment(ids.ab!)).creationTime
      expect(
        await names({
          filter: {
            kind: 'comparison',
            entity: 'attribute',
            key: 'creation_time',
            comparator: '>',
            value: created,
          },
        }),
      ).toEqual(['b_x', 'Abc'])
    })

    it('honours view types', async () => {
      expect(await names({ viewType: 'DELETED_ONLY' })).toEqual(['deleted'])
      expect(await names({ viewType: 'ALL' })).toEqual(['deleted', 'b_x', 'Abc', 'ab', 'a'])
    })

    it('pages with a next offset only while more experiments exist', async () => {
      const first = await search({ maxResults: 2 })
      expect(first.items.map((experiment) => experiment.experimentId)).toEqual([ids.b_x, ids.Abc])
      expect(first.nextOffset).toBe(2)
      const second = await search({ maxResults: 2, offset: 2 })
      expect(second.items.map((experiment) => experiment.experimentId)).toEqual([ids.ab, ids.a])
      expect(second.nextOffset).toBeUndefined()
    })

    it('returns tags with each experiment', async () => {
      const page = await search({
        filter: {
          kind: 'comparison',
          entity: 'attribute',
          key: 'name',
          comparator: '=',
          value: `${prefix}-a`,
        },
      })
      expect(page.items[0]?.tags).toEqual([{ key: 'color', value: 'red' }])
    })

    it('treats quotes and SQL in filter values as plain text', async () => {
      const filter: FilterExpression = {
        kind: 'comparison',
        entity: 'tag',
        key: "color' OR 1=1 --",
        comparator: '=',
        value: "x' OR '1'='1",
      }
      expect(await names({ filter })).toEqual([])
      const orName: FilterExpression = {
        kind: 'comparison',
        entity: 'attribute',
        key: 'name',
        comparator: '=',
        value: `${prefix}-a' OR name LIKE '%`,
      }
      expect(await names({ filter: orName })).toEqual([])
    })

    it('rejects filters on unknown entities and order keys', async () => {
      await expectMlflowError(
        search({ filter: { kind: 'comparison', entity: 'metric', key: 'm', comparator: '>', value: 1 } }),
        'INVALID_PARAMETER_VALUE',
      )
      await expectMlflowError(
        search({ orderBy: [{ key: 'bogus', ascending: true }] }),
        'INVALID_PARAMETER_VALUE',
      )
    })
  })
})

describe.runIf(STORE_KINDS.includes('postgres') && (POSTGRES_PROBLEM === undefined || IS_CI))(
  'experiments on PostgreSQL under concurrency',
  () => {
    it('lets exactly one of many parallel creations of a name succeed and keeps ids unique', async () => {
      const testStore = await createTestStore('postgres')
      try {
        const name = uniqueName('race')
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, () => testStore.store.createExperiment({ name })),
        )
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
        for (const result of results) {
          if (result.status === 'rejected')
            expect((result.reason as MlflowError).code).toBe('RESOURCE_ALREADY_EXISTS')
        }
        const ids = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            testStore.store.createExperiment({ name: `${name}-${index}` }),
          ),
        )
        expect(new Set(ids).size).toBe(20)
      } finally {
        await testStore.cleanup()
      }
    })
  },
)
