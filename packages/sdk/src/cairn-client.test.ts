import { MlflowError } from '@cairn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CairnClient, MlflowClient } from './cairn-client.js'
import { startTestServer, type TestServer, uniqueName } from './test-support/test-server.js'

let server: TestServer
let client: CairnClient

beforeAll(async () => {
  server = await startTestServer()
  client = new CairnClient({ trackingUri: server.url, retries: { maxRetries: 0 } })
})

afterAll(async () => {
  await server?.close()
})

async function caught(promise: Promise<unknown>): Promise<MlflowError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(MlflowError)
  return error as MlflowError
}

async function newExperiment(): Promise<string> {
  return client.createExperiment({ name: uniqueName('exp') })
}

describe('experiments', () => {
  it('creates an experiment with tags and reads it back by id and by name', async () => {
    const name = uniqueName('exp')
    const experimentId = await client.createExperiment({ name, tags: { team: 'risk' } })
    const byId = await client.getExperiment(experimentId)
    expect(byId).toMatchObject({
      experimentId,
      name,
      lifecycleStage: 'active',
      tags: [{ key: 'team', value: 'risk' }],
    })
    expect(byId.artifactLocation).not.toBe('')
    expect(byId.creationTime).toBeGreaterThan(0)
    expect(await client.getExperimentByName(name)).toEqual(byId)
    expect(await client.findExperimentByName(name)).toEqual(byId)
  })

  it('answers RESOURCE_ALREADY_EXISTS for a duplicate name and RESOURCE_DOES_NOT_EXIST for unknown ones', async () => {
    const name = uniqueName('dup')
    await client.createExperiment({ name })
    const duplicate = await caught(client.createExperiment({ name }))
    expect(duplicate.code).toBe('RESOURCE_ALREADY_EXISTS')
    expect((await caught(client.getExperimentByName(uniqueName('missing')))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    )
    expect(await client.findExperimentByName(uniqueName('missing'))).toBeUndefined()
    expect((await caught(client.getExperiment('987654321'))).code).toBe('RESOURCE_DOES_NOT_EXIST')
  })

  it('deletes, restores, renames and tags an experiment', async () => {
    const experimentId = await newExperiment()
    await client.deleteExperiment(experimentId)
    expect((await client.getExperiment(experimentId)).lifecycleStage).toBe('deleted')
    await client.restoreExperiment(experimentId)
    expect((await client.getExperiment(experimentId)).lifecycleStage).toBe('active')

    const newName = uniqueName('renamed')
    await client.updateExperiment({ experimentId, newName })
    expect((await client.getExperiment(experimentId)).name).toBe(newName)

    await client.setExperimentTag({ experimentId, key: 'k', value: 'v1' })
    await client.setExperimentTag({ experimentId, key: 'k', value: 'v2' })
    expect((await client.getExperiment(experimentId)).tags).toEqual([{ key: 'k', value: 'v2' }])
    await client.deleteExperimentTag({ experimentId, key: 'k' })
    expect((await client.getExperiment(experimentId)).tags).toEqual([])
    expect((await caught(client.deleteExperimentTag({ experimentId, key: 'k' }))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  it('pages through experiments with searchExperiments and searchExperimentsAll', async () => {
    const prefix = uniqueName('page')
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await client.createExperiment({ name: `${prefix}-${i}` }))
    const filter = `name LIKE '${prefix}-%'`
    const first = await client.searchExperiments({ filter, maxResults: 2, orderBy: ['name ASC'] })
    expect(first.experiments.map((experiment) => experiment.experimentId)).toEqual(ids.slice(0, 2))
    expect(first.nextPageToken).toBeTruthy()
    const all = await client.searchExperimentsAll({ filter, maxResults: 2, orderBy: ['name ASC'] }).toArray()
    expect(all.map((experiment) => experiment.experimentId)).toEqual(ids)

    await client.deleteExperiment(ids[0]!)
    const deleted = await client.searchExperimentsAll({ filter, viewType: 'DELETED_ONLY' }).toArray()
    expect(deleted.map((experiment) => experiment.experimentId)).toEqual([ids[0]])
  })
})

describe('runs', () => {
  it('creates a run and gets it with its tags', async () => {
    const experimentId = await newExperiment()
    const created = await client.createRun({
      experimentId,
      runName: 'first',
      startTime: 1_700_000_000_000,
      tags: { 'mlflow.user': 'ada', team: 'risk' },
    })
    expect(created.info).toMatchObject({
      experimentId,
      runName: 'first',
      userId: 'ada',
      status: 'RUNNING',
      startTime: 1_700_000_000_000,
      lifecycleStage: 'active',
    })
    expect(created.info.endTime).toBeUndefined()
    const fetched = await client.getRun(created.info.runId)
    expect(fetched.info).toEqual(created.info)
    expect(fetched.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'risk' }]))
  })

  it('updates, deletes and restores a run', async () => {
    const experimentId = await newExperiment()
    const { info } = await client.createRun({ experimentId })
    const updated = await client.updateRun({
      runId: info.runId,
      status: 'FINISHED',
      endTime: 1_800_000_000_000,
      runName: 'renamed',
    })
    expect(updated).toMatchObject({
      runId: info.runId,
      status: 'FINISHED',
      endTime: 1_800_000_000_000,
      runName: 'renamed',
    })
    await client.deleteRun(info.runId)
    expect((await client.getRun(info.runId)).info.lifecycleStage).toBe('deleted')
    await client.restoreRun(info.runId)
    expect((await client.getRun(info.runId)).info.lifecycleStage).toBe('active')
  })

  it('answers RESOURCE_DOES_NOT_EXIST for an unknown run', async () => {
    const error = await caught(client.getRun('0123456789abcdef0123456789abcdef'))
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST')
    expect(error.httpStatus).toBe(404)
  })

  it('logs metrics, params and tags one by one, NaN and infinities included', async () => {
    const experimentId = await newExperiment()
    const { info } = await client.createRun({ experimentId })
    const runId = info.runId
    await client.logMetric({ runId, key: 'loss', value: 0.5, step: 1, timestamp: 1000 })
    await client.logMetric({ runId, key: 'nan', value: Number.NaN })
    await client.logMetric({ runId, key: 'inf', value: Number.POSITIVE_INFINITY })
    await client.logMetric({ runId, key: 'ninf', value: Number.NEGATIVE_INFINITY })
    await client.logParam({ runId, key: 'lr', value: '0.01' })
    await client.logParam({ runId, key: 'lr', value: '0.01' })
    await client.setTag({ runId, key: 'stage', value: 'a' })
    await client.setTag({ runId, key: 'gone', value: 'x' })
    await client.deleteTag({ runId, key: 'gone' })

    const { data } = await client.getRun(runId)
    const metric = (key: string) => data.metrics.find((point) => point.key === key)
    expect(metric('loss')).toMatchObject({ value: 0.5, step: 1, timestamp: 1000 })
    expect(metric('nan')!.value).toBeNaN()
    expect(metric('nan')!.step).toBe(0)
    expect(metric('inf')!.value).toBe(Number.MAX_VALUE)
    expect(metric('ninf')!.value).toBe(-Number.MAX_VALUE)
    expect(data.params).toEqual([{ key: 'lr', value: '0.01' }])
    expect(data.tags).toEqual(expect.arrayContaining([{ key: 'stage', value: 'a' }]))
    expect(data.tags.find((tag) => tag.key === 'gone')).toBeUndefined()

    const changed = await caught(client.logParam({ runId, key: 'lr', value: '0.02' }))
    expect(changed.code).toBe('INVALID_PARAMETER_VALUE')
    expect((await caught(client.deleteTag({ runId, key: 'never-set' }))).code).toBe('RESOURCE_DOES_NOT_EXIST')
  })

  it('logs a batch and reads the history page by page and all at once', async () => {
    const experimentId = await newExperiment()
    const { info } = await client.createRun({ experimentId })
    const runId = info.runId
    const metrics = Array.from({ length: 25 }, (_, step) => ({
      key: 'acc',
      value: step / 25,
      step,
      timestamp: 1000 + step,
    }))
    await client.logBatch({
      runId,
      metrics,
      params: [{ key: 'depth', value: '6' }],
      tags: [{ key: 't', value: 'v' }],
    })

    const page = await client.getMetricHistory({ runId, metricKey: 'acc', maxResults: 10 })
    expect(page.metrics.map((point) => point.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(page.nextPageToken).toBeTruthy()
    const next = await client.getMetricHistory({
      runId,
      metricKey: 'acc',
      maxResults: 10,
      pageToken: page.nextPageToken,
    })
    expect(next.metrics[0]!.step).toBe(10)

    const all = await client.getMetricHistoryAll({ runId, metricKey: 'acc', pageSize: 7 }).toArray()
    expect(all.map((point) => point.step)).toEqual(metrics.map((point) => point.step))
    expect(all[3]).toMatchObject({ key: 'acc', value: 3 / 25, timestamp: 1003 })
    expect(await client.getMetricHistoryAll({ runId, metricKey: 'unknown' }).toArray()).toEqual([])

    const { data } = await client.getRun(runId)
    expect(data.params).toEqual([{ key: 'depth', value: '6' }])
    expect(data.metrics).toEqual([expect.objectContaining({ key: 'acc', step: 24 })])
  })

  it('logs int64 steps and timestamps beyond 2^53 as bigints and reads them back exactly', async () => {
    const experimentId = await newExperiment()
    const { info } = await client.createRun({ experimentId })
    const runId = info.runId
    const nanoseconds = 1_795_000_000_000_000_001n
    await client.logMetric({ runId, key: 'i64', value: 1, timestamp: 1, step: 2n ** 53n + 1n })
    await client.logBatch({
      runId,
      metrics: [
        { key: 'i64', value: 2, timestamp: 2n ** 62n, step: nanoseconds },
        { key: 'i64', value: 3, timestamp: 2, step: -(2n ** 62n) },
        // A large double is written as digits by JSON.stringify and must come back as a number.
        { key: 'big', value: 1e20, timestamp: 3, step: 0 },
      ],
    })

    const history = await client.getMetricHistoryAll({ runId, metricKey: 'i64', pageSize: 2 }).toArray()
    expect(history.map(({ timestamp, step, value }) => ({ timestamp, step, value }))).toEqual([
      { timestamp: 1, step: 2n ** 53n + 1n, value: 1 },
      { timestamp: 2, step: -(2n ** 62n), value: 3 },
      { timestamp: 2n ** 62n, step: nanoseconds, value: 2 },
    ])
    const { data } = await client.getRun(runId)
    expect(data.metrics).toEqual([
      { key: 'big', value: 1e20, timestamp: 3, step: 0 },
      { key: 'i64', value: 2, timestamp: 2n ** 62n, step: nanoseconds },
    ])
    const sampled = await client.getMetricHistoryBulkInterval({ runIds: [runId], metricKey: 'i64' })
    expect(sampled.map((point) => point.step)).toEqual([2n ** 53n + 1n, nanoseconds])
  })

  it('reads metrics of several runs with the bulk-interval and ajax bulk endpoints', async () => {
    const experimentId = await newExperiment()
    const runIds: string[] = []
    for (let r = 0; r < 2; r++) {
      const { info } = await client.createRun({ experimentId })
      runIds.push(info.runId)
      await client.logBatch({
        runId: info.runId,
        metrics: Array.from({ length: 10 }, (_, step) => ({
          key: 'm',
          value: r * 100 + step,
          step,
          timestamp: 5000 + step,
        })),
      })
    }
    const sampled = await client.getMetricHistoryBulkInterval({ runIds, metricKey: 'm', maxResults: 5 })
    expect(new Set(sampled.map((point) => point.runId))).toEqual(new Set(runIds))
    expect(sampled.every((point) => point.key === 'm')).toBe(true)
    expect(sampled.length).toBeLessThan(20)
    const ranged = await client.getMetricHistoryBulkInterval({
      runIds: [runIds[0]!],
      metricKey: 'm',
      startStep: 2,
      endStep: 4,
    })
    expect(ranged.map((point) => point.step)).toEqual([2, 3, 4])

    const bulk = await client.getMetricHistoryBulk({ runIds, metricKey: 'm' })
    expect(bulk).toHaveLength(20)
    expect(bulk.filter((point) => point.runId === runIds[1]).map((point) => point.value)).toEqual(
      Array.from({ length: 10 }, (_, step) => 100 + step),
    )
  })

  it('searches runs with a filter, paging and view types', async () => {
    const experimentId = await newExperiment()
    const runIds: string[] = []
    for (let i = 0; i < 5; i++) {
      const { info } = await client.createRun({ experimentId, startTime: 1000 + i })
      runIds.push(info.runId)
      await client.logMetric({ runId: info.runId, key: 'score', value: i })
    }
    const page = await client.searchRuns({
      experimentIds: [experimentId],
      filter: 'metrics.score >= 2',
      maxResults: 2,
      orderBy: ['metrics.score DESC'],
    })
    expect(page.runs.map((run) => run.info.runId)).toEqual([runIds[4], runIds[3]])
    expect(page.nextPageToken).toBeTruthy()
    const all = await client.searchRunsAll({ experimentIds: [experimentId], maxResults: 2 }).toArray()
    expect(all.map((run) => run.info.runId)).toEqual([...runIds].reverse())

    await client.deleteRun(runIds[0]!)
    const deleted = await client
      .searchRunsAll({ experimentIds: [experimentId], runViewType: 'DELETED_ONLY' })
      .toArray()
    expect(deleted.map((run) => run.info.runId)).toEqual([runIds[0]])
    const iterated: string[] = []
    for await (const run of client.searchRunsAll({
      experimentIds: [experimentId],
      runViewType: 'ALL',
      maxResults: 3,
    })) {
      iterated.push(run.info.runId)
    }
    expect(iterated).toHaveLength(5)
  })

  it('logs inputs, outputs and models, and finds the datasets', async () => {
    const experimentId = await newExperiment()
    const { info } = await client.createRun({ experimentId })
    const runId = info.runId
    const dataset = {
      name: 'train',
      digest: 'abc123',
      sourceType: 'local',
      source: '{"uri":"/data"}',
      schema: '{}',
    }
    await client.logInputs({
      runId,
      datasets: [{ dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
    })
    await client.logOutputs({ runId, models: [{ modelId: 'm-0123456789abcdef0123456789abcdef', step: 3 }] })
    await client.logModel({
      runId,
      modelJson: {
        artifact_path: 'model',
        flavors: { python_function: {} },
        run_id: runId,
        utc_time_created: '2024-01-01 00:00:00.000000',
      },
    })

    const run = await client.getRun(runId)
    expect(run.inputs.datasetInputs).toEqual([
      { dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] },
    ])
    expect(run.outputs.modelOutputs).toEqual([{ modelId: 'm-0123456789abcdef0123456789abcdef', step: 3 }])
    const history = run.data.tags.find((tag) => tag.key === 'mlflow.log-model.history')
    expect(JSON.parse(history!.value)).toEqual([expect.objectContaining({ artifact_path: 'model' })])

    const summaries = await client.searchDatasets({ experimentIds: [experimentId] })
    expect(summaries).toEqual([{ experimentId, name: 'train', digest: 'abc123', context: 'training' }])
  })

  it('maps validation errors to INVALID_PARAMETER_VALUE with the server message', async () => {
    const error = await caught(client.createExperiment({ name: '' }))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toContain('name')
    const tooMany = await caught(client.searchRuns({ experimentIds: ['0'], maxResults: 123_456_789 }))
    expect(tooMany.code).toBe('INVALID_PARAMETER_VALUE')
  })

  it('is also exported under the name MlflowClient', async () => {
    const mlflow = new MlflowClient({ trackingUri: server.url })
    expect(mlflow).toBeInstanceOf(CairnClient)
    expect((await mlflow.getExperiment('0')).name).toBe('Default')
  })
})
