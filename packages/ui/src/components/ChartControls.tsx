import type { XAxisMode } from '../lib/chart-data.js'
import { updateQuery } from '../lib/router.js'

export interface ChartSettings {
  mode: XAxisMode
  logScale: boolean
  smoothing: number
}

/** Chart settings from the URL (`x`, `log`, `smooth`). */
export function readChartSettings(query: URLSearchParams): ChartSettings {
  const x = query.get('x')
  const smoothing = Number(query.get('smooth') ?? 0)
  return {
    mode: x === 'time' || x === 'relative' ? x : 'step',
    logScale: query.get('log') === '1',
    smoothing: Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0,
  }
}

export function ChartControls({ settings }: { settings: ChartSettings }) {
  return (
    <div className="toolbar" role="toolbar" aria-label="Chart options">
      <label>
        X axis{' '}
        <select
          value={settings.mode}
          onChange={(event) =>
            updateQuery({ x: event.target.value === 'step' ? undefined : event.target.value })
          }
        >
          <option value="step">step</option>
          <option value="time">wall time</option>
          <option value="relative">relative time</option>
        </select>
      </label>
      <label>
        <input
          type="checkbox"
          checked={settings.logScale}
          onChange={(event) => updateQuery({ log: event.target.checked ? '1' : undefined })}
        />{' '}
        Log scale
      </label>
      <label>
        Smoothing{' '}
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={settings.smoothing}
          aria-label="Smoothing"
          onChange={(event) =>
            updateQuery({ smooth: Number(event.target.value) === 0 ? undefined : event.target.value })
          }
        />{' '}
        {settings.smoothing.toFixed(2)}
      </label>
      <span className="muted">Drag to zoom, double-click to reset.</span>
    </div>
  )
}
