import type { Experiment, ViewType } from '@cairn/core'
import { type FormEvent, useState } from 'react'
import { ErrorBanner, useLoad } from '../components/common.js'
import { TagEditor } from '../components/TagEditor.js'
import { useClient } from '../lib/client.js'
import { errorMessage, formatTime } from '../lib/format.js'
import { buildHash, navigate, readList, updateQuery, writeList } from '../lib/router.js'

/** LIKE pattern of a search box text, with the grammar's quote escaped. */
function nameFilter(search: string): string | undefined {
  const text = search.trim()
  if (!text) return undefined
  return `name ILIKE '%${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}%'`
}

/** Experiments: search, create, rename, delete/restore, tags, and opening several at once. */
export function ExperimentsPage({ query }: { query: URLSearchParams }) {
  const client = useClient()
  const search = query.get('q') ?? ''
  const view = (query.get('view') === 'deleted' ? 'DELETED_ONLY' : 'ACTIVE_ONLY') as ViewType
  const selected = new Set(readList(query, 'sel'))
  const experiments = useLoad(
    () =>
      client
        .searchExperimentsAll({
          filter: nameFilter(search),
          viewType: view,
          orderBy: ['last_update_time DESC'],
        })
        .toArray(),
    [search, view],
  )
  const [searchText, setSearchText] = useState(search)
  const [newName, setNewName] = useState('')
  const [error, setError] = useState<unknown>()
  const [expanded, setExpanded] = useState<string>()
  const act = async (work: () => Promise<unknown>) => {
    try {
      await work()
      setError(undefined)
      experiments.reload()
    } catch (caught) {
      setError(caught)
    }
  }
  const create = (event: FormEvent) => {
    event.preventDefault()
    if (!newName.trim()) return
    void act(async () => {
      await client.createExperiment({ name: newName.trim() })
      setNewName('')
    })
  }
  const toggle = (id: string) => {
    const next = new Set(selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    updateQuery({ sel: writeList([...next]) })
  }
  return (
    <div className="page experiments-page">
      <header className="page-header">
        <h1>Experiments</h1>
      </header>
      <div className="toolbar">
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault()
            updateQuery({ q: searchText || undefined })
          }}
        >
          <input
            type="search"
            aria-label="Search experiments"
            placeholder="Search by name"
            value={searchText}
            onChange={(event) => setSearchText(event.target.value)}
          />
          <button type="submit">Search</button>
        </form>
        <label>
          <input
            type="checkbox"
            checked={view === 'DELETED_ONLY'}
            onChange={(event) => updateQuery({ view: event.target.checked ? 'deleted' : undefined })}
          />{' '}
          Deleted
        </label>
        <form className="inline-form" onSubmit={create}>
          <input
            aria-label="New experiment name"
            placeholder="New experiment name"
            value={newName}
            onChange={(event) => setNewName(event.target.value)}
          />
          <button type="submit">Create</button>
        </form>
        <span className="spacer" />
        <button
          type="button"
          disabled={selected.size < 1}
          onClick={() => navigate(buildHash(['experiments', [...selected].join(',')]))}
        >
          Open runs of {selected.size} selected
        </button>
      </div>
      <ErrorBanner error={error ?? experiments.error} />
      <table className="data-table experiments">
        <thead>
          <tr>
            <th aria-label="Select" />
            <th>Name</th>
            <th>ID</th>
            <th>Created</th>
            <th>Updated</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {(experiments.data ?? []).map((experiment) => (
            <ExperimentRow
              key={experiment.experimentId}
              experiment={experiment}
              selected={selected.has(experiment.experimentId)}
              expanded={expanded === experiment.experimentId}
              onToggle={() => toggle(experiment.experimentId)}
              onExpand={() =>
                setExpanded(expanded === experiment.experimentId ? undefined : experiment.experimentId)
              }
              act={act}
            />
          ))}
        </tbody>
      </table>
      {experiments.data && experiments.data.length === 0 ? <p className="muted">No experiments.</p> : null}
    </div>
  )
}

function ExperimentRow(props: {
  experiment: Experiment
  selected: boolean
  expanded: boolean
  onToggle(): void
  onExpand(): void
  act(work: () => Promise<unknown>): Promise<void>
}) {
  const client = useClient()
  const { experiment } = props
  const [renaming, setRenaming] = useState<string>()
  const [renameError, setRenameError] = useState<string>()
  const deleted = experiment.lifecycleStage === 'deleted'
  return (
    <>
      <tr>
        <td>
          <input
            type="checkbox"
            aria-label={`Select ${experiment.name}`}
            checked={props.selected}
            onChange={props.onToggle}
          />
        </td>
        <td>
          {renaming !== undefined ? (
            <form
              className="inline-form"
              onSubmit={(event) => {
                event.preventDefault()
                client
                  .updateExperiment({ experimentId: experiment.experimentId, newName: renaming })
                  .then(() => {
                    setRenaming(undefined)
                    return props.act(async () => {})
                  })
                  .catch((caught: unknown) => setRenameError(errorMessage(caught)))
              }}
            >
              <input
                aria-label={`New name for ${experiment.name}`}
                value={renaming}
                onChange={(event) => setRenaming(event.target.value)}
              />
              <button type="submit">Save</button>
              <button type="button" onClick={() => setRenaming(undefined)}>
                Cancel
              </button>
              {renameError ? <span className="error">{renameError}</span> : null}
            </form>
          ) : (
            <a href={buildHash(['experiments', experiment.experimentId])}>{experiment.name}</a>
          )}
        </td>
        <td>{experiment.experimentId}</td>
        <td>{formatTime(experiment.creationTime)}</td>
        <td>{formatTime(experiment.lastUpdateTime)}</td>
        <td className="actions">
          <button
            type="button"
            onClick={() => setRenaming(experiment.name)}
            aria-label={`Rename ${experiment.name}`}
          >
            Rename
          </button>
          <button
            type="button"
            onClick={props.onExpand}
            aria-expanded={props.expanded}
            aria-label={`Tags of ${experiment.name}`}
          >
            Tags ({experiment.tags.filter((tag) => !tag.key.startsWith('mlflow.')).length})
          </button>
          {deleted ? (
            <button
              type="button"
              onClick={() => void props.act(() => client.restoreExperiment(experiment.experimentId))}
              aria-label={`Restore ${experiment.name}`}
            >
              Restore
            </button>
          ) : (
            <button
              type="button"
              className="danger"
              onClick={() => void props.act(() => client.deleteExperiment(experiment.experimentId))}
              aria-label={`Delete ${experiment.name}`}
            >
              Delete
            </button>
          )}
        </td>
      </tr>
      {props.expanded ? (
        <tr className="detail-row">
          <td />
          <td colSpan={5}>
            <TagEditor
              label={`Tags of ${experiment.name}`}
              tags={experiment.tags}
              hide={(key) => key.startsWith('mlflow.')}
              onSet={(key, value) =>
                props.act(() =>
                  client.setExperimentTag({ experimentId: experiment.experimentId, key, value }),
                )
              }
              onDelete={(key) =>
                props.act(() => client.deleteExperimentTag({ experimentId: experiment.experimentId, key }))
              }
            />
          </td>
        </tr>
      ) : null}
    </>
  )
}
