import { MlflowError } from '@cairn/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CairnClient } from './cairn-client.js'
import * as fluent from './fluent.js'
import { startTestServer, type TestServer, uniqueName } from './test-support/test-server.js'
import { Tracker } from './tracker.js'

let server: TestServer
let client: CairnClient

beforeAll(async () => {
  server = await startTestServer()
  client = new CairnClient({ trackingUri: server.url })
})

afterAll(async () => {
  await server?.close()
})

function newTracker(): Tracker {
  return new Tracker({ trackingUri: server.url, exitHooks: false, flushIntervalMs: 60_000 })
}

function tagMap(tags: { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.key, tag.value]))
}

describe('Tracker', () => {
  it('starts a run with system tags, logs through the queue and flushes on endRun', async () => {
    const tracker = newTracker()
    const experimentName = uniqueName('fluent')
    const run = await tracker.startRun({
      experimentName,
      runName: 'baseline',
      tags: { team: 'risk' },
      description: 'first try',
    })
    expect(tracker.activeRun()).toBe(run)
    tracker.logParam('lr', 0.01)
    tracker.logParams({ depth: 6, opts: { a: 1 } })
    for (let step = 0; step < 1500; step++) tracker.logMetric('loss', 1 / (step + 1), { step })
    tracker.logMetrics({ auc: 0.9, f1: 0.8 }, { step: 3 })
    tracker.setTag('stage', 'dev')
    tracker.setTags({ owner: 'ada' })
    await tracker.endRun()
    expect(tracker.activeRun()).toBeUndefined()

    const stored = await client.getRun(run.runId)
    expect(stored.info.status).toBe('FINISHED')
    expect(stored.info.endTime).toBeGreaterThan(0)
    expect(stored.info.runName).toBe('baseline')
    expect((await client.getExperiment(stored.info.experimentId)).name).toBe(experimentName)
    const tags = tagMap(stored.data.tags)
    expect(tags).toMatchObject({
      team: 'risk',
      stage: 'dev',
      owner: 'ada',
      'mlflow.source.type': 'LOCAL',
      'mlflow.note.content': 'first try',
    })
    expect(tags['mlflow.user']).toBeTruthy()
    expect(stored.info.userId).toBe(tags['mlflow.user'])
    expect(tags['mlflow.source.name']).toBeTruthy()
    expect(tagMap(stored.data.params)).toEqual({ lr: '0.01', depth: '6', opts: '{"a":1}' })
    const history = await client.getMetricHistoryAll({ runId: run.runId, metricKey: 'loss' }).toArray()
    expect(history).toHaveLength(1500)
    expect(stored.data.metrics.find((metric) => metric.key === 'auc')).toMatchObject({ value: 0.9, step: 3 })
  })

  it('tags nested runs with their parent and refuses a second top-level run', async () => {
    const tracker = newTracker()
    const parent = await tracker.startRun({ experimentName: uniqueName('nested') })
    await expect(tracker.startRun()).rejects.toThrow(/already active/)
    const child = await tracker.startRun({ nested: true, runName: 'child' })
    expect(child.parentRunId).toBe(parent.runId)
    expect(child.experimentId).toBe(parent.experimentId)
    expect(tracker.activeRun()).toBe(child)
    const grandchild = await tracker.startRun({ nested: true })
    await tracker.endRun()
    expect(tracker.activeRun()).toBe(child)
    await tracker.endRun()
    expect(tracker.activeRun()).toBe(parent)
    await tracker.endRun('KILLED')

    expect(tagMap((await client.getRun(child.runId)).data.tags)['mlflow.parentRunId']).toBe(parent.runId)
    expect(tagMap((await client.getRun(grandchild.runId)).data.tags)['mlflow.parentRunId']).toBe(child.runId)
    expect((await client.getRun(parent.runId)).info.status).toBe('KILLED')
    const children = await client
      .searchRunsAll({
        experimentIds: [parent.experimentId],
        filter: `tags.mlflow.parentRunId = '${parent.runId}'`,
      })
      .toArray()
    expect(children.map((run) => run.info.runId)).toEqual([child.runId])
  })

  it('accepts an explicit parentRunId for a run started elsewhere', async () => {
    const tracker = newTracker()
    const experimentId = await client.createExperiment({ name: uniqueName('parent') })
    const parent = await client.createRun({ experimentId })
    const run = await tracker.startRun({ experimentId, parentRunId: parent.info.runId })
    await run.end()
    expect(tagMap((await client.getRun(run.runId)).data.tags)['mlflow.parentRunId']).toBe(parent.info.runId)
    await expect(
      tracker.startRun({ experimentId, parentRunId: '0123456789abcdef0123456789abcdef' }),
    ).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    })
  })

  it('withRun ends FINISHED and answers the result of fn', async () => {
    const tracker = newTracker()
    let runId = ''
    const result = await tracker.withRun({ experimentName: uniqueName('with') }, (run) => {
      runId = run.runId
      run.logMetric('score', 1)
      return 42
    })
    expect(result).toBe(42)
    const stored = await client.getRun(runId)
    expect(stored.info.status).toBe('FINISHED')
    expect(stored.data.metrics.map((metric) => metric.key)).toEqual(['score'])
  })

  it('withRun ends FAILED when fn throws, rethrows, and keeps what was logged', async () => {
    const tracker = newTracker()
    let runId = ''
    const boom = new Error('boom')
    await expect(
      tracker.withRun({ experimentName: uniqueName('fail') }, async (run) => {
        runId = run.runId
        run.logParam('before', 'crash')
        throw boom
      }),
    ).rejects.toBe(boom)
    const stored = await client.getRun(runId)
    expect(stored.info.status).toBe('FAILED')
    expect(stored.data.params).toEqual([{ key: 'before', value: 'crash' }])
    expect(tracker.activeRun()).toBeUndefined()
  })

  it('endRun rejects with a failed write after ending the run', async () => {
    const tracker = newTracker()
    const run = await tracker.startRun({ experimentName: uniqueName('reject') })
    run.logParam('p', 'a')
    await run.flush()
    run.logParam('p', 'b')
    await expect(tracker.endRun()).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    expect((await client.getRun(run.runId)).info.status).toBe('FINISHED')
    expect(() => run.logMetric('late', 1)).toThrow(MlflowError)
  })

  it('setExperiment creates the experiment once and later runs land in it', async () => {
    const tracker = newTracker()
    const name = uniqueName('set')
    const created = await tracker.setExperiment(name)
    const again = await tracker.setExperiment(name)
    expect(again.experimentId).toBe(created.experimentId)
    const run = await tracker.startRun()
    await run.end()
    expect(run.experimentId).toBe(created.experimentId)

    await client.deleteExperiment(created.experimentId)
    await expect(tracker.setExperiment(name)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
  })

  it('resumes an existing run by id', async () => {
    const tracker = newTracker()
    const first = await tracker.startRun({ experimentName: uniqueName('resume') })
    first.logMetric('m', 1, { step: 0 })
    await first.end()
    const resumed = await tracker.startRun({ runId: first.runId, tags: { resumed: 'yes' } })
    expect(resumed.info.status).toBe('RUNNING')
    resumed.logMetric('m', 2, { step: 1 })
    await resumed.end()
    const stored = await client.getRun(first.runId)
    expect(stored.info.status).toBe('FINISHED')
    expect(tagMap(stored.data.tags).resumed).toBe('yes')
    expect(await client.getMetricHistoryAll({ runId: first.runId, metricKey: 'm' }).toArray()).toHaveLength(2)
  })

  it('requires an active run for the fluent logging calls and a number for metrics', async () => {
    const tracker = newTracker()
    expect(() => tracker.logMetric('m', 1)).toThrow(/No active run/)
    const run = await tracker.startRun({ experimentName: uniqueName('types') })
    expect(() => tracker.logMetric('m', 'high' as unknown as number)).toThrow(MlflowError)
    await run.end()
  })

  it('logs system metrics with MLflow names while the run is active', async () => {
    const tracker = newTracker()
    const run = await tracker.startRun({
      experimentName: uniqueName('system'),
      logSystemMetrics: true,
      systemMetricsIntervalSeconds: 0.1,
    })
    await new Promise((resolve) => setTimeout(resolve, 450))
    await run.end()
    const keys = (await client.getRun(run.runId)).data.metrics.map((metric) => metric.key)
    expect(keys).toEqual(
      expect.arrayContaining([
        'system/cpu_utilization_percentage',
        'system/system_memory_usage_megabytes',
        'system/system_memory_usage_percentage',
        'system/disk_usage_percentage',
        'system/disk_usage_megabytes',
        'system/disk_available_megabytes',
      ]),
    )
    const cpu = await client
      .getMetricHistoryAll({ runId: run.runId, metricKey: 'system/cpu_utilization_percentage' })
      .toArray()
    expect(cpu.length).toBeGreaterThanOrEqual(2)
    expect(cpu.map((point) => point.step)).toEqual(cpu.map((_, index) => index))
    const memory = (await client.getRun(run.runId)).data.metrics.find(
      (metric) => metric.key === 'system/system_memory_usage_percentage',
    )
    expect(memory!.value).toBeGreaterThan(0)
    expect(memory!.value).toBeLessThanOrEqual(100)
  })
})

describe('module-level fluent functions', () => {
  afterEach(async () => {
    while (fluent.activeRun()) await fluent.endRun()
  })

  it('use the default tracker configured with setTrackingUri', async () => {
    fluent.configure({ exitHooks: false })
    fluent.setTrackingUri(server.url)
    expect(fluent.getTrackingUri()).toBe(server.url)
    const experiment = await fluent.setExperiment(uniqueName('module'))
    const run = await fluent.startRun({ runName: 'module-run' })
    expect(fluent.activeRun()).toBe(run)
    expect(() => fluent.setTrackingUri('http://127.0.0.1:1')).toThrow(/while run/)
    fluent.logParam('a', 1)
    fluent.logMetric('m', 0.5, { step: 2 })
    fluent.setTag('t', 'v')
    await fluent.flush()
    await fluent.endRun()
    expect(fluent.activeRun()).toBeUndefined()
    const stored = await fluent.getClient().getRun(run.runId)
    expect(stored.info).toMatchObject({
      experimentId: experiment.experimentId,
      status: 'FINISHED',
      runName: 'module-run',
    })
    expect(stored.data.params).toEqual([{ key: 'a', value: '1' }])
    expect(tagMap(stored.data.tags).t).toBe('v')

    const value = await fluent.withRun({}, () => 'done')
    expect(value).toBe('done')
  })
})
