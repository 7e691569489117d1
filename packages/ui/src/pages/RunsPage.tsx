// biome-ignore-all lint/a11y/useSemanticElements: a virtualised ARIA grid; rows are absolutely positioned divs, which <table> rows cannot be
// biome-ignore-all lint/a11y/useFocusableInteractive: the grid's row group is the one focus stop; arrow keys move the active row
// biome-ignore-all lint/a11y/noNoninteractiveTabindex: the row group takes arrow keys, Enter and Space
// biome-ignore-all lint/a11y/noStaticElementInteractions: the row group takes arrow keys, Enter and Space
import type { Experiment, ViewType } from '@cairn/core'
import { useVirtualizer } from '@tanstack/react-virtual'
import { type KeyboardEvent, memo, useCallback, useMemo, useRef, useState } from 'react'
import { ColumnPicker } from '../components/ColumnPicker.js'
import { ErrorBanner, useLoad } from '../components/common.js'
import { FilterBox } from '../components/FilterBox.js'
import { useClient } from '../lib/client.js'
import { filterIdentifiers } from '../lib/filter-autocomplete.js'
import { errorMessage, formatDuration, formatNumber, formatTime } from '../lib/format.js'
import { buildHash, navigate, splitList, updateQuery, writeList } from '../lib/router.js'
import {
  type Aggregate,
  buildRows,
  type CellValue,
  cellValue,
  collectKeys,
  columnLabel,
  type DisplayRow,
  type RunRecord,
  splitColumn,
} from '../lib/run-table.js'
import { useRuns } from '../lib/use-runs.js'

const ROW_HEIGHT = 30
const DEFAULT_ATTRIBUTES = [
  'attributes.run_name',
  'attributes.status',
  'attributes.start_time',
  'attributes.duration',
  'attributes.user_id',
]
const VIEW_TYPES: Record<string, ViewType> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' }

function columnWidth(column: string): number {
  return column === 'attributes.run_name' ? 220 : column === 'attributes.start_time' ? 175 : 130
}

/** The runs of one or more experiments: a virtualised table with filter, columns, sort, tree, groups and selection. */
export function RunsPage({ experimentIds, query }: { experimentIds: string[]; query: URLSearchParams }) {
  const client = useClient()
  const filter = query.get('filter') ?? ''
  const view = query.get('view') ?? 'active'
  const [version, setVersion] = useState(0)
  const { records, loading, error } = useRuns(
    experimentIds,
    filter,
    VIEW_TYPES[view] ?? 'ACTIVE_ONLY',
    version,
  )
  const experiments = useLoad(
    () => Promise.all(experimentIds.map((id) => client.getExperiment(id).catch(() => undefined))),
    [experimentIds.join(',')],
  )
  const names = useMemo(
    () =>
      new Map<string, string>(
        (experiments.data ?? [])
          .filter((item): item is Experiment => item !== undefined)
          .map((item) => [item.experimentId, item.name]),
      ),
    [experiments.data],
  )

  const keys = useMemo(() => collectKeys(records), [records])
  const identifiers = useMemo(() => filterIdentifiers(keys), [keys])
  const colsParam = query.get('cols')
  const columns = useMemo(() => {
    const chosen = splitList(colsParam)
    if (chosen.length > 0) return chosen
    const base =
      experimentIds.length > 1 ? [...DEFAULT_ATTRIBUTES, 'attributes.experiment_id'] : DEFAULT_ATTRIBUTES
    return [
      ...base,
      ...keys.metrics.slice(0, 6).map((key) => `metrics.${key}`),
      ...keys.params.slice(0, 6).map((key) => `params.${key}`),
    ]
  }, [colsParam, keys, experimentIds.length])
  const sortColumn = query.get('sort') ?? undefined
  const descending = query.get('desc') === '1'
  const groupBy = query.get('group') ?? undefined
  const tree = query.get('tree') !== '0'
  const foldParam = query.get('fold')
  const selParam = query.get('sel')
  const folded = useMemo(() => new Set(splitList(foldParam)), [foldParam])
  const selected = useMemo(() => new Set(splitList(selParam)), [selParam])
  const metricColumns = useMemo(() => columns.filter((column) => column.startsWith('metrics.')), [columns])

  const rows = useMemo(
    () =>
      buildRows(records, {
        sort: sortColumn ? { column: sortColumn, descending } : undefined,
        groupBy,
        tree,
        folded,
        aggregateColumns: metricColumns,
      }),
    [records, sortColumn, descending, groupBy, tree, folded, metricColumns],
  )

  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  })
  const [activeRow, setActiveRow] = useState(0)
  const [actionError, setActionError] = useState<unknown>()
  const totalWidth = 44 + columns.reduce((sum, column) => sum + columnWidth(column), 0)

  const setSort = (column: string) => {
    if (sortColumn === column) updateQuery({ desc: descending ? undefined : '1' })
    else
      updateQuery({
        sort: column,
        desc: column.startsWith('metrics.') || column === 'attributes.start_time' ? '1' : undefined,
      })
  }
  // Stable callbacks (reading the latest sets through refs) so memoised rows do not re-render on scroll.
  const latest = useRef({ folded, selected })
  latest.current = { folded, selected }
  const toggleFold = useCallback((key: string) => {
    const next = new Set(latest.current.folded)
    if (next.has(key)) next.delete(key)
    else next.add(key)
    updateQuery({ fold: writeList([...next]) })
  }, [])
  const toggleSelected = useCallback((id: string) => {
    const next = new Set(latest.current.selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    updateQuery({ sel: writeList([...next]) })
  }, [])
  const allSelected = records.length > 0 && records.every((record) => selected.has(record.id))
  const runLink = (record: RunRecord) =>
    buildHash(['experiments', record.run.info.experimentId, 'runs', record.id])

  const act = async (work: (runId: string) => Promise<void>) => {
    try {
      for (const runId of selected) await work(runId)
      setActionError(undefined)
      updateQuery({ sel: undefined })
      setVersion((value) => value + 1)
    } catch (caught) {
      setActionError(caught)
    }
  }

  const onGridKey = (event: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0) return
    let next = activeRow
    if (event.key === 'ArrowDown') next = Math.min(rows.length - 1, activeRow + 1)
    else if (event.key === 'ArrowUp') next = Math.max(0, activeRow - 1)
    else if (event.key === 'PageDown') next = Math.min(rows.length - 1, activeRow + 20)
    else if (event.key === 'PageUp') next = Math.max(0, activeRow - 20)
    else if (event.key === 'Home') next = 0
    else if (event.key === 'End') next = rows.length - 1
    else {
      const row = rows[activeRow]
      if (!row) return
      if (event.key === 'Enter') {
        if (row.kind === 'run') navigate(runLink(row.record))
        else toggleFold(row.key)
      } else if (event.key === ' ' && row.kind === 'run') toggleSelected(row.record.id)
      else return
      event.preventDefault()
      return
    }
    event.preventDefault()
    setActiveRow(next)
    virtualizer.scrollToIndex(next)
  }

  const title = experimentIds.map((id) => names.get(id) ?? id).join(' + ')
  return (
    <div className="page runs-page">
      <header className="page-header">
        <h1>{title || 'Runs'}</h1>
        <span className="muted" data-testid="run-count">
          {records.length} runs{loading ? ' (loading…)' : ''}
        </span>
      </header>
      <FilterBox
        value={filter}
        identifiers={identifiers}
        onApply={(next) => updateQuery({ filter: next || undefined, sel: undefined }, { replace: false })}
        serverError={error ? errorMessage(error) : undefined}
      />
      <div className="toolbar" role="toolbar" aria-label="Run table options">
        <ColumnPicker
          keys={keys}
          columns={columns}
          onChange={(next) => updateQuery({ cols: writeList(next) })}
        />
        <label>
          Group by{' '}
          <select
            value={groupBy ?? ''}
            onChange={(event) => updateQuery({ group: event.target.value || undefined, fold: undefined })}
          >
            <option value="">none</option>
            {keys.params.map((key) => (
              <option key={`p-${key}`} value={`params.${key}`}>
                params.{key}
              </option>
            ))}
            {keys.tags
              .filter((key) => !key.startsWith('mlflow.'))
              .map((key) => (
                <option key={`t-${key}`} value={`tags.${key}`}>
                  tags.{key}
                </option>
              ))}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={tree}
            onChange={(event) => updateQuery({ tree: event.target.checked ? undefined : '0' })}
          />{' '}
          Nest child runs
        </label>
        <label>
          Show{' '}
          <select
            aria-label="Show runs"
            value={view}
            onChange={(event) =>
              updateQuery({
                view: event.target.value === 'active' ? undefined : event.target.value,
                sel: undefined,
              })
            }
          >
            <option value="active">active runs</option>
            <option value="deleted">deleted runs</option>
            <option value="all">all runs</option>
          </select>
        </label>
        <span className="spacer" />
        <span className="muted">{selected.size} selected</span>
        <button
          type="button"
          disabled={selected.size < 2}
          onClick={() =>
            navigate(
              buildHash(['compare'], {
                runs: writeList([...selected]),
                experiments: experimentIds.join(','),
              }),
            )
          }
        >
          Compare
        </button>
        {view !== 'active' ? (
          <button
            type="button"
            disabled={selected.size === 0}
            onClick={() => void act((runId) => client.restoreRun(runId))}
          >
            Restore
          </button>
        ) : null}
        {view !== 'deleted' ? (
          <button
            type="button"
            className="danger"
            disabled={selected.size === 0}
            onClick={() => void act((runId) => client.deleteRun(runId))}
          >
            Delete
          </button>
        ) : null}
      </div>
      <ErrorBanner error={actionError} />
      <div className="grid-scroller" ref={scroller} data-testid="runs-grid-scroller">
        <div
          className="grid"
          role="grid"
          aria-rowcount={rows.length + 1}
          aria-label="Runs"
          style={{ width: totalWidth }}
        >
          <div className="grid-row grid-head" role="row">
            <div className="grid-cell check" role="columnheader">
              <input
                type="checkbox"
                aria-label="Select all runs"
                checked={allSelected}
                onChange={() =>
                  updateQuery({
                    sel: allSelected ? undefined : writeList(records.map((record) => record.id)),
                  })
                }
              />
            </div>
            {columns.map((column) => (
              <div
                key={column}
                className="grid-cell"
                role="columnheader"
                style={{ width: columnWidth(column) }}
                aria-sort={sortColumn === column ? (descending ? 'descending' : 'ascending') : 'none'}
              >
                <button type="button" className="sort-button" onClick={() => setSort(column)} title={column}>
                  {columnLabel(column)}
                  {sortColumn === column ? (descending ? ' ▼' : ' ▲') : ''}
                </button>
              </div>
            ))}
          </div>
          <div
            className="grid-body"
            role="rowgroup"
            tabIndex={0}
            onKeyDown={onGridKey}
            aria-label="Run rows (arrow keys move, Enter opens, Space selects)"
            style={{ height: virtualizer.getTotalSize() }}
          >
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index]!
              return (
                <div
                  key={row.kind === 'run' ? row.record.id : row.key}
                  className={`grid-row${row.kind === 'group' ? ' group-row' : ''}${item.index === activeRow ? ' active' : ''}${row.kind === 'run' && selected.has(row.record.id) ? ' selected' : ''}`}
                  role="row"
                  aria-rowindex={item.index + 2}
                  style={{ transform: `translateY(${item.start}px)` }}
                >
                  {row.kind === 'group' ? (
                    <GroupCells row={row} columns={columns} onToggle={() => toggleFold(row.key)} />
                  ) : (
                    <RunCells
                      row={row}
                      columns={columns}
                      names={names}
                      selected={selected.has(row.record.id)}
                      onSelect={toggleSelected}
                      onFold={toggleFold}
                    />
                  )}
                </div>
              )
            })}
          </div>
        </div>
        {!loading && records.length === 0 && !error ? <p className="empty muted">No runs match.</p> : null}
      </div>
    </div>
  )
}

function displayValue(column: string, value: CellValue, names: Map<string, string>): string {
  if (value === undefined) return ''
  if (column === 'attributes.start_time') return formatTime(value as number)
  if (column === 'attributes.duration') return formatDuration(value as number)
  if (column === 'attributes.experiment_id') return names.get(String(value)) ?? String(value)
  if (typeof value === 'number') return formatNumber(value)
  return value
}

const RunCells = memo(function RunCells(props: {
  row: Extract<DisplayRow, { kind: 'run' }>
  columns: string[]
  names: Map<string, string>
  selected: boolean
  onSelect(runId: string): void
  onFold(runId: string): void
}) {
  const { row, columns } = props
  const runId = row.record.id
  const link = buildHash(['experiments', row.record.run.info.experimentId, 'runs', runId])
  return (
    <>
      <div className="grid-cell check" role="gridcell">
        <input
          type="checkbox"
          aria-label={`Select run ${row.record.run.info.runName}`}
          checked={props.selected}
          onChange={() => props.onSelect(runId)}
          tabIndex={-1}
        />
      </div>
      {columns.map((column) => {
        const value = cellValue(row.record, column)
        if (column === 'attributes.run_name') {
          return (
            <div
              key={column}
              className="grid-cell name-cell"
              role="gridcell"
              style={{ width: columnWidth(column), paddingLeft: 6 + row.depth * 16 }}
            >
              {row.childCount > 0 ? (
                <button
                  type="button"
                  className="fold"
                  onClick={() => props.onFold(runId)}
                  aria-label={row.folded ? 'Show child runs' : 'Hide child runs'}
                  tabIndex={-1}
                >
                  {row.folded ? '▸' : '▾'}
                </button>
              ) : null}
              <a href={link} tabIndex={-1}>
                {String(value ?? '')}
              </a>
              {row.childCount > 0 ? <span className="muted"> ({row.childCount})</span> : null}
            </div>
          )
        }
        const text = displayValue(column, value, props.names)
        const [kind] = splitColumn(column)
        return (
          <div
            key={column}
            className={`grid-cell${kind === 'metrics' ? ' number' : ''}${column === 'attributes.status' ? ` status-${String(value).toLowerCase()}` : ''}`}
            role="gridcell"
            style={{ width: columnWidth(column) }}
            title={text}
          >
            {text}
          </div>
        )
      })}
    </>
  )
})

function formatAggregate(aggregate: Aggregate | undefined): string {
  if (!aggregate) return ''
  return `${formatNumber(aggregate.min)} / ${formatNumber(aggregate.mean)} / ${formatNumber(aggregate.max)}`
}

function GroupCells(props: {
  row: Extract<DisplayRow, { kind: 'group' }>
  columns: string[]
  onToggle(): void
}) {
  const { row } = props
  return (
    <>
      <div className="grid-cell check" role="gridcell">
        <button
          type="button"
          className="fold"
          onClick={props.onToggle}
          aria-label={row.folded ? 'Expand group' : 'Collapse group'}
          tabIndex={-1}
        >
          {row.folded ? '▸' : '▾'}
        </button>
      </div>
      {props.columns.map((column, index) => (
        <div
          key={column}
          className={`grid-cell${column.startsWith('metrics.') ? ' number' : ''}`}
          role="gridcell"
          style={{ width: columnWidth(column) }}
          title={column.startsWith('metrics.') ? 'min / mean / max' : undefined}
        >
          {index === 0 ? (
            <strong>
              {row.column} = {row.value === '' ? '(none)' : row.value} ({row.count})
            </strong>
          ) : column.startsWith('metrics.') ? (
            formatAggregate(row.aggregates[column])
          ) : (
            ''
          )}
        </div>
      ))}
    </>
  )
}
