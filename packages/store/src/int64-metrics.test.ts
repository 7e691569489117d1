import { compareInt64, INT64_MAX, INT64_MIN, type Int64Value, type Metric, parseExactJson } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import { arrayStepSet, HISTORY_CHUNK_SIZE, sampleSteps } from './metric-history.js'
import { describeEachStore, uniqueName } from './test-support/index.js'
import type { MetricHistoryCursor, TrackingStore } from './tracking-store.js'

/** 2^53: the first integer a double cannot tell from its neighbour (2^53 + 1 rounds to it). */
const TWO_53 = 2n ** 53n
const TWO_62 = 2n ** 62n

describe('sampleSteps with int64 steps', () => {
  it('samples steps beyond ±2^53 exactly, from 0 to the last step by default', () => {
    const steps = [-TWO_62, 0, 1, 2, 5, TWO_53 + 1n, TWO_53 + 2n, TWO_62]
    const sampled = sampleSteps({
      steps: arrayStepSet(steps),
      runRanges: [
        { min: -TWO_62, max: TWO_62 },
        { min: 5, max: TWO_53 + 2n },
      ],
      maxResults: 2,
    })
    // Seven steps in [0, 2^62], two wanted: positions 0 and 3, the range's last step, then the runs'
    // first and last steps that fall in the range.
    expect(sampled).toEqual([0, 5, TWO_53 + 2n, TWO_62])
    expect(sampleSteps({ steps: arrayStepSet(steps), runRanges: [], maxResults: 100 })).toEqual(
      steps.slice(1),
    )
  })
})

describeEachStore('int64 steps and timestamps', (getStore) => {
  const newRun = async (store: TrackingStore, experimentId?: string) => {
    const experiment = experimentId ?? (await store.createExperiment({ name: uniqueName('int64') }))
    return (
      await store.createRun({ experimentId: experiment, userId: 'u', runName: 'r', startTime: 1, tags: [] })
    ).info.runId
  }
  const log = (store: TrackingStore, runId: string, metrics: Metric[]) =>
    store.logBatch({ runId, metrics, params: [], tags: [] })
  const point = (value: number, timestamp: Int64Value, step: Int64Value, key = 'i64'): Metric => ({
    key,
    value,
    timestamp,
    step,
  })
  const history = async (store: TrackingStore, runId: string, key = 'i64') =>
    (await store.getMetricHistory({ runId, metricKey: key, offset: 0 })).items

  it('stores them exactly and orders the history by their exact values', async () => {
    const store = getStore()
    const runId = await newRun(store)
    await log(store, runId, [
      point(1, 1, TWO_53 + 1n),
      point(2, 1, TWO_53),
      point(3, 1, INT64_MAX),
      point(4, 1, INT64_MIN),
      point(5, 1, 9007199254740991),
      point(6, TWO_62 + 1n, 0),
      point(7, TWO_62, 0),
      point(8, INT64_MAX, -TWO_62),
    ])
    expect(
      (await history(store, runId)).map((metric) => [metric.timestamp, metric.step, metric.value]),
    ).toEqual([
      [1, INT64_MIN, 4],
      [1, 9007199254740991, 5],
      [1, TWO_53, 2],
      [1, TWO_53 + 1n, 1],
      [1, INT64_MAX, 3],
      [TWO_62, 0, 7],
      [TWO_62 + 1n, 0, 6],
      [INT64_MAX, -TWO_62, 8],
    ])
  })

  it('keeps neighbours a double cannot tell apart as separate points, and ignores identical ones', async () => {
    const store = getStore()
    const runId = await newRun(store)
    await log(store, runId, [point(1, 1, TWO_53), point(1, 1, TWO_53 + 1n), point(1, 1, TWO_53 + 2n)])
    await log(store, runId, [point(1, 1, TWO_53 + 1n)])
    expect((await history(store, runId)).map((metric) => metric.step)).toEqual([
      TWO_53,
      TWO_53 + 1n,
      TWO_53 + 2n,
    ])
  })

  it('takes the latest metric by exact step, and searches runs on it', async () => {
    const store = getStore()
    const experimentId = await store.createExperiment({ name: uniqueName('int64-search') })
    // Rounded, both steps would be 2^53 and the later timestamp would win (value 1).
    const bigStep = point(10, 1, TWO_53 + 1n, 'm')
    const smallStep = point(1, 2, TWO_53, 'm')
    const inOneBatch = await newRun(store, experimentId)
    await log(store, inOneBatch, [smallStep, bigStep])
    const bigFirst = await newRun(store, experimentId)
    await log(store, bigFirst, [bigStep])
    await log(store, bigFirst, [smallStep])
    const smallFirst = await newRun(store, experimentId)
    await log(store, smallFirst, [smallStep])
    await log(store, smallFirst, [bigStep])
    const middle = await newRun(store, experimentId)
    await log(store, middle, [point(5, 1, 0, 'm')])

    for (const runId of [inOneBatch, bigFirst, smallFirst]) {
      expect((await store.getRun(runId)).data.metrics).toEqual([bigStep])
    }
    const page = await store.searchRuns({
      experimentIds: [experimentId],
      filter: { kind: 'comparison', entity: 'metric', key: 'm', comparator: '>', value: 3 },
      viewType: 'ACTIVE_ONLY',
      maxResults: 10,
      orderBy: [{ entity: 'metric', key: 'm', ascending: true }],
      offset: 0,
    })
    expect(page.items[0]!.info.runId).toBe(middle)
    expect(
      page.items
        .slice(1)
        .map((run) => run.info.runId)
        .sort(),
    ).toEqual([inOneBatch, bigFirst, smallFirst].sort())
    expect(page.items.slice(1).map((run) => run.data.metrics[0]!.step)).toEqual([
      TWO_53 + 1n,
      TWO_53 + 1n,
      TWO_53 + 1n,
    ])
  })

  it('pages and streams across chunk boundaries that fall on int64 positions', async () => {
    const store = getStore()
    const runId = await newRun(store)
    const total = 2 * HISTORY_CHUNK_SIZE + 5
    for (let start = 0; start < total; start += 1000) {
      const batch: Metric[] = []
      for (let index = start; index < Math.min(start + 1000, total); index++) {
        // Equal unsafe timestamps across chunk boundaries; steps a double would merge.
        batch.push(point(index, TWO_62 + BigInt(Math.floor(index / 3)), TWO_53 + BigInt(index % 3)))
      }
      await log(store, runId, batch)
    }
    const expected = await history(store, runId)
    expect(expected).toHaveLength(total)
    expect(expected.map((metric) => metric.value)).toEqual(Array.from({ length: total }, (_, index) => index))

    const chunks: Metric[][] = []
    for await (const chunk of store.streamMetricHistory(runId, 'i64')) chunks.push(chunk)
    expect(chunks.flat()).toEqual(expected)

    const texts: string[] = []
    for await (const text of store.streamMetricHistoryJson(runId, 'i64')) texts.push(text)
    const parsed = parseExactJson(`[${texts.join(',')}]`) as Record<string, unknown>[]
    expect(parsed.map(({ timestamp, step, value }) => ({ timestamp, step, value: Number(value) }))).toEqual(
      expected.map(({ timestamp, step, value }) => ({ timestamp, step, value })),
    )

    const byCursor: Metric[] = []
    let after: MetricHistoryCursor | undefined
    for (let pages = 0; ; pages++) {
      const page = await store.getMetricHistory({
        runId,
        metricKey: 'i64',
        maxResults: 4999,
        offset: pages * 4999,
        after,
      })
      byCursor.push(...page.items)
      if (!page.nextCursor) break
      after = page.nextCursor
    }
    expect(byCursor).toEqual(expected)
  })

  it('samples bulk intervals over int64 steps, contiguous or not', async () => {
    const store = getStore()
    const sparse = await newRun(store)
    await log(
      store,
      sparse,
      [0, 1, 2, TWO_53 + 1n, TWO_62, -TWO_62].map((step) => point(1, 1, step)),
    )
    const other = await newRun(store)
    await log(
      store,
      other,
      [5, TWO_53 + 2n].map((step) => point(2, 1, step)),
    )
    const contiguous = await newRun(store)
    await log(
      store,
      contiguous,
      [TWO_53, TWO_53 + 1n, TWO_53 + 2n, TWO_53 + 3n].map((step) => point(3, 1, step)),
    )

    const steps = async (
      runIds: string[],
      options: { maxResults: number; startStep?: number; endStep?: number },
    ) =>
      (await store.getMetricHistoryBulkInterval({ runIds, metricKey: 'i64', ...options })).map((metric) => [
        metric.runId,
        metric.step,
      ])
    expect(await steps([sparse, other], { maxResults: 2 })).toEqual([
      [sparse, 0],
      [sparse, TWO_62],
      [other, 5],
      [other, TWO_53 + 2n],
    ])
    expect(await steps([sparse, other], { maxResults: 100, startStep: 1, endStep: 2 ** 31 - 1 })).toEqual([
      [sparse, 1],
      [sparse, 2],
      [other, 5],
    ])
    expect(await steps([contiguous], { maxResults: 100 })).toEqual(
      [TWO_53, TWO_53 + 1n, TWO_53 + 2n, TWO_53 + 3n].map((step) => [contiguous, step]),
    )
    const all = await store.getMetricHistoryBulk({ runIds: [contiguous], metricKey: 'i64', maxResults: 10 })
    expect(all.map((metric) => metric.step).sort(compareInt64)).toEqual([
      TWO_53,
      TWO_53 + 1n,
      TWO_53 + 2n,
      TWO_53 + 3n,
    ])
  })
})
