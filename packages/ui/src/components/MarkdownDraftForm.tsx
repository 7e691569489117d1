import { useState } from 'react'
import { errorMessage } from '../lib/format.js'

/**
 * The edit form of a Markdown description: a textarea over `draft`, Save (which calls `onSave` and ends the edit
 * when it succeeds, or shows its error) and Cancel (which ends the edit).
 */
export function MarkdownDraftForm({
  draft,
  setDraft,
  onSave,
  rows = 6,
}: {
  draft: string
  setDraft(draft: string | undefined): void
  onSave(text: string): Promise<void>
  rows?: number
}) {
  const [error, setError] = useState<string>()
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault()
        onSave(draft)
          .then(() => setDraft(undefined))
          .catch((caught: unknown) => setError(errorMessage(caught)))
      }}
    >
      <textarea
        aria-label="Description (Markdown)"
        rows={rows}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <div>
        <button type="submit">Save</button>
        <button type="button" onClick={() => setDraft(undefined)}>
          Cancel
        </button>
      </div>
      {error ? <p className="error">{error}</p> : null}
    </form>
  )
}
