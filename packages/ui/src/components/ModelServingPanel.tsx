import { type CairnClient, MlflowError } from '@cairn/sdk'
import { useState } from 'react'
import { useClient } from '../lib/client.js'
import { errorMessage } from '../lib/format.js'
import { useLoad } from './common.js'
import {
  exampleRequestBody,
  invocationsCurl,
  type ModelParamEntry,
  type ModelSchemaEntry,
  readModelServingInfo,
  SERVABLE_FLAVORS,
  serveCommands,
} from './ModelServing.js'

/**
 * A version's MLmodel text, read by the server from the version's download URI (MLflow's
 * `model-versions/get-artifact`, so any artifact store works, not only the proxy); undefined when there is none.
 */
async function loadMlModelText(
  client: CairnClient,
  name: string,
  version: string,
): Promise<string | undefined> {
  try {
    const response = await client.http.send({
      method: 'GET',
      path: '/model-versions/get-artifact',
      query: { name, version, path: 'MLmodel' },
    })
    return await response.text()
  } catch (error) {
    if (error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST') return undefined
    throw error
  }
}

/**
 * How to serve a model version: its flavours, its signature as tables, its input example, and copyable
 * `cairn models serve` and `curl` commands. `browseHref` links a file of the version's source, when it has one.
 */
export function ModelServingPanel(props: {
  name: string
  version: string
  aliases: readonly string[]
  browseHref?: (path: string) => string | undefined
}) {
  const client = useClient()
  const loaded = useLoad(async () => {
    const text = await loadMlModelText(client, props.name, props.version)
    return text === undefined ? undefined : readModelServingInfo(text)
  }, [client, props.name, props.version])
  if (loaded.error) {
    return (
      <p className="muted" data-testid="serving-note">
        Could not read this version's MLmodel: {errorMessage(loaded.error)}
      </p>
    )
  }
  if (loaded.loading && !loaded.data) return <p className="muted">Loading MLmodel…</p>
  const info = loaded.data
  if (!info) {
    return (
      <p className="muted" data-testid="serving-note">
        This version's source has no MLmodel file, so it cannot be served as a model.
      </p>
    )
  }
  const served = SERVABLE_FLAVORS.find((flavor) => info.flavors.includes(flavor))
  const body = exampleRequestBody(info.inputs)
  const commands = serveCommands({ name: props.name, version: props.version, aliases: props.aliases })
  return (
    <div className="model-serving">
      <p>
        Flavours:{' '}
        {info.flavors.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          info.flavors.map((flavor) => (
            <span key={flavor}>
              <code className="badge">{flavor}</code>{' '}
            </span>
          ))
        )}
        {served ? (
          <span className="muted">(Cairn serves it with {served})</span>
        ) : (
          <span className="muted">(Cairn serves the onnx and js flavours; this model has neither)</span>
        )}
      </p>
      {info.problems.map((problem) => (
        <p key={problem} className="error">
          {problem}
        </p>
      ))}
      {info.inputs || info.outputs || info.params ? (
        <>
          <ModelSchemaTable title="Inputs" entries={info.inputs} />
          <ModelSchemaTable title="Outputs" entries={info.outputs} />
          {info.params ? <ModelParamsTable params={info.params} /> : null}
        </>
      ) : (
        <p className="muted" data-testid="serving-note">
          This version has no signature: requests are passed to the model unchecked.
        </p>
      )}
      {info.inputExample ? (
        <p>
          Input example: <FileLink path={info.inputExample.path} browseHref={props.browseHref} />
          {info.inputExample.type ? <span className="muted"> ({info.inputExample.type})</span> : null}
          {info.inputExample.servingInputPath ? (
            <>
              ; ready request body:{' '}
              <FileLink path={info.inputExample.servingInputPath} browseHref={props.browseHref} />
            </>
          ) : null}
        </p>
      ) : null}
      <h3>Serve</h3>
      {commands.map((entry) => (
        <ModelCommand key={entry.uri} label={`serve command for ${entry.uri}`} command={entry.command} />
      ))}
      {body ? (
        <>
          <h3>Score</h3>
          <ModelCommand label="curl example" command={invocationsCurl(body)} />
        </>
      ) : null}
    </div>
  )
}

function FileLink({ path, browseHref }: { path: string; browseHref?: (path: string) => string | undefined }) {
  const href = browseHref?.(path)
  return href ? (
    <a href={href}>
      <code>{path}</code>
    </a>
  ) : (
    <code>{path}</code>
  )
}

function ModelSchemaTable({ title, entries }: { title: string; entries?: ModelSchemaEntry[] }) {
  if (!entries) return <p className="muted">{title}: not in the signature.</p>
  const tensors = entries.some((entry) => entry.kind === 'tensor')
  return (
    <>
      <h3>{title}</h3>
      <table className="data-table" aria-label={`Signature ${title.toLowerCase()}`}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>{tensors ? 'Shape' : 'Required'}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: unnamed columns have only their position
            <tr key={index}>
              <td>{entry.name ?? <span className="muted">(unnamed {index})</span>}</td>
              {entry.kind === 'tensor' ? (
                <>
                  <td>tensor {entry.dtype}</td>
                  <td>({entry.shape.join(', ')})</td>
                </>
              ) : (
                <>
                  <td>{entry.type}</td>
                  <td>{tensors ? '' : entry.required ? 'yes' : 'no'}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

function ModelParamsTable({ params }: { params: ModelParamEntry[] }) {
  return (
    <>
      <h3>Params</h3>
      <table className="data-table" aria-label="Signature params">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Default</th>
          </tr>
        </thead>
        <tbody>
          {params.map((param) => (
            <tr key={param.name}>
              <td>{param.name}</td>
              <td>{param.type}</td>
              <td>
                <code>{param.default === undefined ? '' : JSON.stringify(param.default)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** A shell command in a block, with a button that copies it. */
export function ModelCommand({ label, command }: { label: string; command: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command)
      setState('copied')
    } catch {
      setState('failed')
    }
  }
  return (
    <div className="toolbar model-command">
      <pre className="preview-text" data-testid="model-command" style={{ flex: 1, margin: 0 }}>
        <code>{command}</code>
      </pre>
      <button type="button" aria-label={`Copy ${label}`} onClick={() => void copy()}>
        Copy
      </button>
      {state === 'idle' ? null : (
        <span className="muted" role="status">
          {state === 'copied' ? 'Copied' : 'Select the text to copy it.'}
        </span>
      )}
    </div>
  )
}
