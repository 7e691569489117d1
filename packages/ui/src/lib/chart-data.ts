import type { MetricBucket } from '@cairn/sdk'

export type XAxisMode = 'step' | 'time' | 'relative'

/** One run's line: x values (step, epoch seconds or seconds since the run started) and y values. */
export interface Series {
  runId: string
  x: number[]
  y: number[]
}

/**
 * Turns a run's buckets into a line that passes through every bucket's first point, its min and max
 * (in the middle of the bucket, in the order that keeps the line's direction) and its last point,
 * so a single-point spike anywhere in the range is drawn.
 */
export function bucketsToSeries(
  runId: string,
  buckets: readonly MetricBucket[],
  mode: XAxisMode,
  runStartTime = 0,
): Series {
  const x: number[] = []
  const y: number[] = []
  const xOf = (step: number, timestamp: number) =>
    mode === 'step' ? step : mode === 'time' ? timestamp / 1000 : (timestamp - runStartTime) / 1000
  let lastX = Number.NEGATIVE_INFINITY
  const push = (xValue: number, yValue: number) => {
    // uPlot needs non-decreasing x; timestamps of later steps can be earlier.
    const safeX = Math.max(xValue, lastX)
    x.push(safeX)
    y.push(yValue)
    lastX = safeX
  }
  for (const bucket of buckets) {
    const firstStep = Number(bucket.firstStep)
    const lastStep = Number(bucket.lastStep)
    const firstX = xOf(firstStep, Number(bucket.firstTimestamp))
    const lastX2 = xOf(lastStep, Number(bucket.lastTimestamp))
    push(firstX, bucket.firstValue)
    if (bucket.count > 2) {
      const middle = (firstX + lastX2) / 2
      const rising = bucket.lastValue >= bucket.firstValue
      const [a, b] = rising ? [bucket.min, bucket.max] : [bucket.max, bucket.min]
      if (a !== bucket.firstValue) push(middle, a)
      if (b !== bucket.lastValue) push(middle, b)
    }
    if (bucket.count > 1) push(lastX2, bucket.lastValue)
  }
  return { runId, x, y }
}

/** Exponential moving average with TensorBoard's debiasing; weight 0 leaves the values as they are. */
export function smooth(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...values]
  const result: number[] = []
  let last = 0
  let steps = 0
  for (const value of values) {
    if (!Number.isFinite(value)) {
      result.push(value)
      continue
    }
    last = last * weight + (1 - weight) * value
    steps++
    result.push(last / (1 - weight ** steps))
  }
  return result
}

/**
 * Aligns several series on one sorted x array (what uPlot draws), with null where a series has no
 * point at an x. Duplicate x values of one series keep their order by repeating the x.
 */
export function alignSeries(series: readonly Series[]): [number[], ...(number | null)[][]] {
  const all: { x: number; series: number; y: number }[] = []
  series.forEach((line, index) => {
    for (let i = 0; i < line.x.length; i++) all.push({ x: line.x[i]!, series: index, y: line.y[i]! })
  })
  all.sort((a, b) => a.x - b.x || a.series - b.series)
  const xs: number[] = []
  const ys: (number | null)[][] = series.map(() => [])
  for (const point of all) {
    xs.push(point.x)
    ys.forEach((column, index) => {
      column.push(index === point.series ? point.y : null)
    })
  }
  return [xs, ...ys]
}

/** The step range of a zoomed x range in time modes, read from the loaded buckets. */
export function stepRangeForX(
  buckets: readonly MetricBucket[],
  mode: XAxisMode,
  range: { min: number; max: number },
  startTimes: ReadonlyMap<string, number>,
): { min: number; max: number } | undefined {
  if (mode === 'step') return { min: Math.floor(range.min), max: Math.ceil(range.max) }
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const bucket of buckets) {
    const start = mode === 'relative' ? (startTimes.get(bucket.runId) ?? 0) : 0
    const firstX = (Number(bucket.firstTimestamp) - start) / 1000
    const lastX = (Number(bucket.lastTimestamp) - start) / 1000
    if (lastX >= range.min && firstX <= range.max) {
      min = Math.min(min, Number(bucket.firstStep))
      max = Math.max(max, Number(bucket.lastStep))
    }
  }
  return Number.isFinite(min) ? { min, max } : undefined
}

/**
 * The step range after a chart key: `+`/`=` zooms in to the middle half, `-` zooms out twice as wide, ←/→ pan by a
 * quarter of the range, `0` or Escape resets. `full` is the whole step range of the chart. Answers `null` for
 * the whole range (no zoom) and `undefined` for keys the chart does not handle.
 */
export function keyboardStepRange(
  key: string,
  current: { min: number; max: number } | undefined,
  full: { min: number; max: number },
): { min: number; max: number } | null | undefined {
  const range = current ?? full
  const span = Math.max(1, range.max - range.min)
  let next: { min: number; max: number }
  if (key === '+' || key === '=') {
    if (span < 4) return current ?? null
    next = { min: range.min + Math.floor(span / 4), max: range.max - Math.floor(span / 4) }
  } else if (key === '-' || key === '_') {
    next = { min: range.min - Math.ceil(span / 2), max: range.max + Math.ceil(span / 2) }
  } else if (key === 'ArrowLeft' || key === 'ArrowRight') {
    if (!current) return null
    const shift = Math.max(1, Math.floor(span / 4)) * (key === 'ArrowLeft' ? -1 : 1)
    const min = Math.max(full.min, Math.min(full.max - span, range.min + shift))
    next = { min, max: min + span }
  } else if (key === '0' || key === 'Escape') return null
  else return undefined
  next = { min: Math.max(full.min, next.min), max: Math.min(full.max, next.max) }
  return next.min <= full.min && next.max >= full.max ? null : next
}

/** A zoomed step range as written in the URL: `<min>:<max>`. */
export function formatZoom(range: { min: number; max: number }): string {
  return `${range.min}:${range.max}`
}

/** The step range of a `zoom.<metric>` URL value, or undefined when it is missing or malformed. */
export function parseZoom(text: string | null | undefined): { min: number; max: number } | undefined {
  const match = /^(-?\d+):(-?\d+)$/.exec(text ?? '')
  if (!match) return undefined
  const min = Number(match[1])
  const max = Number(match[2])
  return Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max ? { min, max } : undefined
}
