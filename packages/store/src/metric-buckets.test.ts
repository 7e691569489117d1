import type { Metric } from '@cairn/core'
import { expect, it } from 'vitest'
import { completedBucketJobs } from './sqlite-bucket-workers.js'
import { expectMlflowError } from './test-support/assertions.js'
import { describeEachStore, uniqueName } from './test-support/index.js'

describeEachStore('metric history buckets', (getStore, kind) => {
  async function newRun(): Promise<string> {
    const store = getStore()
    const experimentId = await store.createExperiment({ name: uniqueName('buckets'), tags: [] })
    const run = await store.createRun({ experimentId, userId: 'u', runName: 'r', startTime: 1, tags: [] })
    return run.info.runId
  }

  async function logSeries(runId: string, points: Metric[]): Promise<void> {
    for (let offset = 0; offset < points.length; offset += 1000) {
      await getStore().logBatch({ runId, metrics: points.slice(offset, offset + 1000), params: [], tags: [] })
    }
  }

  const series = (count: number, value: (step: number) => number): Metric[] =>
    Array.from({ length: count }, (_, step) => ({
      key: 'loss',
      value: value(step),
      timestamp: 1000 + step,
      step,
    }))

  it('keeps a one-point spike visible in a long series, with first and last points per bucket', async () => {
    const runId = await newRun()
    await logSeries(
      runId,
      series(10_000, (step) => (step === 6_543 ? 1e6 : step % 7)),
    )
    const buckets = await getStore().getMetricHistoryBuckets({
      runIds: [runId],
      metricKey: 'loss',
      buckets: 100,
    })
    expect(buckets).toHaveLength(100)
    expect(buckets.map((bucket) => bucket.count).reduce((a, b) => a + b)).toBe(10_000)
    const spike = buckets.find((bucket) => bucket.max === 1e6)
    expect(spike?.bucket).toBe(65)
    expect(spike).toMatchObject({ firstStep: 6500, lastStep: 6599, min: 0, count: 100 })
    expect(buckets[0]).toMatchObject({
      bucket: 0,
      firstStep: 0,
      firstValue: 0,
      firstTimestamp: 1000,
      lastStep: 99,
    })
    expect(buckets[0]?.lastValue).toBe(99 % 7)
  })

  it('buckets only the asked step range and answers single points when the range is sparse', async () => {
    const runId = await newRun()
    await logSeries(
      runId,
      series(1000, (step) => step * 2),
    )
    const buckets = await getStore().getMetricHistoryBuckets({
      runIds: [runId],
      metricKey: 'loss',
      startStep: 10,
      endStep: 14,
      buckets: 50,
    })
    expect(buckets.map((bucket) => [bucket.firstStep, bucket.min, bucket.count])).toEqual([
      [10, 20, 1],
      [11, 22, 1],
      [12, 24, 1],
      [13, 26, 1],
      [14, 28, 1],
    ])
  })

  it('aligns the buckets of several runs on one step range and reports the run of each', async () => {
    const [first, second] = [await newRun(), await newRun()]
    await logSeries(
      first!,
      series(100, () => 1),
    )
    await logSeries(
      second!,
      series(200, () => 2),
    )
    const buckets = await getStore().getMetricHistoryBuckets({
      runIds: [first!, second!],
      metricKey: 'loss',
      buckets: 10,
    })
    expect(buckets.filter((bucket) => bucket.runId === first).map((bucket) => bucket.bucket)).toEqual([
      0, 1, 2, 3, 4,
    ])
    expect(buckets.filter((bucket) => bucket.runId === second)).toHaveLength(10)
  })

  it('leaves NaN points out, and answers nothing for an unknown key', async () => {
    const runId = await newRun()
    await logSeries(runId, [
      { key: 'loss', value: Number.NaN, timestamp: 1, step: 0 },
      { key: 'loss', value: 3, timestamp: 2, step: 1 },
    ])
    const buckets = await getStore().getMetricHistoryBuckets({
      runIds: [runId],
      metricKey: 'loss',
      buckets: 2,
    })
    expect(buckets).toHaveLength(1)
    expect(buckets[0]).toMatchObject({ min: 3, max: 3, count: 1 })
    expect(
      await getStore().getMetricHistoryBuckets({ runIds: [runId], metricKey: 'nope', buckets: 2 }),
    ).toEqual([])
  })

  it('rejects unknown runs and bad ranges with MLflow errors', async () => {
    const runId = await newRun()
    const store = getStore()
    await expectMlflowError(
      store.getMetricHistoryBuckets({ runIds: ['0'.repeat(32)], metricKey: 'loss', buckets: 5 }),
      'RESOURCE_DOES_NOT_EXIST',
    )
    await expectMlflowError(
      store.getMetricHistoryBuckets({ runIds: [runId], metricKey: 'loss', buckets: 0 }),
      'INVALID_PARAMETER_VALUE',
    )
    await expectMlflowError(
      store.getMetricHistoryBuckets({ runIds: [runId], metricKey: 'loss', startStep: 5, buckets: 5 }),
      'INVALID_PARAMETER_VALUE',
    )
    await expectMlflowError(
      store.getMetricHistoryBuckets({
        runIds: [runId],
        metricKey: 'loss',
        startStep: 5,
        endStep: 1,
        buckets: 5,
      }),
      'INVALID_PARAMETER_VALUE',
    )
  })

  it('answers the same on worker threads as on the store connection, for many runs at once and huge steps', async () => {
    const store = getStore()
    const runs = [await newRun(), await newRun(), await newRun()]
    for (const [index, runId] of runs.entries()) {
      await logSeries(
        runId,
        series(3000, (step) => (step === 700 * (index + 1) ? -50 : Math.sin(step / 10) * (index + 1))),
      )
    }
    const huge = await newRun()
    const base = 2n ** 53n
    await store.logBatch({
      runId: huge,
      metrics: [0n, 1n, 3n, 10n].map((offset, index) => ({
        key: 'loss',
        value: index,
        timestamp: 5,
        step: base + offset,
      })),
      params: [],
      tags: [],
    })
    const ask = () =>
      Promise.all([
        store.getMetricHistoryBuckets({ runIds: runs, metricKey: 'loss', buckets: 97 }),
        ...runs.map((runId) =>
          store.getMetricHistoryBuckets({
            runIds: [runId],
            metricKey: 'loss',
            buckets: 500,
            startStep: 100,
            endStep: 2600,
          }),
        ),
        store.getMetricHistoryBuckets({ runIds: [huge], metricKey: 'loss', buckets: 3 }),
      ])
    const jobsBefore = completedBucketJobs()
    const threaded = await ask()
    // On SQLite the first answers come from the worker threads (one job per run and request).
    if (kind === 'sqlite') expect(completedBucketJobs() - jobsBefore).toBe(7)
    const previous = process.env.CAIRN_BUCKET_THREADS
    process.env.CAIRN_BUCKET_THREADS = '0'
    try {
      expect(await ask()).toEqual(threaded)
    } finally {
      if (previous === undefined) delete process.env.CAIRN_BUCKET_THREADS
      else process.env.CAIRN_BUCKET_THREADS = previous
    }
    expect(threaded[0]!.filter((bucket) => bucket.min === -50).map((bucket) => bucket.runId)).toEqual(runs)
    expect(threaded[0]!.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(9000)
    expect(threaded[4]!.map((bucket) => bucket.count).reduce((a, b) => a + b)).toBe(4)
    expect(threaded[4]![0]!.firstStep).toBe(base)
    expect(threaded[4]!.at(-1)!.lastStep).toBe(base + 10n)
  })

  it('sees points logged after an earlier read (live charts)', async () => {
    const store = getStore()
    const runId = await newRun()
    await logSeries(
      runId,
      series(100, () => 1),
    )
    const before = await store.getMetricHistoryBuckets({ runIds: [runId], metricKey: 'loss', buckets: 10 })
    expect(before.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(100)
    await store.logBatch({
      runId,
      metrics: [{ key: 'loss', value: 9, timestamp: 5000, step: 150 }],
      params: [],
      tags: [],
    })
    const after = await store.getMetricHistoryBuckets({ runIds: [runId], metricKey: 'loss', buckets: 10 })
    expect(after.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(101)
    expect(after.at(-1)).toMatchObject({ max: 9, lastStep: 150, lastValue: 9 })
  })
})
