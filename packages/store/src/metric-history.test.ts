import { compareInt64, type Int64Value, type Metric } from '@cairn/core'
import { describe, expect, it } from 'vitest'
import {
  arrayStepSet,
  HISTORY_CHUNK_SIZE,
  HISTORY_JSON_CHUNK_SIZE,
  rangeStepSet,
  sampleSteps,
} from './metric-history.js'
import { expectMlflowError } from './test-support/assertions.js'
import { describeEachStore, uniqueName } from './test-support/index.js'
import type { MetricHistoryCursor, TrackingStore } from './tracking-store.js'

/** A line-by-line port of MLflow's handler (`_get_sampled_steps` + `_get_sampled_steps_from_steps`). */
function mlflowSampledSteps(
  runs: number[][],
  maxResults: number,
  startStep?: number,
  endStep?: number,
): number[] {
  const bisectLeft = (list: number[], value: number) => list.filter((item) => item < value).length
  const bisectRight = (list: number[], value: number) => list.filter((item) => item <= value).length
  let minsAndMaxes = new Set<number>()
  for (const run of runs) {
    if (run.length) {
      minsAndMaxes.add(Math.min(...run))
      minsAndMaxes.add(Math.max(...run))
    }
  }
  const allSteps = [...new Set(runs.flat())].sort((a, b) => a - b)
  if (startStep === undefined && endStep === undefined) {
    startStep = 0
    endStep = allSteps.length ? allSteps[allSteps.length - 1]! : 0
  }
  const start = startStep!
  const end = endStep!
  minsAndMaxes = new Set([...minsAndMaxes].filter((step) => start <= step && step <= end))
  const startIdx = bisectLeft(allSteps, start)
  const endIdx = bisectRight(allSteps, end)
  let sampled: number[]
  if (endIdx - startIdx <= maxResults) {
    sampled = allSteps.slice(startIdx, endIdx)
  } else {
    const numSteps = endIdx - startIdx
    const interval = numSteps / maxResults
    sampled = []
    for (let i = 0; i < maxResults; i++) {
      const idx = startIdx + Math.trunc(i * interval)
      if (idx < numSteps) sampled.push(allSteps[idx]!)
    }
    sampled.push(allSteps[endIdx - 1]!)
  }
  return [...new Set([...sampled, ...minsAndMaxes])].sort((a, b) => a - b)
}

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

describe('sampleSteps', () => {
  const viaSets = (runs: number[][], maxResults: number, startStep?: number, endStep?: number) => {
    const distinct = [...new Set(runs.flat())].sort((a, b) => a - b)
    const runRanges = runs
      .filter((run) => run.length)
      .map((run) => ({ min: Math.min(...run), max: Math.max(...run) }))
    return sampleSteps({ steps: arrayStepSet(distinct), runRanges, startStep, endStep, maxResults })
  }

  it('agrees with MLflow on random step sets, ranges and limits', () => {
    const next = random(11)
    for (let trial = 0; trial < 300; trial++) {
      const runs = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
        Array.from({ length: Math.floor(next() * 60) }, () => Math.floor(next() * 80) - 5),
      )
      const maxResults = 1 + Math.floor(next() * 30)
      const ranged = next() < 0.5
      const start = Math.floor(next() * 40) - 5
      const end = start + Math.floor(next() * 50)
      const args: [number[][], number, number?, number?] = ranged
        ? [runs, maxResults, start, end]
        : [runs, maxResults]
      expect(viaSets(...args), JSON.stringify(args)).toEqual(mlflowSampledSteps(...args))
    }
  })

  it('keeps MLflow quirks: the index bound compares with the count, and first/last steps of runs stay', () => {
    const runs = [Array.from({ length: 20 }, (_, index) => index)]
    expect(viaSets(runs, 4, 10, 19)).toEqual(mlflowSampledSteps(runs, 4, 10, 19))
    // Positions 10, 12, 15 and 17 are not below the count (10), so only the range's last step is left.
    expect(viaSets(runs, 4, 10, 19)).toEqual([19])
    expect(viaSets([[0, 100], [50]], 1)).toEqual([0, 50, 100])
  })

  it('treats contiguous ranges like the list of their steps', () => {
    const next = random(5)
    for (let trial = 0; trial < 200; trial++) {
      const ranges = Array.from({ length: 1 + Math.floor(next() * 4) }, () => {
        const min = Math.floor(next() * 100) - 10
        return { min, max: min + Math.floor(next() * 60) }
      })
      const list = [
        ...new Set(
          ranges.flatMap(({ min, max }) => Array.from({ length: max - min + 1 }, (_, i) => min + i)),
        ),
      ].sort((a, b) => a - b)
      const fromRanges = rangeStepSet(ranges)
      const fromList = arrayStepSet(list)
      expect(fromRanges.size).toBe(list.length)
      for (const probe of [-20, 0, 5, 37, 99, 200])
        expect(fromRanges.countBelow(probe)).toBe(fromList.countBelow(probe))
      for (let index = 0; index < list.length; index += 7) expect(fromRanges.at(index)).toBe(list[index])
    }
  })
})

describeEachStore('metric history', (getStore) => {
  const newRun = async (store: TrackingStore) => {
    const experimentId = await store.createExperiment({ name: uniqueName('history') })
    return (await store.createRun({ experimentId, userId: 'u', runName: 'r', startTime: 1, tags: [] })).info
      .runId
  }
  const log = (store: TrackingStore, runId: string, metrics: Metric[]) =>
    store.logBatch({ runId, metrics, params: [], tags: [] })
  const point = (value: number, timestamp: number, step: number, key = 'loss'): Metric => ({
    key,
    value,
    timestamp,
    step,
  })

  it('returns every point ordered by (timestamp, step, value), paged by offset', async () => {
    const store = getStore()
    const runId = await newRun(store)
    await log(store, runId, [
      point(3, 2, 0),
      point(1, 1, 5),
      point(2, 1, 5),
      point(0, 1, 4),
      point(9, 3, -1),
      point(Number.NaN, 4, 0),
    ])
    const all = await store.getMetricHistory({ runId, metricKey: 'loss', offset: 0 })
    expect(all.nextOffset).toBeUndefined()
    expect(all.items.map((metric) => [metric.timestamp, metric.step, metric.value])).toEqual([
      [1, 4, 0],
      [1, 5, 1],
      [1, 5, 2],
      [2, 0, 3],
      [3, -1, 9],
      [4, 0, Number.NaN],
    ])
    const first = await store.getMetricHistory({ runId, metricKey: 'loss', maxResults: 4, offset: 0 })
    expect(first.items).toEqual(all.items.slice(0, 4))
    expect(first.nextOffset).toBe(4)
    const second = await store.getMetricHistory({ runId, metricKey: 'loss', maxResults: 4, offset: 4 })
    expect(second.items).toEqual(all.items.slice(4))
    expect(second.nextOffset).toBeUndefined()
    expect((await store.getMetricHistory({ runId, metricKey: 'unknown', offset: 0 })).items).toEqual([])
    await expectMlflowError(
      store.getMetricHistory({ runId: 'f'.repeat(32), metricKey: 'loss', offset: 0 }),
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  it('pages by cursor exactly as by offset, NaN and equal timestamps included', async () => {
    const store = getStore()
    const runId = await newRun(store)
    const points: Metric[] = []
    for (let index = 0; index < 57; index++)
      points.push(point(index % 4 === 0 ? Number.NaN : index % 3, Math.floor(index / 5), index % 7))
    await log(store, runId, points)
    const byOffset: Metric[] = []
    const byCursor: Metric[] = []
    let offset = 0
    for (;;) {
      const page = await store.getMetricHistory({ runId, metricKey: 'loss', maxResults: 5, offset })
      byOffset.push(...page.items)
      if (page.nextOffset === undefined) break
      offset = page.nextOffset
    }
    let after: MetricHistoryCursor | undefined
    for (let pages = 0; ; pages++) {
      const page = await store.getMetricHistory({
        runId,
        metricKey: 'loss',
        maxResults: 5,
        offset: pages * 5,
        after,
      })
      byCursor.push(...page.items)
      if (!page.nextCursor) break
      after = page.nextCursor
    }
    expect(byOffset).toHaveLength(57)
    expect(byCursor).toEqual(byOffset)
    await expectMlflowError(
      store.getMetricHistory({
        runId,
        metricKey: 'loss',
        maxResults: 5,
        offset: 0,
        after: ['x', 1, 2, 3] as never,
      }),
      'INVALID_PARAMETER_VALUE',
    )
  })

  it('renders the same pages as wire JSON, by offset and by cursor, with the same next position', async () => {
    const store = getStore()
    const runId = await newRun(store)
    const points: Metric[] = []
    for (let index = 0; index < 23; index++)
      points.push(point(index % 4 === 0 ? Number.NaN : -index / 3, Math.floor(index / 5), index % 7))
    await log(store, runId, points)
    const wire = (metric: Metric) => ({
      key: 'loss',
      value: Number.isNaN(metric.value) ? 'NaN' : metric.value,
      timestamp: metric.timestamp,
      step: metric.step,
    })
    for (const useCursor of [false, true]) {
      let offset = 0
      let after: MetricHistoryCursor | undefined
      for (let pages = 0; pages < 10; pages++) {
        const input = {
          runId,
          metricKey: 'loss',
          maxResults: 5,
          offset,
          after: useCursor ? after : undefined,
        }
        const expected = await store.getMetricHistory(input)
        const page = await store.getMetricHistoryJson(input)
        expect(page.count).toBe(expected.items.length)
        expect(JSON.parse(`[${page.json}]`)).toEqual(expected.items.map(wire))
        expect(page.nextOffset).toBe(expected.nextOffset)
        expect(page.nextCursor).toEqual(expected.nextCursor)
        if (page.nextOffset === undefined) {
          expect(pages).toBe(4)
          break
        }
        offset = page.nextOffset
        after = page.nextCursor
      }
    }
    const exact = await store.getMetricHistoryJson({ runId, metricKey: 'loss', maxResults: 23, offset: 0 })
    expect(exact.count).toBe(23)
    expect(exact.nextOffset).toBeUndefined()
    const unknownKey = await store.getMetricHistoryJson({
      runId,
      metricKey: 'none',
      maxResults: 5,
      offset: 0,
    })
    expect(unknownKey).toEqual({ json: '', count: 0 })
    await expectMlflowError(
      store.getMetricHistoryJson({ runId: 'f'.repeat(32), metricKey: 'loss', maxResults: 5, offset: 0 }),
      'RESOURCE_DOES_NOT_EXIST',
    )
    await expectMlflowError(
      store.getMetricHistoryJson({
        runId,
        metricKey: 'loss',
        maxResults: 5,
        offset: 0,
        after: [1, 2, 3, 4] as never,
      }),
      'INVALID_PARAMETER_VALUE',
    )
  })

  it('streams long histories in chunks, as objects and as wire JSON', async () => {
    const store = getStore()
    const runId = await newRun(store)
    const total = 2 * HISTORY_CHUNK_SIZE + 123
    for (let start = 0; start < total; start += 1000) {
      const batch: Metric[] = []
      for (let index = start; index < Math.min(start + 1000, total); index++) {
        // Equal timestamps across a chunk boundary, a NaN and negative values.
        batch.push(point(index === 7 ? Number.NaN : -index / 3, Math.floor(index / 3), index % 5))
      }
      await log(store, runId, batch)
    }
    const expected = (await store.getMetricHistory({ runId, metricKey: 'loss', offset: 0 })).items
    const chunks: Metric[][] = []
    for await (const chunk of store.streamMetricHistory(runId, 'loss')) chunks.push(chunk)
    expect(chunks.map((chunk) => chunk.length)).toEqual([HISTORY_CHUNK_SIZE, HISTORY_CHUNK_SIZE, 123])
    expect(chunks.flat()).toEqual(expected)

    const texts: string[] = []
    for await (const text of store.streamMetricHistoryJson(runId, 'loss')) texts.push(text)
    expect(texts).toHaveLength(Math.ceil(total / HISTORY_JSON_CHUNK_SIZE))
    const parsed = JSON.parse(`[${texts.join(',')}]`) as {
      key: string
      value: number | string
      timestamp: number
      step: number
    }[]
    expect(parsed).toEqual(
      expected.map((metric) => ({
        key: 'loss',
        value: Number.isNaN(metric.value) ? 'NaN' : metric.value,
        timestamp: metric.timestamp,
        step: metric.step,
      })),
    )
  })

  it('streams nothing for an unknown key and fails for an unknown run', async () => {
    const store = getStore()
    const runId = await newRun(store)
    const chunks: unknown[] = []
    for await (const chunk of store.streamMetricHistoryJson(runId, 'nothing')) chunks.push(chunk)
    for await (const chunk of store.streamMetricHistory(runId, 'nothing')) chunks.push(chunk)
    expect(chunks).toEqual([])
    const consume = async (iterable: AsyncIterable<unknown>) => {
      for await (const _ of iterable) {
      }
    }
    await expectMlflowError(
      consume(store.streamMetricHistory('e'.repeat(32), 'loss')),
      'RESOURCE_DOES_NOT_EXIST',
    )
    await expectMlflowError(
      consume(store.streamMetricHistoryJson('e'.repeat(32), 'loss')),
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  it('reads histories of several runs sorted by run id, up to max results', async () => {
    const store = getStore()
    const runIds = [await newRun(store), await newRun(store), await newRun(store)]
    for (const [index, runId] of runIds.entries()) {
      await log(store, runId, [point(index, 2, 1), point(index + 0.5, 1, 2), point(7, 9, 9, 'other')])
    }
    const sorted = [...runIds].sort()
    const bulk = await store.getMetricHistoryBulk({
      runIds: [...runIds, 'f'.repeat(32)],
      metricKey: 'loss',
      maxResults: 100,
    })
    expect(bulk.map((metric) => metric.runId)).toEqual(sorted.flatMap((runId) => [runId, runId]))
    expect(bulk.filter((metric) => metric.runId === runIds[1]).map((metric) => metric.value)).toEqual([
      1.5, 1,
    ])
    expect(await store.getMetricHistoryBulk({ runIds, metricKey: 'loss', maxResults: 3 })).toEqual(
      bulk.slice(0, 3),
    )
  })

  describe('getMetricHistoryBulkInterval', () => {
    const expectedPoints = (history: Map<string, Metric[]>, runIds: string[], steps: Int64Value[]) =>
      runIds.flatMap((runId) =>
        (history.get(runId) ?? [])
          .filter((metric) => steps.includes(metric.step))
          .sort(
            (a, b) =>
              compareInt64(a.step, b.step) || compareInt64(a.timestamp, b.timestamp) || a.value - b.value,
          )
          .map((metric) => ({ ...metric, runId })),
      )

    it('samples like MLflow across runs with gaps, duplicates and ranges', async () => {
      const store = getStore()
      const next = random(3)
      const runIds = [await newRun(store), await newRun(store), await newRun(store)]
      const history = new Map<string, Metric[]>()
      for (const runId of runIds) {
        const points: Metric[] = []
        const count = 30 + Math.floor(next() * 200)
        for (let index = 0; index < count; index++) {
          points.push(point(Math.round(next() * 100), 1000 + index, Math.floor(next() * 400) - 10))
        }
        await log(store, runId, points)
        history.set(runId, (await store.getMetricHistory({ runId, metricKey: 'loss', offset: 0 })).items)
      }
      const steps = (runId: string) => history.get(runId)!.map((metric) => Number(metric.step))
      for (const [maxResults, startStep, endStep] of [
        [2500, undefined, undefined],
        [10, undefined, undefined],
        [7, 20, 300],
        [50, -10, 5],
        [3, 390, 400],
      ] as const) {
        const sampled = mlflowSampledSteps(runIds.map(steps), maxResults, startStep, endStep)
        const actual = await store.getMetricHistoryBulkInterval({
          runIds,
          metricKey: 'loss',
          maxResults,
          startStep,
          endStep,
        })
        expect(actual).toEqual(expectedPoints(history, runIds, sampled))
      }
    })

    it('samples contiguous series without scanning them, with the same answer', async () => {
      const store = getStore()
      const runIds = [await newRun(store), await newRun(store)]
      const history = new Map<string, Metric[]>()
      for (const [runIndex, runId] of runIds.entries()) {
        const points: Metric[] = []
        for (let step = runIndex * 500; step < 3000 + runIndex * 500; step++)
          points.push(point(step / 7, 10 * step, step))
        // A second point at an existing step keeps the steps contiguous.
        points.push(point(-1, 1, 5 + runIndex * 500))
        for (let start = 0; start < points.length; start += 1000)
          await log(store, runId, points.slice(start, start + 1000))
        history.set(runId, (await store.getMetricHistory({ runId, metricKey: 'loss', offset: 0 })).items)
      }
      const steps = (runId: string) => history.get(runId)!.map((metric) => Number(metric.step))
      for (const [maxResults, startStep, endStep] of [
        [2500, undefined, undefined],
        [100, 250, 2750],
        [1, 0, 0],
      ] as const) {
        const sampled = mlflowSampledSteps(runIds.map(steps), maxResults, startStep, endStep)
        const actual = await store.getMetricHistoryBulkInterval({
          runIds,
          metricKey: 'loss',
          maxResults,
          startStep,
          endStep,
        })
        expect(actual).toEqual(expectedPoints(history, runIds, sampled))
      }
    })

    it('keeps step statistics right when points arrive out of order', async () => {
      const store = getStore()
      const runId = await newRun(store)
      await log(store, runId, [point(1, 1, 10), point(1, 1, 12)])
      await log(store, runId, [point(1, 2, 11), point(1, 3, 10), point(1, 1, 12)])
      await log(store, runId, [point(1, 4, 8), point(2, 4, 8)])
      const all = await store.getMetricHistoryBulkInterval({
        runIds: [runId],
        metricKey: 'loss',
        maxResults: 2,
      })
      expect([...new Set(all.map((metric) => metric.step))]).toEqual(
        mlflowSampledSteps([[10, 12, 11, 10, 12, 8, 8]], 2),
      )
    })

    it('fails for an unknown run and returns nothing for an unknown key', async () => {
      const store = getStore()
      const runId = await newRun(store)
      await expectMlflowError(
        store.getMetricHistoryBulkInterval({
          runIds: [runId, 'a'.repeat(32)],
          metricKey: 'loss',
          maxResults: 10,
        }),
        'RESOURCE_DOES_NOT_EXIST',
        `Run with id=${'a'.repeat(32)} not found`,
      )
      expect(
        await store.getMetricHistoryBulkInterval({ runIds: [runId], metricKey: 'none', maxResults: 10 }),
      ).toEqual([])
    })
  })
})
