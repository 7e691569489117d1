import { formatNumber } from '../lib/format.js'
import { runColor } from '../lib/palette.js'
import { type CellValue, cellValue, compareValues, type RunRecord } from '../lib/run-table.js'

interface Axis {
  column: string
  /** Position 0..1 of a value on this axis; undefined for a missing value. */
  place(value: CellValue): number | undefined
  ticks: { label: string; at: number }[]
}

/** A linear axis when every value is numeric, else one tick per distinct value. */
export function makeAxis(column: string, records: readonly RunRecord[]): Axis {
  const values = records.map((record) => cellValue(record, column)).filter((value) => value !== undefined)
  const numbers = values.map((value) => (typeof value === 'number' ? value : Number(value)))
  if (values.length > 0 && numbers.every((value) => Number.isFinite(value))) {
    const min = Math.min(...numbers)
    const max = Math.max(...numbers)
    const span = max - min || 1
    return {
      column,
      place: (value) => (value === undefined ? undefined : (Number(value) - min) / span),
      ticks: [
        { label: formatNumber(min), at: 0 },
        { label: formatNumber(max), at: max === min ? 0 : 1 },
      ],
    }
  }
  const distinct = [...new Set(values.map(String))].sort((a, b) => compareValues(a, b))
  const step = distinct.length > 1 ? 1 / (distinct.length - 1) : 0
  return {
    column,
    place: (value) => (value === undefined ? undefined : distinct.indexOf(String(value)) * step),
    ticks: distinct.slice(0, 20).map((label, index) => ({ label, at: index * step })),
  }
}

const WIDTH = 760
const HEIGHT = 320
const PAD = { top: 24, bottom: 40, left: 60, right: 90 }

/** Parallel coordinates of runs over params and metrics (SVG; text is rendered as text, never markup). */
export function ParallelCoordinates({
  records,
  columns,
}: {
  records: readonly RunRecord[]
  columns: readonly string[]
}) {
  if (columns.length < 2) return <p className="muted">Choose at least two axes.</p>
  const axes = columns.map((column) => makeAxis(column, records))
  const x = (index: number) => PAD.left + (index * (WIDTH - PAD.left - PAD.right)) / (axes.length - 1)
  const y = (at: number) => PAD.top + (1 - at) * (HEIGHT - PAD.top - PAD.bottom)
  return (
    <svg className="plot" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Parallel coordinates">
      {records.map((record, runIndex) => {
        const points = axes
          .map((axis, index) => {
            const at = axis.place(cellValue(record, axis.column))
            return at === undefined ? undefined : `${x(index)},${y(at)}`
          })
          .filter((point) => point !== undefined)
        return (
          <polyline
            key={record.id}
            points={points.join(' ')}
            fill="none"
            stroke={runColor(runIndex)}
            strokeWidth={2}
            opacity={0.8}
          />
        )
      })}
      {axes.map((axis, index) => (
        <g key={axis.column}>
          <line x1={x(index)} x2={x(index)} y1={y(0)} y2={y(1)} className="axis-line" />
          <text x={x(index)} y={HEIGHT - 12} textAnchor="middle" className="axis-label">
            {axis.column}
          </text>
          {axis.ticks.map((tick) => (
            <text key={`${tick.label}-${tick.at}`} x={x(index) + 4} y={y(tick.at) + 4} className="tick-label">
              {tick.label}
            </text>
          ))}
        </g>
      ))}
    </svg>
  )
}

/** A scatter plot of two params/metrics, one dot per run. */
export function ScatterPlot({
  records,
  xColumn,
  yColumn,
}: {
  records: readonly RunRecord[]
  xColumn: string
  yColumn: string
}) {
  const xAxis = makeAxis(xColumn, records)
  const yAxis = makeAxis(yColumn, records)
  const px = (at: number) => PAD.left + at * (WIDTH - PAD.left - PAD.right)
  const py = (at: number) => PAD.top + (1 - at) * (HEIGHT - PAD.top - PAD.bottom)
  return (
    <svg
      className="plot"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Scatter of ${yColumn} against ${xColumn}`}
    >
      <line x1={px(0)} x2={px(1)} y1={py(0)} y2={py(0)} className="axis-line" />
      <line x1={px(0)} x2={px(0)} y1={py(0)} y2={py(1)} className="axis-line" />
      {xAxis.ticks.map((tick) => (
        <text
          key={`x-${tick.label}-${tick.at}`}
          x={px(tick.at)}
          y={py(0) + 16}
          textAnchor="middle"
          className="tick-label"
        >
          {tick.label}
        </text>
      ))}
      {yAxis.ticks.map((tick) => (
        <text
          key={`y-${tick.label}-${tick.at}`}
          x={px(0) - 6}
          y={py(tick.at) + 4}
          textAnchor="end"
          className="tick-label"
        >
          {tick.label}
        </text>
      ))}
      <text x={px(0.5)} y={HEIGHT - 4} textAnchor="middle" className="axis-label">
        {xColumn}
      </text>
      <text
        x={12}
        y={py(0.5)}
        textAnchor="middle"
        className="axis-label"
        transform={`rotate(-90 12 ${py(0.5)})`}
      >
        {yColumn}
      </text>
      {records.map((record, index) => {
        const at = { x: xAxis.place(cellValue(record, xColumn)), y: yAxis.place(cellValue(record, yColumn)) }
        if (at.x === undefined || at.y === undefined) return null
        return (
          <circle key={record.id} cx={px(at.x)} cy={py(at.y)} r={6} fill={runColor(index)}>
            <title>{record.run.info.runName}</title>
          </circle>
        )
      })}
    </svg>
  )
}
