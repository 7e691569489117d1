import { ChartControls, readChartSettings } from '../components/ChartControls.js'
import { ErrorBanner, Section, useLoad } from '../components/common.js'
import { MetricChart } from '../components/MetricChart.js'
import { ParallelCoordinates, ScatterPlot } from '../components/Plots.js'
import { useClient } from '../lib/client.js'
import { formatDuration, formatNumber, formatTime } from '../lib/format.js'
import { runColor } from '../lib/palette.js'
import { buildHash, readList, updateQuery, writeList } from '../lib/router.js'
import { type CellValue, cellValue, collectKeys, indexRun, type RunRecord } from '../lib/run-table.js'

/** Run ids from `runs=a,b` or MLflow's `runs=["a","b"]`. */
export function compareRunIds(query: URLSearchParams): string[] {
  const raw = query.get('runs') ?? ''
  if (raw.startsWith('[')) {
    try {
      const parsed = JSON.parse(raw) as unknown
      if (Array.isArray(parsed)) return parsed.map(String)
    } catch {
      return []
    }
  }
  return readList(query, 'runs')
}

function show(column: string, value: CellValue): string {
  if (value === undefined) return '—'
  if (column === 'attributes.start_time') return formatTime(value as number)
  if (column === 'attributes.duration') return formatDuration(value as number)
  return typeof value === 'number' ? formatNumber(value) : value
}

/** Selected runs side by side: a diff table, parallel coordinates, a scatter plot and overlaid charts. */
export function ComparePage({ query }: { query: URLSearchParams }) {
  const client = useClient()
  const runIds = compareRunIds(query)
  const loaded = useLoad(() => Promise.all(runIds.map((runId) => client.getRun(runId))), [runIds.join(',')])
  if (loaded.error) return <ErrorBanner error={loaded.error} />
  if (!loaded.data) return <p className="muted">Loading runs…</p>
  const records = loaded.data.map(indexRun)
  return <CompareView records={records} query={query} />
}

function CompareView({ records, query }: { records: RunRecord[]; query: URLSearchParams }) {
  const keys = collectKeys(records)
  const onlyDiffs = query.get('diff') === '1'
  const rows: string[] = [
    'attributes.status',
    'attributes.start_time',
    'attributes.duration',
    'attributes.user_id',
    ...keys.params.map((key) => `params.${key}`),
    ...keys.metrics.map((key) => `metrics.${key}`),
    ...keys.tags.filter((key) => !key.startsWith('mlflow.')).map((key) => `tags.${key}`),
  ]
  const differs = (column: string) =>
    new Set(records.map((record) => String(cellValue(record, column)))).size > 1
  const numericColumns = [
    ...keys.params.map((key) => `params.${key}`),
    ...keys.metrics.map((key) => `metrics.${key}`),
  ]
  const axesChosen = readList(query, 'axes').filter((column) => numericColumns.includes(column))
  const axes =
    axesChosen.length > 0
      ? axesChosen
      : [
          ...keys.params.filter((key) => differs(`params.${key}`)).map((key) => `params.${key}`),
          ...keys.metrics.slice(0, 2).map((key) => `metrics.${key}`),
        ].slice(0, 8)
  const scatterX = query.get('sx') ?? numericColumns[0] ?? ''
  const scatterY =
    query.get('sy') ?? keys.metrics.map((key) => `metrics.${key}`)[0] ?? numericColumns[1] ?? ''
  const settings = readChartSettings(query)
  const chartKeys = readList(query, 'metrics').filter((key) => keys.metrics.includes(key))
  const shownCharts = chartKeys.length > 0 ? chartKeys : keys.metrics.slice(0, 4)
  const chartRuns = records.map((record) => ({
    runId: record.id,
    name: record.run.info.runName,
    startTime: record.run.info.startTime,
    running: record.run.info.status === 'RUNNING',
  }))
  return (
    <div className="page compare-page">
      <header className="page-header">
        <h1>Comparing {records.length} runs</h1>
      </header>
      <Section
        title="Differences"
        actions={
          <label>
            <input
              type="checkbox"
              checked={onlyDiffs}
              onChange={(event) => updateQuery({ diff: event.target.checked ? '1' : undefined })}
            />{' '}
            only rows that differ
          </label>
        }
      >
        <div className="table-scroll">
          <table className="data-table diff-table">
            <thead>
              <tr>
                <th>Field</th>
                {records.map((record, index) => (
                  <th key={record.id}>
                    <span className="swatch" style={{ background: runColor(index) }} />
                    <a href={buildHash(['experiments', record.run.info.experimentId, 'runs', record.id])}>
                      {record.run.info.runName}
                    </a>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows
                .filter((column) => !onlyDiffs || differs(column))
                .map((column) => (
                  <tr
                    key={column}
                    className={differs(column) ? 'differs' : undefined}
                    data-differs={differs(column) ? 'true' : undefined}
                  >
                    <th scope="row">{column}</th>
                    {records.map((record) => (
                      <td key={record.id} className={column.startsWith('metrics.') ? 'number' : undefined}>
                        {show(column, cellValue(record, column))}
                      </td>
                    ))}
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Parallel coordinates">
        <details>
          <summary>Axes ({axes.length})</summary>
          {numericColumns.map((column) => (
            <label key={column} className="check-line">
              <input
                type="checkbox"
                checked={axes.includes(column)}
                onChange={() =>
                  updateQuery({
                    axes: writeList(
                      axes.includes(column) ? axes.filter((item) => item !== column) : [...axes, column],
                    ),
                  })
                }
              />{' '}
              {column}
            </label>
          ))}
        </details>
        <ParallelCoordinates records={records} columns={axes} />
      </Section>
      <Section title="Scatter">
        <div className="toolbar">
          <label>
            X{' '}
            <select value={scatterX} onChange={(event) => updateQuery({ sx: event.target.value })}>
              {numericColumns.map((column) => (
                <option key={column}>{column}</option>
              ))}
            </select>
          </label>
          <label>
            Y{' '}
            <select value={scatterY} onChange={(event) => updateQuery({ sy: event.target.value })}>
              {numericColumns.map((column) => (
                <option key={column}>{column}</option>
              ))}
            </select>
          </label>
        </div>
        {scatterX && scatterY ? (
          <ScatterPlot records={records} xColumn={scatterX} yColumn={scatterY} />
        ) : (
          <p className="muted">No params or metrics to plot.</p>
        )}
      </Section>
      <Section title="Metric charts">
        <ChartControls settings={settings} />
        <fieldset className="metric-choice">
          <legend>Metrics</legend>
          {keys.metrics.map((key) => (
            <label key={key} className="check-line">
              <input
                type="checkbox"
                checked={shownCharts.includes(key)}
                onChange={() =>
                  updateQuery({
                    metrics: writeList(
                      shownCharts.includes(key)
                        ? shownCharts.filter((item) => item !== key)
                        : [...shownCharts, key],
                    ),
                  })
                }
              />{' '}
              {key}
            </label>
          ))}
        </fieldset>
        <div className="chart-grid">
          {shownCharts.map((key) => (
            <MetricChart key={key} runs={chartRuns} metricKey={key} {...settings} />
          ))}
        </div>
      </Section>
    </div>
  )
}
