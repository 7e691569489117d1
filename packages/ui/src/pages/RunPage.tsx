import type { Run } from '@cairn/core'
import { useEffect, useState } from 'react'
import { ArtifactBrowser } from '../components/ArtifactBrowser.js'
import { ChartControls, readChartSettings } from '../components/ChartControls.js'
import { ErrorBanner, KeyValueTable, SafeMarkdown, Section, useLoad } from '../components/common.js'
import { MarkdownDraftForm } from '../components/MarkdownDraftForm.js'
import { MetricChart } from '../components/MetricChart.js'
import { TagEditor } from '../components/TagEditor.js'
import { useClient } from '../lib/client.js'
import { formatDuration, formatNumber, formatTime } from '../lib/format.js'
import { buildHash, readList, updateQuery, writeList } from '../lib/router.js'

const NOTE_TAG = 'mlflow.note.content'
const TABS = ['overview', 'charts', 'artifacts'] as const
const LIVE_REFRESH_MS = 10_000

/** One run: overview, params, metrics, tags, datasets, description, versions, charts and artifacts. */
export function RunPage({
  runId,
  query,
  artifactPath,
}: {
  runId: string
  query: URLSearchParams
  artifactPath?: string
}) {
  const client = useClient()
  const loaded = useLoad(() => client.getRun(runId), [runId])
  const tab = artifactPath ? 'artifacts' : (TABS.find((name) => name === query.get('tab')) ?? 'overview')
  const run = loaded.data
  const running = run?.info.status === 'RUNNING'
  const { reload } = loaded
  // A running run's status, latest metrics and tags refresh on their own (its charts poll their buckets).
  useEffect(() => {
    if (!running) return
    const timer = setInterval(reload, LIVE_REFRESH_MS)
    return () => clearInterval(timer)
  }, [running, reload])
  if (loaded.error) return <ErrorBanner error={loaded.error} />
  if (!run) return <p className="muted">Loading run…</p>
  const info = run.info
  return (
    <div className="page run-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <a href={buildHash(['experiments', info.experimentId])}>Experiment {info.experimentId}</a> /
      </nav>
      <header className="page-header">
        <h1>{info.runName || info.runId}</h1>
        <span className={`badge status-${info.status.toLowerCase()}`}>{info.status}</span>
        {info.lifecycleStage === 'deleted' ? <span className="badge">deleted</span> : null}
      </header>
      <div className="tabs" role="tablist" aria-label="Run views">
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={tab === name}
            onClick={() => updateQuery({ tab: name === 'overview' ? undefined : name }, { replace: false })}
          >
            {name[0]!.toUpperCase() + name.slice(1)}
          </button>
        ))}
      </div>
      {tab === 'overview' ? <RunOverview run={run} reload={loaded.reload} /> : null}
      {tab === 'charts' ? <RunCharts run={run} query={query} /> : null}
      {tab === 'artifacts' ? (
        <ArtifactBrowser runId={runId} selectedPath={artifactPath ?? query.get('path') ?? undefined} />
      ) : null}
    </div>
  )
}

function tagValue(run: Run, key: string): string | undefined {
  return run.data.tags.find((tag) => tag.key === key)?.value
}

function RunOverview({ run, reload }: { run: Run; reload(): void }) {
  const client = useClient()
  const info = run.info
  const parentId = tagValue(run, 'mlflow.parentRunId')
  const children = useLoad(
    () =>
      client.searchRuns({
        experimentIds: [info.experimentId],
        filter: `tags.\`mlflow.parentRunId\` = '${info.runId}'`,
        maxResults: 200,
      }),
    [info.runId],
  )
  const versions = useLoad(() => client.registry.listRunModelVersions(info.runId), [info.runId])
  const [showSystem, setShowSystem] = useState(false)
  const commit = tagValue(run, 'mlflow.source.git.commit')
  const source = tagValue(run, 'mlflow.source.name')
  const overview: [string, React.ReactNode][] = [
    ['Run ID', <code key="id">{info.runId}</code>],
    ['Status', info.status],
    ['Started', formatTime(info.startTime)],
    ['Ended', formatTime(info.endTime)],
    ['Duration', info.endTime !== undefined ? formatDuration(info.endTime - info.startTime) : 'running'],
    ['User', info.userId],
    ['Source', source ?? ''],
    ['Git commit', commit ? <code key="commit">{commit}</code> : ''],
    ['Artifact URI', <code key="uri">{info.artifactUri}</code>],
  ]
  if (parentId)
    overview.push([
      'Parent run',
      <a key="parent" href={buildHash(['experiments', info.experimentId, 'runs', parentId])}>
        {parentId}
      </a>,
    ])
  const childRuns = children.data?.runs ?? []
  return (
    <div className="run-overview">
      <Section title="Overview">
        <KeyValueTable entries={overview} />
      </Section>
      <Description run={run} reload={reload} />
      {childRuns.length > 0 ? (
        <Section title={`Child runs (${childRuns.length})`}>
          <ul>
            {childRuns.map((child) => (
              <li key={child.info.runId}>
                <a href={buildHash(['experiments', child.info.experimentId, 'runs', child.info.runId])}>
                  {child.info.runName}
                </a>
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      <Section title={`Parameters (${run.data.params.length})`}>
        <KeyValueTable
          entries={[...run.data.params]
            .sort((a, b) => a.key.localeCompare(b.key))
            .map((param) => [param.key, param.value])}
        />
      </Section>
      <Section title={`Metrics (${run.data.metrics.length})`}>
        {run.data.metrics.length === 0 ? (
          <p className="muted">None</p>
        ) : (
          <table className="kv">
            <thead>
              <tr>
                <th>Key</th>
                <th>Latest</th>
                <th>Step</th>
              </tr>
            </thead>
            <tbody>
              {[...run.data.metrics]
                .sort((a, b) => a.key.localeCompare(b.key))
                .map((metric) => (
                  <tr key={metric.key}>
                    <th scope="row">
                      <a
                        href={buildHash(['experiments', info.experimentId, 'runs', info.runId], {
                          tab: 'charts',
                          metrics: metric.key,
                        })}
                      >
                        {metric.key}
                      </a>
                    </th>
                    <td className="number">{formatNumber(metric.value)}</td>
                    <td className="number">{String(metric.step)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section
        title="Tags"
        actions={
          <label>
            <input
              type="checkbox"
              checked={showSystem}
              onChange={(event) => setShowSystem(event.target.checked)}
            />{' '}
            show mlflow.* tags
          </label>
        }
      >
        <TagEditor
          tags={run.data.tags}
          hide={(key) => !showSystem && key.startsWith('mlflow.')}
          onSet={async (key, value) => {
            await client.setTag({ runId: info.runId, key, value })
            reload()
          }}
          onDelete={async (key) => {
            await client.deleteTag({ runId: info.runId, key })
            reload()
          }}
        />
      </Section>
      <Section title={`Datasets (${run.inputs.datasetInputs.length})`}>
        {run.inputs.datasetInputs.length === 0 ? (
          <p className="muted">None</p>
        ) : (
          <table className="kv">
            <thead>
              <tr>
                <th>Name</th>
                <th>Digest</th>
                <th>Context</th>
                <th>Source</th>
              </tr>
            </thead>
            <tbody>
              {run.inputs.datasetInputs.map((input) => (
                <tr key={`${input.dataset.name}-${input.dataset.digest}`}>
                  <td>{input.dataset.name}</td>
                  <td>
                    <code>{input.dataset.digest}</code>
                  </td>
                  <td>{input.tags.find((tag) => tag.key === 'mlflow.data.context')?.value ?? ''}</td>
                  <td>{input.dataset.sourceType}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Registered model versions">
        <ErrorBanner error={versions.error} />
        {(versions.data ?? []).length === 0 ? (
          <p className="muted">None</p>
        ) : (
          <ul>
            {(versions.data ?? []).map((version) => (
              <li key={`${version.name}-${version.version}`}>
                <a href={buildHash(['models', version.name, 'versions', version.version])}>
                  {version.name} version {version.version}
                </a>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  )
}

function Description({ run, reload }: { run: Run; reload(): void }) {
  const client = useClient()
  const note = tagValue(run, NOTE_TAG) ?? ''
  const [draft, setDraft] = useState<string>()
  return (
    <Section
      title="Description"
      actions={
        draft === undefined ? (
          <button type="button" onClick={() => setDraft(note)}>
            Edit
          </button>
        ) : null
      }
    >
      {draft === undefined ? (
        note ? (
          <SafeMarkdown text={note} />
        ) : (
          <p className="muted">No description.</p>
        )
      ) : (
        <MarkdownDraftForm
          draft={draft}
          setDraft={setDraft}
          onSave={async (text) => {
            await client.setTag({ runId: run.info.runId, key: NOTE_TAG, value: text })
            reload()
          }}
        />
      )}
    </Section>
  )
}

function RunCharts({ run, query }: { run: Run; query: URLSearchParams }) {
  const settings = readChartSettings(query)
  const keys = run.data.metrics.map((metric) => metric.key).sort()
  const chosen = readList(query, 'metrics').filter((key) => keys.includes(key))
  const shown = chosen.length > 0 ? chosen : keys.slice(0, 8)
  const runs = [
    {
      runId: run.info.runId,
      name: run.info.runName,
      startTime: run.info.startTime,
      running: run.info.status === 'RUNNING',
    },
  ]
  return (
    <div>
      <ChartControls settings={settings} />
      <fieldset className="metric-choice">
        <legend>Metrics</legend>
        {keys.map((key) => (
          <label key={key} className="check-line">
            <input
              type="checkbox"
              checked={shown.includes(key)}
              onChange={() =>
                updateQuery({
                  metrics: writeList(
                    shown.includes(key) ? shown.filter((item) => item !== key) : [...shown, key],
                  ),
                })
              }
            />{' '}
            {key}
          </label>
        ))}
      </fieldset>
      {keys.length === 0 ? <p className="muted">This run has no metrics.</p> : null}
      <div className="chart-grid">
        {shown.map((key) => (
          <MetricChart key={key} runs={runs} metricKey={key} {...settings} />
        ))}
      </div>
    </div>
  )
}
