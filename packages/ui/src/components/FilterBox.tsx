import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from 'react'
import { applySuggestion, filterProblem, suggest, tokenAt } from '../lib/filter-autocomplete.js'

export interface FilterBoxProps {
  /** The applied filter (from the URL). */
  value: string
  /** Identifiers to complete (`metrics.loss`, `params.lr`, …). */
  identifiers: readonly string[]
  onApply(filter: string): void
  /** The server's complaint about the applied filter, if any. */
  serverError?: string
}

/**
 * The runs filter: MLflow's search grammar with completion of metric/param/tag keys at the cursor
 * (arrows to choose, Tab or Enter to take, Escape to close) and the parser's own error message as
 * you type. Enter applies the filter.
 */
export function FilterBox({ value, identifiers, onApply, serverError }: FilterBoxProps) {
  const [text, setText] = useState(value)
  const [cursor, setCursor] = useState(value.length)
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(0)
  const input = useRef<HTMLInputElement>(null)
  const listId = useId()
  useEffect(() => setText(value), [value])

  const { word } = tokenAt(text, cursor)
  const suggestions = useMemo(() => (open ? suggest(identifiers, word) : []), [open, identifiers, word])
  const problem = useMemo(() => filterProblem(text), [text])

  const take = (identifier: string) => {
    const next = applySuggestion(text, cursor, identifier)
    setText(next.text)
    setCursor(next.cursor)
    setActive(0)
    requestAnimationFrame(() => input.current?.setSelectionRange(next.cursor, next.cursor))
  }

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (suggestions.length > 0) {
      if (event.key === 'ArrowDown') {
        event.preventDefault()
        setActive((active + 1) % suggestions.length)
        return
      }
      if (event.key === 'ArrowUp') {
        event.preventDefault()
        setActive((active - 1 + suggestions.length) % suggestions.length)
        return
      }
      if (event.key === 'Tab' || (event.key === 'Enter' && word.length > 0)) {
        event.preventDefault()
        take(suggestions[active] ?? suggestions[0]!)
        return
      }
      if (event.key === 'Escape') {
        setOpen(false)
        return
      }
    }
    if (event.key === 'Enter') {
      event.preventDefault()
      setOpen(false)
      if (!problem) onApply(text.trim())
    }
  }

  return (
    <div className="filter-box">
      <div className="filter-row">
        <input
          ref={input}
          className="filter-input"
          type="search"
          role="combobox"
          aria-label="Filter runs"
          aria-expanded={suggestions.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={suggestions.length > 0 ? `${listId}-${active}` : undefined}
          aria-invalid={problem !== undefined || serverError !== undefined}
          placeholder="metrics.rmse < 1 and params.model = 'tree'"
          value={text}
          spellCheck={false}
          onChange={(event) => {
            setText(event.target.value)
            setCursor(event.target.selectionStart ?? event.target.value.length)
            setOpen(true)
            setActive(0)
          }}
          onSelect={(event) => setCursor(event.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
        />
        <button
          type="button"
          onClick={() => !problem && onApply(text.trim())}
          disabled={problem !== undefined}
        >
          Search
        </button>
        {value ? (
          <button
            type="button"
            onClick={() => {
              setText('')
              onApply('')
            }}
          >
            Clear
          </button>
        ) : null}
      </div>
      {suggestions.length > 0 ? (
        <div className="suggestions" id={listId} role="listbox" aria-label="Filter suggestions">
          {suggestions.map((identifier, index) => (
            // biome-ignore lint/a11y/useFocusableInteractive: focus stays in the combobox (aria-activedescendant)
            <div
              key={identifier}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              className={index === active ? 'active' : undefined}
              onMouseDown={(event) => {
                event.preventDefault()
                take(identifier)
              }}
            >
              {identifier}
            </div>
          ))}
        </div>
      ) : null}
      {problem ? (
        <p className="error filter-error" role="alert">
          {problem}
        </p>
      ) : serverError ? (
        <p className="error filter-error" role="alert">
          {serverError}
        </p>
      ) : null}
    </div>
  )
}
