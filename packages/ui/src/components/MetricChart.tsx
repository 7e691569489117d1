import type { MetricBucket } from '@cairn/sdk'
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import {
  alignSeries,
  bucketsToSeries,
  formatZoom,
  keyboardStepRange,
  parseZoom,
  type Series,
  smooth,
  stepRangeForX,
  type XAxisMode,
} from '../lib/chart-data.js'
import { useClient } from '../lib/client.js'
import { errorMessage } from '../lib/format.js'
import { cssVar, runColor } from '../lib/palette.js'
import { updateQuery, useRoute } from '../lib/router.js'

export interface ChartRun {
  runId: string
  name: string
  startTime: number
  running: boolean
}

export interface MetricChartProps {
  runs: readonly ChartRun[]
  metricKey: string
  mode: XAxisMode
  logScale: boolean
  /** EMA weight 0..0.99. */
  smoothing: number
  height?: number
  /** Refresh interval while a run is RUNNING (ms). */
  liveIntervalMs?: number
}

interface Loaded {
  buckets: MetricBucket[]
  range?: { min: number; max: number }
  /** Every run's buckets have arrived. */
  complete: boolean
}

const X_LABELS: Record<XAxisMode, string> = { step: 'Step', time: 'Wall time', relative: 'Relative time (s)' }

/** What the browser benchmark reads: when each chart asked for buckets and when it drew how many points. */
export interface ChartEvent {
  type: 'fetch' | 'partial' | 'data' | 'draw'
  metricKey: string
  at: number
  points?: number
}

declare global {
  interface Window {
    __cairnChartEvents?: ChartEvent[]
  }
}

function recordChartEvent(event: Omit<ChartEvent, 'at'>): void {
  window.__cairnChartEvents ??= []
  window.__cairnChartEvents.push({ ...event, at: performance.now() })
}

/**
 * A uPlot line chart of one metric across runs. Points come from the server's bucket endpoint for the
 * visible step range (about one bucket per pixel); selecting a range zooms in and fetches that range's
 * buckets, double-click zooms out. Running runs are refreshed every few seconds.
 */
export function MetricChart(props: MetricChartProps) {
  const client = useClient()
  const holder = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const [width, setWidth] = useState(0)
  const [loaded, setLoaded] = useState<Loaded>()
  const [error, setError] = useState<string>()
  // The zoomed step range lives in the URL (`zoom.<metric>=<min>:<max>`), so a shared link opens it zoomed.
  const zoomParam = `zoom.${props.metricKey}`
  const zoomText = useRoute().query.get(zoomParam) ?? ''
  const range = useMemo(() => parseZoom(zoomText), [zoomText])
  const setRange = useCallback(
    (next: { min: number; max: number } | undefined) =>
      updateQuery({ [zoomParam]: next ? formatZoom(next) : undefined }),
    [zoomParam],
  )
  const request = useRef(0)
  const runKey = props.runs.map((run) => run.runId).join(',')
  const runIds = useMemo(() => runKey.split(',').filter(Boolean), [runKey])
  const startTimes = useMemo(() => new Map(props.runs.map((run) => [run.runId, run.startTime])), [props.runs])

  useEffect(() => {
    const element = holder.current
    if (!element) return
    const observer = new ResizeObserver(() => setWidth(Math.max(200, Math.floor(element.clientWidth))))
    observer.observe(element)
    setWidth(Math.max(200, Math.floor(element.clientWidth || 600)))
    return () => observer.disconnect()
  }, [])

  // One request per run, drawn as each arrives: the first lines show while the server still reads the others.
  const load = useCallback(
    async (stepRange: { min: number; max: number } | undefined) => {
      if (runIds.length === 0 || width === 0) return
      const id = ++request.current
      recordChartEvent({ type: 'fetch', metricKey: props.metricKey })
      const byRun = new Map<string, MetricBucket[]>()
      try {
        await Promise.all(
          runIds.map(async (runId) => {
            const buckets = await client.getMetricHistoryBuckets({
              runIds: [runId],
              metricKey: props.metricKey,
              buckets: Math.min(2000, Math.max(50, Math.floor(width / 2))),
              minStep: stepRange?.min,
              maxStep: stepRange?.max,
            })
            if (id !== request.current) return
            byRun.set(runId, buckets)
            const complete = byRun.size === runIds.length
            recordChartEvent({
              type: complete ? 'data' : 'partial',
              metricKey: props.metricKey,
              points: buckets.length,
            })
            setError(undefined)
            setLoaded({
              buckets: runIds.flatMap((item) => byRun.get(item) ?? []),
              range: stepRange,
              complete,
            })
          }),
        )
      } catch (caught) {
        if (id === request.current) setError(errorMessage(caught))
      }
    },
    [client, runIds, props.metricKey, width],
  )

  useEffect(() => {
    void load(range)
  }, [load, range])

  const anyRunning = props.runs.some((run) => run.running)
  useEffect(() => {
    if (!anyRunning) return
    const timer = setInterval(() => void load(range), props.liveIntervalMs ?? 5000)
    return () => clearInterval(timer)
  }, [anyRunning, load, range, props.liveIntervalMs])

  const series: Series[] = useMemo(() => {
    if (!loaded) return []
    const byRun = new Map<string, MetricBucket[]>()
    for (const bucket of loaded.buckets) {
      const list = byRun.get(bucket.runId)
      if (list) list.push(bucket)
      else byRun.set(bucket.runId, [bucket])
    }
    return props.runs.map((run) => {
      const line = bucketsToSeries(run.runId, byRun.get(run.runId) ?? [], props.mode, run.startTime)
      return { ...line, y: smooth(line.y, props.smoothing) }
    })
  }, [loaded, props.runs, props.mode, props.smoothing])

  // The whole step range (from the unzoomed load): the bounds of keyboard zoom and pan.
  const fullSteps = useRef<{ min: number; max: number }>(undefined)
  if (loaded && !loaded.range && loaded.complete && loaded.buckets.length > 0) {
    fullSteps.current = {
      min: Math.min(...loaded.buckets.map((bucket) => Number(bucket.firstStep))),
      max: Math.max(...loaded.buckets.map((bucket) => Number(bucket.lastStep))),
    }
  }
  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.target !== event.currentTarget) return
    // Opened zoomed from a link, the chart has not seen the whole range yet: zoom out without bounds.
    const full = fullSteps.current ?? { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }
    const next = keyboardStepRange(event.key, range, full)
    if (next === undefined) return
    event.preventDefault()
    setRange(next ?? undefined)
  }

  const onSelect = useRef<(u: uPlot) => void>(() => {})
  onSelect.current = (u: uPlot) => {
    if (u.select.width < 3 || !loaded) return
    const min = u.posToVal(u.select.left, 'x')
    const max = u.posToVal(u.select.left + u.select.width, 'x')
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
    const steps = stepRangeForX(loaded.buckets, props.mode, { min, max }, startTimes)
    if (steps) setRange(steps)
  }

  // (Re)create the plot when its shape changes; data updates go through setData.
  // biome-ignore lint/correctness/useExhaustiveDependencies: series is applied by the effect below
  useEffect(() => {
    const element = holder.current
    if (!element || width === 0) return
    const options: uPlot.Options = {
      width,
      height: props.height ?? 300,
      scales: {
        x: { time: props.mode === 'time' },
        y: { distr: props.logScale ? 3 : 1 },
      },
      axes: [
        { label: X_LABELS[props.mode], stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--grid') } },
        { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--grid') }, size: 60 },
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { show: true },
      series: [
        { label: X_LABELS[props.mode] },
        ...props.runs.map((run, index) => ({
          label: run.name,
          stroke: runColor(index),
          width: 1.5,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      hooks: {
        setSelect: [(u: uPlot) => onSelect.current(u)],
        draw: [
          (u: uPlot) =>
            recordChartEvent({ type: 'draw', metricKey: props.metricKey, points: u.data[0]?.length ?? 0 }),
        ],
      },
    }
    const created = new uPlot(options, alignSeries(series) as uPlot.AlignedData, element)
    plot.current = created
    const onDoubleClick = () => setRange(undefined)
    created.over.addEventListener('dblclick', onDoubleClick)
    return () => {
      created.over.removeEventListener('dblclick', onDoubleClick)
      created.destroy()
      plot.current = null
    }
  }, [width, props.mode, props.logScale, props.height, runKey])

  useEffect(() => {
    const current = plot.current
    if (!current) return
    const [xs, ...ys] = alignSeries(series)
    // A log scale cannot draw values ≤ 0: leave them out.
    const columns = props.logScale
      ? ys.map((column) => column.map((value) => (value !== null && value > 0 ? value : null)))
      : ys
    const safe = [xs, ...columns] as uPlot.AlignedData
    current.setData(safe)
  }, [series, props.logScale])

  const points = series.reduce((sum, line) => sum + line.x.length, 0)
  const highest = series.reduce(
    (max, line) => line.y.reduce((top, value) => Math.max(top, value), max),
    Number.NEGATIVE_INFINITY,
  )
  return (
    <figure
      className="chart"
      data-testid={`chart-${props.metricKey}`}
      data-complete={loaded?.complete ? 'true' : undefined}
      data-points={points}
      data-max={Number.isFinite(highest) ? highest : undefined}
      aria-label={`Chart of ${props.metricKey} (+ and - zoom, arrow keys pan, 0 resets)`}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the chart takes zoom and pan keys
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <figcaption>
        <strong>{props.metricKey}</strong>
        {range ? (
          <>
            {' '}
            <span className="muted">
              steps {range.min}–{range.max}
            </span>{' '}
            <button type="button" onClick={() => setRange(undefined)}>
              Reset zoom
            </button>
          </>
        ) : null}
        {anyRunning ? <span className="badge live">live</span> : null}
      </figcaption>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div ref={holder} className="chart-canvas" />
    </figure>
  )
}
