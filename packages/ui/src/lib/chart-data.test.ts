import type { MetricBucket } from '@cairn/sdk'
import { describe, expect, it } from 'vitest'
import {
  alignSeries,
  bucketsToSeries,
  formatZoom,
  keyboardStepRange,
  parseZoom,
  smooth,
  stepRangeForX,
} from './chart-data.js'

const bucket = (fields: Partial<MetricBucket>): MetricBucket => ({
  runId: 'r',
  bucket: 0,
  count: 100,
  min: 0,
  max: 0,
  firstStep: 0,
  firstValue: 0,
  firstTimestamp: 0,
  lastStep: 99,
  lastValue: 0,
  lastTimestamp: 99_000,
  ...fields,
})

describe('chart data', () => {
  it('draws each bucket through its first point, its extremes and its last point, so spikes stay', () => {
    const series = bucketsToSeries('r', [bucket({ min: -1, max: 500, firstValue: 1, lastValue: 2 })], 'step')
    expect(series.y).toEqual([1, -1, 500, 2])
    expect(series.x).toEqual([0, 49.5, 49.5, 99])
    expect(Math.max(...series.y)).toBe(500)
  })

  it('uses wall-clock seconds or seconds since the run started as x', () => {
    const buckets = [bucket({ count: 1, firstTimestamp: 5000, lastTimestamp: 5000, lastStep: 0 })]
    expect(bucketsToSeries('r', buckets, 'time').x).toEqual([5])
    expect(bucketsToSeries('r', buckets, 'relative', 3000).x).toEqual([2])
  })

  it('smooths with a debiased moving average and leaves weight 0 alone', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3])
    const smoothed = smooth([10, 10, 10], 0.9)
    for (const value of smoothed) expect(value).toBeCloseTo(10)
  })

  it('aligns runs on one x array with gaps', () => {
    expect(
      alignSeries([
        { runId: 'a', x: [0, 2], y: [1, 3] },
        { runId: 'b', x: [1], y: [5] },
      ]),
    ).toEqual([
      [0, 1, 2],
      [1, null, 3],
      [null, 5, null],
    ])
  })

  it('maps a zoomed time range back to the step range of the buckets it covers', () => {
    const buckets = [
      bucket({ firstStep: 0, lastStep: 9, firstTimestamp: 0, lastTimestamp: 9000 }),
      bucket({ firstStep: 10, lastStep: 19, firstTimestamp: 10_000, lastTimestamp: 19_000 }),
    ]
    expect(stepRangeForX(buckets, 'time', { min: 12, max: 15 }, new Map())).toEqual({ min: 10, max: 19 })
    expect(stepRangeForX(buckets, 'step', { min: 2.5, max: 7.2 }, new Map())).toEqual({ min: 2, max: 8 })
  })

  it('zooms and pans the step range from the keyboard', () => {
    const full = { min: 0, max: 1000 }
    expect(keyboardStepRange('+', undefined, full)).toEqual({ min: 250, max: 750 })
    expect(keyboardStepRange('=', { min: 250, max: 750 }, full)).toEqual({ min: 375, max: 625 })
    expect(keyboardStepRange('ArrowRight', { min: 250, max: 750 }, full)).toEqual({ min: 375, max: 875 })
    expect(keyboardStepRange('ArrowRight', { min: 400, max: 900 }, full)).toEqual({ min: 500, max: 1000 })
    expect(keyboardStepRange('ArrowLeft', { min: 50, max: 550 }, full)).toEqual({ min: 0, max: 500 })
    expect(keyboardStepRange('-', { min: 375, max: 625 }, full)).toEqual({ min: 250, max: 750 })
    expect(keyboardStepRange('-', { min: 250, max: 750 }, full)).toBeNull()
    expect(keyboardStepRange('Escape', { min: 250, max: 750 }, full)).toBeNull()
    expect(keyboardStepRange('ArrowLeft', undefined, full)).toBeNull()
    expect(keyboardStepRange('+', { min: 10, max: 12 }, full)).toEqual({ min: 10, max: 12 })
    expect(keyboardStepRange('a', undefined, full)).toBeUndefined()
  })

  it('writes and reads the zoomed step range of the URL', () => {
    expect(formatZoom({ min: -5, max: 120 })).toBe('-5:120')
    expect(parseZoom('-5:120')).toEqual({ min: -5, max: 120 })
    for (const bad of [null, '', '5', '9:1', 'a:b', '1.5:3', '1:99999999999999999999'])
      expect(parseZoom(bad)).toBeUndefined()
  })
})
