import type { Metric, MlflowError } from '@cairn/core'
import { expect, it } from 'vitest'
import { createTrackingStore } from './create-tracking-store.js'
import { describeEachStore, uniqueName } from './test-support/index.js'

describeEachStore('concurrent writers', (getStore, _kind, getTestStore) => {
  it('keeps every point and the right latest value when many batches hit one run at once', async () => {
    const store = getStore()
    const experimentId = await store.createExperiment({ name: uniqueName('parallel') })
    const run = await store.createRun({ experimentId, userId: 'u', runName: 'r', startTime: 1, tags: [] })
    const batches = Array.from({ length: 16 }, (_, batch) =>
      Array.from({ length: 250 }, (_, index): Metric => {
        const step = batch * 250 + index
        return { key: `m${index % 5}`, value: step, timestamp: 1000 + step, step }
      }),
    )
    // Shuffle so that batches with higher steps often commit first.
    const order = [...batches.keys()].sort((a, b) => ((a * 7919) % 16) - ((b * 7919) % 16))
    await Promise.all(
      order.map((index) =>
        store.logBatch({ runId: run.info.runId, metrics: batches[index]!, params: [], tags: [] }),
      ),
    )
    const latest = (await store.getRun(run.info.runId)).data.metrics
    expect(latest.map((metric) => [metric.key, metric.step])).toEqual([
      ['m0', 3995],
      ['m1', 3996],
      ['m2', 3997],
      ['m3', 3998],
      ['m4', 3999],
    ])
    for (let key = 0; key < 5; key++) {
      expect(
        (await store.getMetricHistory({ runId: run.info.runId, metricKey: `m${key}`, offset: 0 })).items,
      ).toHaveLength(800)
    }
    // Step statistics survived the races: sampling sees all 800 distinct steps of m0.
    const sampled = await store.getMetricHistoryBulkInterval({
      runIds: [run.info.runId],
      metricKey: 'm0',
      maxResults: 2500,
    })
    expect(sampled).toHaveLength(800)
  })

  it('lets exactly one of two conflicting param values win', async () => {
    const store = getStore()
    const experimentId = await store.createExperiment({ name: uniqueName('params') })
    const run = await store.createRun({ experimentId, userId: 'u', runName: 'r', startTime: 1, tags: [] })
    const results = await Promise.allSettled(
      ['a', 'b', 'a', 'b', 'c'].map((value) =>
        store.logBatch({ runId: run.info.runId, metrics: [], params: [{ key: 'p', value }], tags: [] }),
      ),
    )
    const [param] = (await store.getRun(run.info.runId)).data.params
    const winners = ['a', 'b', 'a', 'b', 'c'].filter(
      (_value, index) => results[index]!.status === 'fulfilled',
    )
    expect(new Set(winners)).toEqual(new Set([param!.value]))
    for (const result of results) {
      if (result.status === 'rejected')
        expect((result.reason as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
    }
  })

  it('creates runs and experiments in parallel from two store instances on one database', async () => {
    const testStore = getTestStore()
    const second = await createTrackingStore(testStore.uri, {
      defaultArtifactRoot: testStore.defaultArtifactRoot,
    })
    try {
      const experimentId = await testStore.store.createExperiment({ name: uniqueName('shared') })
      const stores = [testStore.store, second]
      const runs = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          stores[index % 2]!.createRun({
            experimentId,
            userId: 'u',
            runName: `r${index}`,
            startTime: index,
            tags: [],
          }),
        ),
      )
      await Promise.all(
        runs.map((run, index) =>
          stores[(index + 1) % 2]!.logBatch({
            runId: run.info.runId,
            metrics: [{ key: 'm', value: index, timestamp: 1, step: 0 }],
            params: [{ key: 'i', value: String(index) }],
            tags: [],
          }),
        ),
      )
      const experiments = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          stores[index % 2]!.createExperiment({ name: uniqueName(`e${index}`) }),
        ),
      )
      expect(new Set(experiments).size).toBe(10)
      const page = await second.searchRuns({
        experimentIds: [experimentId],
        viewType: 'ALL',
        maxResults: 100,
        orderBy: [{ entity: 'metric', key: 'm', ascending: true }],
        offset: 0,
      })
      expect(page.items.map((run) => run.data.params[0]?.value)).toEqual(
        runs.map((_, index) => String(index)),
      )
    } finally {
      await second.close()
    }
  })
})
