import { useEffect, useState } from 'react'
import {
  formatBytes,
  parseDelimited,
  previewKind,
  safeBlobType,
  sandboxedHtml,
  summarizeMlModel,
  svgDataUrl,
} from '../lib/artifact-preview.js'
import { useClient } from '../lib/client.js'
import { errorMessage } from '../lib/format.js'
import { type ArtifactEntry, artifactsOf } from '../lib/optional-apis.js'
import { updateQuery } from '../lib/router.js'
import { ErrorBanner, useLoad } from './common.js'

const MAX_PREVIEW_BYTES = 5 * 1024 * 1024

/** A run's artifacts: a folder tree on the left, the selected file's preview and download on the right. */
export function ArtifactBrowser({ runId, selectedPath }: { runId: string; selectedPath?: string }) {
  const client = useClient()
  const api = artifactsOf(client)
  if (!api) return <p className="muted">This server's SDK has no artifact API.</p>
  return (
    <div className="artifacts">
      <nav className="artifact-tree" aria-label="Artifact files">
        <ArtifactFolder runId={runId} path="" selectedPath={selectedPath} depth={0} />
      </nav>
      <div className="artifact-preview">
        {selectedPath ? (
          <ArtifactPreview runId={runId} path={selectedPath} />
        ) : (
          <p className="muted">Choose a file to preview it.</p>
        )}
      </div>
    </div>
  )
}

function ArtifactFolder(props: { runId: string; path: string; selectedPath?: string; depth: number }) {
  const client = useClient()
  const api = artifactsOf(client)!
  const listing = useLoad(
    () => api.listArtifacts(props.runId, props.path || undefined),
    [props.runId, props.path],
  )
  if (listing.error) return <ErrorBanner error={listing.error} />
  if (!listing.data) return <p className="muted">Loading…</p>
  if (listing.data.length === 0 && props.depth === 0) return <p className="muted">No artifacts.</p>
  return (
    <ul className="tree">
      {listing.data.map((entry) => (
        <ArtifactNode key={entry.path} entry={entry} {...props} />
      ))}
    </ul>
  )
}

function ArtifactNode(props: { entry: ArtifactEntry; runId: string; selectedPath?: string; depth: number }) {
  const { entry } = props
  const name = entry.path.split('/').pop() ?? entry.path
  const inside = props.selectedPath?.startsWith(`${entry.path}/`) ?? false
  const [open, setOpen] = useState(inside)
  if (entry.isDir) {
    return (
      <li>
        <button type="button" className="tree-button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'} {name}/
        </button>
        {open ? (
          <ArtifactFolder
            runId={props.runId}
            path={entry.path}
            selectedPath={props.selectedPath}
            depth={props.depth + 1}
          />
        ) : null}
      </li>
    )
  }
  const selected = props.selectedPath === entry.path
  return (
    <li>
      <button
        aria-current={selected ? 'true' : undefined}
        type="button"
        className={`tree-button${selected ? ' selected' : ''}`}
        onClick={() => updateQuery({ tab: 'artifacts', path: entry.path })}
      >
        {name} <span className="muted">{formatBytes(entry.fileSize)}</span>
      </button>
    </li>
  )
}

interface Loaded {
  blob: Blob
  text?: string
  /** `blob:` URL of the bytes retyped by `safeBlobType`: for the download link and raster previews. */
  url: string
  /** What `<img>` shows: `url` for raster images, a `data:` URL for SVG. */
  imageSrc?: string
}

/** Previews one artifact by its kind; nothing from the file is ever rendered as HTML outside the sandboxed frame. */
export function ArtifactPreview({ runId, path }: { runId: string; path: string }) {
  const client = useClient()
  const api = artifactsOf(client)!
  const kind = previewKind(path)
  const [loaded, setLoaded] = useState<Loaded>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    let cancelled = false
    let url: string | undefined
    setLoaded(undefined)
    setError(undefined)
    void (async () => {
      try {
        const response = await api.downloadArtifact(runId, path)
        const blob = new Blob([await response.blob()], { type: safeBlobType(path) })
        const isSvg = /\.svg$/i.test(path)
        const readable = (kind !== 'image' && kind !== 'none') || isSvg
        const text = readable && blob.size <= MAX_PREVIEW_BYTES ? await blob.text() : undefined
        url = URL.createObjectURL(blob)
        const imageSrc =
          kind !== 'image' ? undefined : isSvg ? (text === undefined ? undefined : svgDataUrl(text)) : url
        if (cancelled) URL.revokeObjectURL(url)
        else setLoaded({ blob, text, url, imageSrc })
      } catch (caught) {
        if (!cancelled) setError(errorMessage(caught))
      }
    })()
    return () => {
      cancelled = true
      if (url) URL.revokeObjectURL(url)
    }
  }, [api, runId, path, kind])
  const name = path.split('/').pop() ?? path
  return (
    <div className="preview" data-testid="artifact-preview" data-kind={kind}>
      <header className="section-header">
        <h3>{path}</h3>
        {loaded ? (
          <a className="button" href={loaded.url} download={name}>
            Download ({formatBytes(loaded.blob.size)})
          </a>
        ) : null}
      </header>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {loaded ? (
        <PreviewBody kind={kind} loaded={loaded} name={name} />
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
    </div>
  )
}

function PreviewBody({ kind, loaded, name }: { kind: string; loaded: Loaded; name: string }) {
  if (kind === 'image')
    return loaded.imageSrc ? (
      <img className="preview-image" src={loaded.imageSrc} alt={name} />
    ) : (
      <p className="muted">Too large to preview; download it instead.</p>
    )
  if (loaded.text === undefined)
    return <p className="muted">No preview for this file; download it instead.</p>
  const text = loaded.text
  switch (kind) {
    case 'html':
      return (
        <iframe
          className="preview-frame"
          title={`Preview of ${name}`}
          // Scripts may run, but never with the UI's origin: no allow-same-origin, popups or top navigation.
          sandbox="allow-scripts"
          referrerPolicy="no-referrer"
          srcDoc={sandboxedHtml(text)}
        />
      )
    case 'json':
      return <pre className="preview-text">{prettyJson(text)}</pre>
    case 'table': {
      const rows = parseDelimited(text, name.toLowerCase().endsWith('.tsv') ? '\t' : ',')
      const [head = [], ...body] = rows
      return (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                {head.map((cell, index) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: columns have no other identity
                  <th key={index}>{cell}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {body.map((row, rowIndex) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows have no other identity
                <tr key={rowIndex}>
                  {row.map((cell, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: cells have no other identity
                    <td key={index}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )
    }
    case 'mlmodel':
      return <MlModelPreview text={text} />
    default:
      return <pre className="preview-text">{text}</pre>
  }
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

function MlModelPreview({ text }: { text: string }) {
  const summary = summarizeMlModel(text)
  return (
    <div>
      <dl className="mlmodel">
        <dt>Flavors</dt>
        <dd>{summary.flavors.join(', ') || 'none'}</dd>
        {summary.modelUuid ? (
          <>
            <dt>Model UUID</dt>
            <dd>{summary.modelUuid}</dd>
          </>
        ) : null}
        {summary.created ? (
          <>
            <dt>Created</dt>
            <dd>{summary.created}</dd>
          </>
        ) : null}
      </dl>
      <pre className="preview-text">{text}</pre>
    </div>
  )
}
