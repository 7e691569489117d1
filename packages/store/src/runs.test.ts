import type { DatasetInput, Metric } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { expectMlflowError } from './test-support/assertions.js'
import { describeEachStore, uniqueName } from './test-support/index.js'
import type { TrackingStore } from './tracking-store.js'

const metric = (key: string, value: number, timestamp: number, step: number): Metric => ({
  key,
  value,
  timestamp,
  step,
})

async function newRun(
  store: TrackingStore,
  options: { experimentId?: string; runName?: string; startTime?: number } = {},
) {
  const experimentId = options.experimentId ?? (await store.createExperiment({ name: uniqueName('runs') }))
  return store.createRun({
    experimentId,
    userId: 'alice',
    runName: options.runName ?? 'brave-fox-1',
    startTime: options.startTime ?? 1_700_000_000_000,
    tags: [{ key: 'mlflow.user', value: 'alice' }],
  })
}

describeEachStore('runs', (getStore) => {
  describe('createRun', () => {
    it('creates a RUNNING run with a 32-hex id, its artifact URI and the run-name tag', async () => {
      const store = getStore()
      const experimentId = await store.createExperiment({ name: uniqueName('create') })
      const run = await store.createRun({
        experimentId,
        userId: 'alice',
        runName: 'happy-cat-7',
        startTime: 123,
        tags: [
          { key: 'b', value: '1' },
          { key: 'a', value: '2' },
          { key: 'b', value: '3' },
        ],
      })
      expect(run.info.runId).toMatch(/^[0-9a-f]{32}$/)
      expect(run.info).toEqual({
        runId: run.info.runId,
        runName: 'happy-cat-7',
        experimentId,
        userId: 'alice',
        status: 'RUNNING',
        startTime: 123,
        artifactUri: `mlflow-artifacts:/${experimentId}/${run.info.runId}/artifacts`,
        lifecycleStage: 'active',
      })
      expect(run.data.tags).toEqual([
        { key: 'a', value: '2' },
        { key: 'b', value: '3' },
        { key: 'mlflow.runName', value: 'happy-cat-7' },
      ])
      expect(await store.getRun(run.info.runId)).toEqual(run)
    })

    it('puts the run under its experiment location, whatever the root', async () => {
      const store = getStore()
      const experimentId = await store.createExperiment({
        name: uniqueName('loc'),
        artifactLocation: 's3://bucket/path/',
      })
      const run = await store.createRun({ experimentId, userId: 'u', runName: 'r', startTime: 1, tags: [] })
      expect(run.info.artifactUri).toBe(`s3://bucket/path/${run.info.runId}/artifacts`)
    })

    it('fails with RESOURCE_DOES_NOT_EXIST for an unknown experiment', async () => {
      await expectMlflowError(
        getStore().createRun({ experimentId: '31337', userId: 'u', runName: 'r', startTime: 1, tags: [] }),
        'RESOURCE_DOES_NOT_EXIST',
        'No Experiment with id=31337 exists',
      )
    })
  })

  describe('reading, updating and deleting', () => {
    it('returns RESOURCE_DOES_NOT_EXIST with MLflow wording for unknown runs', async () => {
      const store = getStore()
      const missing = '0123456789abcdef0123456789abcdef'
      const message = `Run with id=${missing} not found`
      await expectMlflowError(store.getRun(missing), 'RESOURCE_DOES_NOT_EXIST', message)
      await expectMlflowError(store.getRunInfo(missing), 'RESOURCE_DOES_NOT_EXIST', message)
      await expectMlflowError(
        store.updateRun({ runId: missing, status: 'FINISHED' }),
        'RESOURCE_DOES_NOT_EXIST',
        message,
      )
      await expectMlflowError(store.deleteRun(missing), 'RESOURCE_DOES_NOT_EXIST', message)
      await expectMlflowError(store.restoreRun(missing), 'RESOURCE_DOES_NOT_EXIST', message)
      await expectMlflowError(
        store.logBatch({ runId: missing, metrics: [metric('m', 1, 1, 0)], params: [], tags: [] }),
        'RESOURCE_DOES_NOT_EXIST',
        message,
      )
      await expectMlflowError(store.deleteTag(missing, 'k'), 'RESOURCE_DOES_NOT_EXIST', message)
      await expectMlflowError(
        store.logInputs(missing, [], [{ modelId: 'm-1' }]),
        'RESOURCE_DOES_NOT_EXIST',
        message,
      )
      await expectMlflowError(
        store.logOutputs(missing, [{ modelId: 'm-1', step: 1 }]),
        'RESOURCE_DOES_NOT_EXIST',
        message,
      )
    })

    it('updates only the given fields and keeps the run name tag in sync', async () => {
      const store = getStore()
      const run = await newRun(store)
      const info = await store.updateRun({ runId: run.info.runId, status: 'FINISHED', endTime: 99 })
      expect(info).toMatchObject({ status: 'FINISHED', endTime: 99, runName: 'brave-fox-1' })
      const renamed = await store.updateRun({ runId: run.info.runId, runName: 'new-name' })
      expect(renamed).toMatchObject({ status: 'FINISHED', endTime: 99, runName: 'new-name' })
      const stored = await store.getRun(run.info.runId)
      expect(stored.info.runName).toBe('new-name')
      expect(stored.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'new-name' })
    })

    it('renames the run when log-batch sets the mlflow.runName tag', async () => {
      const store = getStore()
      const run = await newRun(store)
      await store.logBatch({
        runId: run.info.runId,
        metrics: [],
        params: [],
        tags: [{ key: 'mlflow.runName', value: 'via-tag' }],
      })
      expect((await store.getRunInfo(run.info.runId)).runName).toBe('via-tag')
    })

    it('deletes and restores runs, recording nothing else', async () => {
      const store = getStore()
      const run = await newRun(store)
      await store.deleteRun(run.info.runId)
      expect((await store.getRunInfo(run.info.runId)).lifecycleStage).toBe('deleted')
      await store.restoreRun(run.info.runId)
      expect(await store.getRun(run.info.runId)).toEqual(run)
    })
  })

  describe('logBatch', () => {
    it('writes params once: the same value again is a no-op, a new value fails the whole batch', async () => {
      const store = getStore()
      const run = await newRun(store)
      const runId = run.info.runId
      await store.logBatch({ runId, metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] })
      await store.logBatch({
        runId,
        metrics: [],
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'depth', value: '3' },
        ],
        tags: [],
      })
      await expectMlflowError(
        store.logBatch({
          runId,
          metrics: [metric('loss', 1, 1, 0)],
          params: [
            { key: 'lr', value: '0.2' },
            { key: 'fresh', value: 'x' },
          ],
          tags: [{ key: 'tag', value: 'v' }],
        }),
        'INVALID_PARAMETER_VALUE',
        `Changing param values is not allowed. Params were already logged='[{'key': 'lr', 'old_value': '0.1', 'new_value': '0.2'}]' for run ID='${runId}'.`,
      )
      const stored = await store.getRun(runId)
      expect(stored.data.params).toEqual([
        { key: 'depth', value: '3' },
        { key: 'lr', value: '0.1' },
      ])
      expect(stored.data.metrics).toEqual([])
      expect(stored.data.tags.map((tag) => tag.key)).not.toContain('tag')
    })

    it('rejects a batch that gives one param two values', async () => {
      const store = getStore()
      const run = await newRun(store)
      await expectMlflowError(
        store.logBatch({
          runId: run.info.runId,
          metrics: [],
          params: [
            { key: 'p', value: 'a' },
            { key: 'p', value: "it's" },
          ],
          tags: [],
        }),
        'INVALID_PARAMETER_VALUE',
        /'old_value': 'a', 'new_value': "it's"/,
      )
      expect((await store.getRun(run.info.runId)).data.params).toEqual([])
    })

    it('accepts empty strings and upserts tags, the last duplicate winning', async () => {
      const store = getStore()
      const run = await newRun(store)
      const runId = run.info.runId
      await store.logBatch({
        runId,
        metrics: [],
        params: [{ key: 'empty', value: '' }],
        tags: [{ key: 't', value: '' }],
      })
      await store.logBatch({
        runId,
        metrics: [],
        params: [],
        tags: [
          { key: 't', value: 'one' },
          { key: 't', value: 'two' },
        ],
      })
      const stored = await store.getRun(runId)
      expect(stored.data.params).toEqual([{ key: 'empty', value: '' }])
      expect(stored.data.tags).toContainEqual({ key: 't', value: 'two' })
    })

    it('keeps NaN, clamps infinities and ignores identical points', async () => {
      const store = getStore()
      const run = await newRun(store)
      const runId = run.info.runId
      const points = [
        metric('nan', Number.NaN, 1, 0),
        metric('pos', Number.POSITIVE_INFINITY, 1, 0),
        metric('neg', Number.NEGATIVE_INFINITY, 1, 0),
      ]
      await store.logBatch({
        runId,
        metrics: [...points, metric('dup', 1, 5, 2), metric('dup', 1, 5, 2)],
        params: [],
        tags: [],
      })
      await store.logBatch({
        runId,
        metrics: [metric('dup', 1, 5, 2), metric('dup', 2, 5, 2), metric('nan', Number.NaN, 1, 0)],
        params: [],
        tags: [],
      })
      const latest = Object.fromEntries(
        (await store.getRun(runId)).data.metrics.map((point) => [point.key, point.value]),
      )
      expect(latest.nan).toBeNaN()
      expect(latest.pos).toBe(1.7976931348623157e308)
      expect(latest.neg).toBe(-1.7976931348623157e308)
      const dup = await store.getMetricHistory({ runId, metricKey: 'dup', offset: 0 })
      expect(dup.items).toEqual([metric('dup', 1, 5, 2), metric('dup', 2, 5, 2)])
      expect((await store.getMetricHistory({ runId, metricKey: 'nan', offset: 0 })).items).toHaveLength(1)
    })

    it('keeps the latest point by greatest (step, timestamp, value), across batches', async () => {
      const store = getStore()
      const run = await newRun(store)
      const runId = run.info.runId
      const latestOf = async (key: string) =>
        (await store.getRun(runId)).data.metrics.find((point) => point.key === key)
      await store.logBatch({
        runId,
        metrics: [metric('m', 5, 100, 3), metric('m', 7, 200, 2)],
        params: [],
        tags: [],
      })
      expect(await latestOf('m')).toEqual(metric('m', 5, 100, 3))
      await store.logBatch({ runId, metrics: [metric('m', 1, 50, 3)], params: [], tags: [] })
      expect(await latestOf('m')).toEqual(metric('m', 5, 100, 3))
      await store.logBatch({ runId, metrics: [metric('m', 4, 100, 3)], params: [], tags: [] })
      expect(await latestOf('m')).toEqual(metric('m', 5, 100, 3))
      await store.logBatch({ runId, metrics: [metric('m', 6, 100, 3)], params: [], tags: [] })
      expect(await latestOf('m')).toEqual(metric('m', 6, 100, 3))
      await store.logBatch({ runId, metrics: [metric('m', -1, 101, 3)], params: [], tags: [] })
      expect(await latestOf('m')).toEqual(metric('m', -1, 101, 3))
      await store.logBatch({ runId, metrics: [metric('m', -9, 1, 4)], params: [], tags: [] })
      expect(await latestOf('m')).toEqual(metric('m', -9, 1, 4))
      // NaN compares as 0 (MLflow stores it as 0 with a flag).
      await store.logBatch({ runId, metrics: [metric('m', Number.NaN, 1, 4)], params: [], tags: [] })
      expect((await latestOf('m'))?.value).toBeNaN()
      await store.logBatch({ runId, metrics: [metric('m', -0.5, 1, 4)], params: [], tags: [] })
      expect((await latestOf('m'))?.value).toBeNaN()
    })

    it('logs 1000 metrics of many keys in one call', async () => {
      const store = getStore()
      const run = await newRun(store)
      const metrics = Array.from({ length: 1000 }, (_, index) =>
        metric(`k${index % 300}`, index, 1000 + index, Math.floor(index / 300)),
      )
      await store.logBatch({ runId: run.info.runId, metrics, params: [], tags: [] })
      const stored = await store.getRun(run.info.runId)
      expect(stored.data.metrics).toHaveLength(300)
      expect(stored.data.metrics.find((point) => point.key === 'k0')).toEqual(metric('k0', 900, 1900, 3))
    })
  })

  describe('deleteTag', () => {
    it('deletes a tag and reports a missing one', async () => {
      const store = getStore()
      const run = await newRun(store)
      await store.logBatch({
        runId: run.info.runId,
        metrics: [],
        params: [],
        tags: [{ key: 'k', value: 'v' }],
      })
      await store.deleteTag(run.info.runId, 'k')
      expect((await store.getRun(run.info.runId)).data.tags.map((tag) => tag.key)).not.toContain('k')
      await expectMlflowError(
        store.deleteTag(run.info.runId, 'k'),
        'RESOURCE_DOES_NOT_EXIST',
        `No tag with name: k in run with id ${run.info.runId}`,
      )
    })
  })

  describe('inputs and outputs', () => {
    const dataset = (name: string, digest: string, context?: string): DatasetInput => ({
      dataset: {
        name,
        digest,
        sourceType: 'local',
        source: '{"uri": "/data"}',
        schema: '{"mlflow_colspec": []}',
      },
      tags: context ? [{ key: 'mlflow.data.context', value: context }] : [],
    })

    it('links datasets once per run, shares them per experiment and keeps first input tags', async () => {
      const store = getStore()
      const experimentId = await store.createExperiment({ name: uniqueName('inputs') })
      const first = await newRun(store, { experimentId })
      const second = await newRun(store, { experimentId })
      await store.logInputs(
        first.info.runId,
        [dataset('train', 'abc', 'training'), dataset('train', 'abc', 'ignored'), dataset('eval', 'def')],
        [],
      )
      await store.logInputs(
        first.info.runId,
        [dataset('train', 'abc', 'changed')],
        [{ modelId: 'm-1' }, { modelId: 'm-1' }],
      )
      await store.logInputs(second.info.runId, [dataset('train', 'abc', 'validation')], [])
      const run = await store.getRun(first.info.runId)
      expect(run.inputs.datasetInputs).toEqual([
        {
          dataset: {
            name: 'eval',
            digest: 'def',
            sourceType: 'local',
            source: '{"uri": "/data"}',
            schema: '{"mlflow_colspec": []}',
          },
          tags: [],
        },
        {
          dataset: {
            name: 'train',
            digest: 'abc',
            sourceType: 'local',
            source: '{"uri": "/data"}',
            schema: '{"mlflow_colspec": []}',
          },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        },
      ])
      expect(run.inputs.modelInputs).toEqual([{ modelId: 'm-1' }])
      expect(await store.searchDatasets([experimentId])).toEqual([
        { experimentId, name: 'eval', digest: 'def' },
        { experimentId, name: 'train', digest: 'abc', context: 'training' },
        { experimentId, name: 'train', digest: 'abc', context: 'validation' },
      ])
      expect(await store.searchDatasets(['4040404'])).toEqual([])
    })

    it('records model outputs with their step', async () => {
      const store = getStore()
      const run = await newRun(store)
      await store.logOutputs(run.info.runId, [
        { modelId: 'm-out', step: 7 },
        { modelId: 'm-two', step: 0 },
      ])
      await store.logOutputs(run.info.runId, [{ modelId: 'm-out', step: 9 }])
      expect((await store.getRun(run.info.runId)).outputs.modelOutputs).toEqual([
        { modelId: 'm-out', step: 7 },
        { modelId: 'm-two', step: 0 },
      ])
    })
  })

  describe('garbage collection', () => {
    it('lists deleted runs and experiments and purges them with everything attached', async () => {
      const store = getStore()
      const experimentId = await store.createExperiment({ name: uniqueName('gc') })
      const kept = await newRun(store, { experimentId })
      const removed = await newRun(store, { experimentId })
      await store.logBatch({
        runId: removed.info.runId,
        metrics: [metric('m', 1, 1, 0)],
        params: [{ key: 'p', value: 'v' }],
        tags: [{ key: 't', value: 'v' }],
      })
      await store.logInputs(
        removed.info.runId,
        [
          {
            dataset: { name: 'd', digest: 'x', sourceType: 's', source: 's' },
            tags: [{ key: 'a', value: 'b' }],
          },
        ],
        [{ modelId: 'm' }],
      )
      await store.deleteRun(removed.info.runId)
      expect(await store.listDeletedRunIds({ experimentIds: [experimentId] })).toEqual([removed.info.runId])
      expect(await store.listDeletedRunIds({ olderThan: 60_000 })).not.toContain(removed.info.runId)
      expect(await store.listDeletedRunIds()).toContain(removed.info.runId)
      await store.purgeRun(removed.info.runId)
      await expectMlflowError(store.getRun(removed.info.runId), 'RESOURCE_DOES_NOT_EXIST')
      await expectMlflowError(
        store.getMetricHistory({ runId: removed.info.runId, metricKey: 'm', offset: 0 }),
        'RESOURCE_DOES_NOT_EXIST',
      )
      await expectMlflowError(store.purgeRun(removed.info.runId), 'RESOURCE_DOES_NOT_EXIST')

      await expectMlflowError(store.purgeExperiment(experimentId), 'RESOURCE_DOES_NOT_EXIST')
      await store.deleteExperiment(experimentId)
      expect(await store.listDeletedExperimentIds()).toContain(experimentId)
      expect(await store.listDeletedRunIds({ experimentIds: [experimentId] })).toEqual([kept.info.runId])
      await store.purgeExperiment(experimentId)
      await expectMlflowError(store.getExperiment(experimentId), 'RESOURCE_DOES_NOT_EXIST')
      await expectMlflowError(store.getRun(kept.info.runId), 'RESOURCE_DOES_NOT_EXIST')
      expect(await store.listDeletedExperimentIds()).not.toContain(experimentId)
    })
  })
})
