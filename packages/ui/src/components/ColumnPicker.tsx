import { useState } from 'react'
import { ATTRIBUTE_COLUMNS, columnLabel, type KeySets } from '../lib/run-table.js'

/** A disclosure listing every attribute, metric, param and tag column with a checkbox and a search box. */
export function ColumnPicker({
  keys,
  columns,
  onChange,
}: {
  keys: KeySets
  columns: string[]
  onChange(columns: string[]): void
}) {
  const [search, setSearch] = useState('')
  const chosen = new Set(columns)
  const groups: [string, string[]][] = [
    ['Attributes', [...ATTRIBUTE_COLUMNS]],
    ['Metrics', keys.metrics.map((key) => `metrics.${key}`)],
    ['Params', keys.params.map((key) => `params.${key}`)],
    ['Tags', keys.tags.map((key) => `tags.${key}`)],
  ]
  const toggle = (column: string) =>
    onChange(chosen.has(column) ? columns.filter((item) => item !== column) : [...columns, column])
  const needle = search.toLowerCase()
  return (
    <details className="column-picker">
      <summary>Columns ({columns.length})</summary>
      <div className="popover">
        <input
          type="search"
          aria-label="Search columns"
          placeholder="Search columns"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        {groups.map(([title, items]) => {
          const shown = items.filter((column) => column.toLowerCase().includes(needle))
          if (shown.length === 0) return null
          return (
            <fieldset key={title}>
              <legend>{title}</legend>
              {shown.slice(0, 300).map((column) => (
                <label key={column} className="check-line">
                  <input type="checkbox" checked={chosen.has(column)} onChange={() => toggle(column)} />{' '}
                  {columnLabel(column)}
                </label>
              ))}
            </fieldset>
          )
        })}
      </div>
    </details>
  )
}
