import type { ModelVersion } from '@cairn/core'
import type { ModelRegistryClient } from '@cairn/sdk'
import { type FormEvent, useState } from 'react'
import { ErrorBanner, KeyValueTable, SafeMarkdown, Section, useLoad } from '../components/common.js'
import { MarkdownDraftForm } from '../components/MarkdownDraftForm.js'
import { ModelServingPanel } from '../components/ModelServingPanel.js'
import { TagEditor } from '../components/TagEditor.js'
import { useClient } from '../lib/client.js'
import { errorMessage, formatTime } from '../lib/format.js'
import { buildHash, updateQuery } from '../lib/router.js'

const STAGES = ['None', 'Staging', 'Production', 'Archived']

function useRegistry(): ModelRegistryClient {
  return useClient().registry
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** Registered models with a name search. */
export function ModelsPage({ query }: { query: URLSearchParams }) {
  const registry = useRegistry()
  const search = query.get('q') ?? ''
  const [text, setText] = useState(search)
  const models = useLoad(async () => {
    const filter = search ? `name ILIKE ${quote(`%${search}%`)}` : undefined
    return (await registry.searchRegisteredModels({ filter, maxResults: 1000 })).registeredModels
  }, [search])
  return (
    <div className="page models-page">
      <header className="page-header">
        <h1>Registered models</h1>
      </header>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault()
          updateQuery({ q: text || undefined })
        }}
      >
        <input
          type="search"
          aria-label="Search models"
          placeholder="Search by name"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      <ErrorBanner error={models.error} />
      <table className="data-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Latest version</th>
            <th>Aliases</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {(models.data ?? []).map((model) => {
            const latest = [...(model.latestVersions ?? [])].sort(
              (a, b) => Number(b.version) - Number(a.version),
            )[0]
            return (
              <tr key={model.name}>
                <td>
                  <a href={buildHash(['models', model.name])}>{model.name}</a>
                </td>
                <td>
                  {latest ? (
                    <a href={buildHash(['models', model.name, 'versions', latest.version])}>
                      Version {latest.version}
                    </a>
                  ) : (
                    ''
                  )}
                </td>
                <td>
                  {(model.aliases ?? []).map((alias) => `@${alias.alias} → v${alias.version}`).join(', ')}
                </td>
                <td>{formatTime(model.lastUpdatedTimestamp)}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {models.data && models.data.length === 0 ? <p className="muted">No registered models.</p> : null}
    </div>
  )
}

/** One model: description, aliases (editable), tags, and its versions with stages. */
export function ModelPage({ name }: { name: string }) {
  const registry = useRegistry()
  const model = useLoad(() => registry.getRegisteredModel(name), [name])
  const versions = useLoad(
    async () =>
      (await registry.searchModelVersions({ filter: `name = ${quote(name)}`, maxResults: 1000 }))
        .modelVersions,
    [name],
  )
  const [error, setError] = useState<unknown>()
  const act = async (work: () => Promise<unknown>) => {
    try {
      await work()
      setError(undefined)
      model.reload()
      versions.reload()
    } catch (caught) {
      setError(caught)
    }
  }
  const data = model.data
  if (model.error) return <ErrorBanner error={model.error} />
  if (!data) return <p className="muted">Loading model…</p>
  const sorted = [...(versions.data ?? [])].sort((a, b) => Number(b.version) - Number(a.version))
  return (
    <div className="page model-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <a href={buildHash(['models'])}>Registered models</a> /
      </nav>
      <header className="page-header">
        <h1>{data.name}</h1>
      </header>
      <ErrorBanner error={error} />
      <Section title="Description">
        <EditableMarkdown
          text={data.description ?? ''}
          onSave={(description) => act(() => registry.updateRegisteredModel(name, description))}
        />
      </Section>
      <Section title="Aliases">
        <AliasEditor
          aliases={data.aliases ?? []}
          versions={sorted}
          act={act}
          name={name}
          registry={registry}
        />
      </Section>
      <Section title="Tags">
        <TagEditor
          tags={data.tags ?? []}
          onSet={(key, value) => act(() => registry.setRegisteredModelTag(name, key, value))}
          onDelete={(key) => act(() => registry.deleteRegisteredModelTag(name, key))}
        />
      </Section>
      <Section title={`Versions (${sorted.length})`}>
        <table className="data-table">
          <thead>
            <tr>
              <th>Version</th>
              <th>Stage</th>
              <th>Aliases</th>
              <th>Created</th>
              <th>Run</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((version) => (
              <tr key={version.version}>
                <td>
                  <a href={buildHash(['models', name, 'versions', version.version])}>
                    Version {version.version}
                  </a>
                </td>
                <td>
                  <select
                    aria-label={`Stage of version ${version.version}`}
                    value={version.currentStage ?? 'None'}
                    onChange={(event) =>
                      void act(() =>
                        registry.transitionModelVersionStage({
                          name,
                          version: version.version,
                          stage: event.target.value,
                          archiveExistingVersions: false,
                        }),
                      )
                    }
                  >
                    {STAGES.map((stage) => (
                      <option key={stage}>{stage}</option>
                    ))}
                  </select>
                </td>
                <td>{(version.aliases ?? []).map((alias) => `@${alias}`).join(', ')}</td>
                <td>{formatTime(version.creationTimestamp)}</td>
                <td>{version.runId ? <RunLink runId={version.runId} /> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  )
}

function AliasEditor(props: {
  name: string
  aliases: { alias: string; version: string }[]
  versions: ModelVersion[]
  registry: ModelRegistryClient
  act(work: () => Promise<unknown>): Promise<void>
}) {
  const [alias, setAlias] = useState('')
  const [version, setVersion] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    const target = version || props.versions[0]?.version
    if (!alias.trim() || !target) return
    void props.act(async () => {
      await props.registry.setRegisteredModelAlias(props.name, alias.trim(), target)
      setAlias('')
    })
  }
  return (
    <div>
      <ul className="aliases">
        {props.aliases.map((entry) => (
          <li key={entry.alias}>
            <code>@{entry.alias}</code> →{' '}
            <a href={buildHash(['models', props.name, 'versions', entry.version])}>version {entry.version}</a>{' '}
            <button
              type="button"
              aria-label={`Delete alias ${entry.alias}`}
              onClick={() =>
                void props.act(() => props.registry.deleteRegisteredModelAlias(props.name, entry.alias))
              }
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit}>
        <input
          aria-label="Alias"
          placeholder="alias, e.g. champion"
          value={alias}
          onChange={(event) => setAlias(event.target.value)}
        />
        <select
          aria-label="Version for the alias"
          value={version}
          onChange={(event) => setVersion(event.target.value)}
        >
          {props.versions.map((item) => (
            <option key={item.version} value={item.version}>
              version {item.version}
            </option>
          ))}
        </select>
        <button type="submit">Set alias</button>
      </form>
    </div>
  )
}

function EditableMarkdown({ text, onSave }: { text: string; onSave(text: string): Promise<void> }) {
  const [draft, setDraft] = useState<string>()
  if (draft === undefined) {
    return (
      <div>
        {text ? <SafeMarkdown text={text} /> : <p className="muted">No description.</p>}
        <button type="button" onClick={() => setDraft(text)}>
          Edit description
        </button>
      </div>
    )
  }
  return <MarkdownDraftForm draft={draft} setDraft={setDraft} onSave={onSave} rows={5} />
}

function RunLink({ runId }: { runId: string }) {
  const client = useClient()
  const run = useLoad(() => client.getRun(runId), [runId])
  if (!run.data) return <code>{runId}</code>
  return (
    <a href={buildHash(['experiments', run.data.info.experimentId, 'runs', runId])}>
      {run.data.info.runName || runId}
    </a>
  )
}

/** One model version: lineage to its run and artifacts, how to serve it, stage, description and tags. */
export function ModelVersionPage({ name, version }: { name: string; version: string }) {
  const registry = useRegistry()
  const client = useClient()
  const loaded = useLoad(() => registry.getModelVersion(name, version), [name, version])
  const [error, setError] = useState<string>()
  const run = useLoad(
    async () => (loaded.data?.runId ? client.getRun(loaded.data.runId) : undefined),
    [loaded.data?.runId],
  )
  if (loaded.error) return <ErrorBanner error={loaded.error} />
  const data = loaded.data
  if (!data) return <p className="muted">Loading version…</p>
  const act = async (work: () => Promise<unknown>) => {
    try {
      await work()
      setError(undefined)
      loaded.reload()
    } catch (caught) {
      setError(errorMessage(caught))
    }
  }
  const runInfo = run.data?.info
  const artifactPath = runInfo && data.source ? artifactPathOf(data.source, runInfo.artifactUri) : undefined
  return (
    <div className="page version-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <a href={buildHash(['models'])}>Registered models</a> /{' '}
        <a href={buildHash(['models', name])}>{name}</a> /
      </nav>
      <header className="page-header">
        <h1>
          {name} version {data.version}
        </h1>
        {data.currentStage && data.currentStage !== 'None' ? (
          <span className="badge">{data.currentStage}</span>
        ) : null}
      </header>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <Section title="Lineage">
        <KeyValueTable
          entries={[
            ['Source', <code key="source">{data.source ?? ''}</code>],
            ['Run', data.runId ? <RunLink key="run" runId={data.runId} /> : 'none'],
            [
              'Artifacts',
              runInfo ? (
                <a
                  key="artifacts"
                  href={buildHash(['experiments', runInfo.experimentId, 'runs', runInfo.runId], {
                    tab: 'artifacts',
                    path: artifactPath,
                  })}
                >
                  Browse the run's artifacts{artifactPath ? ` (${artifactPath})` : ''}
                </a>
              ) : (
                ''
              ),
            ],
            ['Status', data.status ?? ''],
            ['Created', formatTime(data.creationTimestamp)],
            ['Aliases', (data.aliases ?? []).map((alias) => `@${alias}`).join(', ')],
          ]}
        />
      </Section>
      <Section title="Serving">
        <ModelServingPanel
          name={name}
          version={version}
          aliases={data.aliases ?? []}
          browseHref={
            runInfo && artifactPath
              ? (file) =>
                  buildHash(['experiments', runInfo.experimentId, 'runs', runInfo.runId], {
                    tab: 'artifacts',
                    path: `${artifactPath}/${file}`,
                  })
              : undefined
          }
        />
      </Section>
      <Section title="Stage">
        <select
          aria-label="Stage"
          value={data.currentStage ?? 'None'}
          onChange={(event) =>
            void act(() =>
              registry.transitionModelVersionStage({
                name,
                version,
                stage: event.target.value,
                archiveExistingVersions: false,
              }),
            )
          }
        >
          {STAGES.map((stage) => (
            <option key={stage}>{stage}</option>
          ))}
        </select>
      </Section>
      <Section title="Description">
        <EditableMarkdown
          text={data.description ?? ''}
          onSave={(description) => act(() => registry.updateModelVersion(name, version, description))}
        />
      </Section>
      <Section title="Tags">
        <TagEditor
          tags={data.tags ?? []}
          onSet={(key, value) => act(() => registry.setModelVersionTag(name, version, key, value))}
          onDelete={(key) => act(() => registry.deleteModelVersionTag(name, version, key))}
        />
      </Section>
    </div>
  )
}

/** The artifact path of a version's source inside its run (`runs:/<id>/model` or a URI below the run's root). */
function artifactPathOf(source: string, artifactUri: string): string | undefined {
  const runs = /^runs:\/[^/]+\/(.+)$/.exec(source)
  if (runs) return runs[1]
  if (source.startsWith(`${artifactUri}/`)) return source.slice(artifactUri.length + 1)
  return undefined
}
