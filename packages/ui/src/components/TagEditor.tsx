import { type FormEvent, useState } from 'react'
import { errorMessage } from '../lib/format.js'

export interface TagEditorProps {
  tags: readonly { key: string; value: string }[]
  onSet(key: string, value: string): Promise<void>
  onDelete(key: string): Promise<void>
  /** Tags hidden from the list (e.g. `mlflow.*` system tags), still editable by key. */
  hide?: (key: string) => boolean
  label?: string
}

/** Tags as an editable table: change a value in place, delete, or add a new key. */
export function TagEditor({ tags, onSet, onDelete, hide, label = 'Tags' }: TagEditorProps) {
  const [key, setKey] = useState('')
  const [value, setValue] = useState('')
  const [editing, setEditing] = useState<{ key: string; value: string }>()
  const [error, setError] = useState<string>()
  const run = async (work: () => Promise<void>) => {
    try {
      await work()
      setError(undefined)
    } catch (caught) {
      setError(errorMessage(caught))
    }
  }
  const add = (event: FormEvent) => {
    event.preventDefault()
    if (!key.trim()) return
    void run(async () => {
      await onSet(key.trim(), value)
      setKey('')
      setValue('')
    })
  }
  const visible = tags.filter((tag) => !hide?.(tag.key))
  return (
    <div className="tag-editor" title={label}>
      <table className="kv">
        <tbody>
          {visible.map((tag) => (
            <tr key={tag.key}>
              <th scope="row">{tag.key}</th>
              <td>
                {editing?.key === tag.key ? (
                  <form
                    onSubmit={(event) => {
                      event.preventDefault()
                      void run(async () => {
                        await onSet(tag.key, editing.value)
                        setEditing(undefined)
                      })
                    }}
                  >
                    <input
                      aria-label={`Value of ${tag.key}`}
                      value={editing.value}
                      onChange={(event) => setEditing({ key: tag.key, value: event.target.value })}
                      // biome-ignore lint/a11y/noAutofocus: the user asked to edit this value
                      autoFocus
                    />
                    <button type="submit">Save</button>
                    <button type="button" onClick={() => setEditing(undefined)}>
                      Cancel
                    </button>
                  </form>
                ) : (
                  <span className="tag-value">{tag.value}</span>
                )}
              </td>
              <td className="actions">
                <button
                  type="button"
                  onClick={() => setEditing({ key: tag.key, value: tag.value })}
                  aria-label={`Edit tag ${tag.key}`}
                >
                  Edit
                </button>
                <button
                  type="button"
                  onClick={() => void run(() => onDelete(tag.key))}
                  aria-label={`Delete tag ${tag.key}`}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="inline-form" onSubmit={add}>
        <input
          aria-label="New tag key"
          placeholder="key"
          value={key}
          onChange={(event) => setKey(event.target.value)}
        />
        <input
          aria-label="New tag value"
          placeholder="value"
          value={value}
          onChange={(event) => setValue(event.target.value)}
        />
        <button type="submit">Add tag</button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  )
}
