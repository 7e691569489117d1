import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoggedModel, Metric, ModelVersion } from '@cairn/core'
import { MlflowError } from '@cairn/core'
import type { LoadedModel, MlModel, ModelInput as ModelInputData, ModelSignature } from '@cairn/models'
import { checkArtifactPath, proxyPathOfRoot, RunArtifacts } from './artifacts.js'
import type { CairnClient } from './cairn-client.js'
import { activeRun, flush, getTrackingUri } from './fluent.js'
import type { HttpClient } from './http-client.js'
import { prepareDownloadTarget, uploadArtifactFolder, writeResponseAtomically } from './node-artifacts.js'
import { runLimited } from './node-files.js'
import { resolveSystemTags } from './node-runtime.js'

/** What model to log: ONNX bytes (or the path of a `.onnx` file), or a JS module folder. */
export type LogModelSpec =
  | {
      readonly flavor: 'onnx'
      /** The serialised ONNX model, or the path of a `.onnx` file. */
      readonly onnx: Uint8Array | string
    }
  | {
      readonly flavor: 'js'
      /** The folder holding the module, its package.json, package-lock.json and node_modules. */
      readonly source: string
      /** The ES module exporting `predict`, relative to `source`. */
      readonly entry: string
    }

/** Options of {@link logModel}. */
export interface LogModelOptions {
  /**
   * The run that produced the model; the logged model is recorded as its output. Default: the active run of the
   * module-level API (`startRun`) when it talks to the same server (its queued metrics are flushed first).
   */
  runId?: string
  /** The experiment of the logged model when there is no run (default `0`). */
  experimentId?: string
  /** The logged model's name (MLflow's `name`, formerly `artifact_path`). */
  name: string
  /** The model itself. */
  model: LogModelSpec
  /** Input/output/params schema, enforced when the model predicts. */
  signature?: ModelSignature
  /** An example input, saved beside the model as `input_example.json` and `serving_input_example.json`. */
  inputExample?: ModelInputData
  /** Also registers the model under this name (created when missing) as a new version. */
  registeredModelName?: string
  /** Params of the logged model (the run's params are added, as MLflow does). */
  params?: Record<string, string | number | boolean>
  /** Tags of the logged model and of the registered version. */
  tags?: Record<string, string>
  /** A free-form type, e.g. `classifier`. */
  modelType?: string
  /** The training step the model belongs to (default 0); the run's metrics at that step are linked to it. */
  step?: number
  /** Free-form metadata stored in MLmodel. */
  metadata?: Record<string, unknown>
}

/** What {@link logModel} answers. */
export interface LoggedModelInfo {
  /** The logged model, READY. */
  loggedModel: LoggedModel
  /** Its id, `m-…`. */
  modelId: string
  /** `models:/<model_id>`, to load it again. */
  modelUri: string
  /** The MLmodel file uploaded with it. */
  mlModel: MlModel
  /** The registered version, when `registeredModelName` was given. */
  modelVersion?: ModelVersion
}

const DEFAULT_CONCURRENCY = 4

// Loaded on first use: @cairn/models brings onnxruntime-node's native binary, which the rest of
// @cairn/sdk/node (system metrics, artifacts) should not pay for.
const loadModelsPackage = () => import('@cairn/models')
const PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts'

/** A storage location's local folder, for `file:` URIs and plain paths; undefined for remote ones. */
function localPathOf(location: string): string | undefined {
  if (/^file:/i.test(location)) return fileURLToPath(location)
  if (path.isAbsolute(location) && !/^[a-zA-Z][a-zA-Z0-9+.-]*:\//.test(location)) return location
  return undefined
}

/** Joins a storage URI and a relative artifact path. */
function joinLocation(location: string, relative: string | undefined): string {
  const checked = checkArtifactPath(relative ?? '')
  return checked === '' ? location : `${location.replace(/\/+$/, '')}/${checked}`
}

/**
 * The artifacts below any storage location the server's artifact proxy serves (`mlflow-artifacts:/…`), not
 * only a run's root: logged models and registered versions have their own. The proxied calls use the client's
 * connection settings.
 */
class ProxiedLocation {
  readonly #http: HttpClient
  readonly #files: RunArtifacts
  readonly #location: string
  readonly #root: string

  constructor(client: CairnClient, location: string) {
    this.#http = client.http
    this.#location = location
    const proxied = proxyPathOfRoot(location)
    this.#root = proxied
      .slice(PROXY_PATH.length)
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodeURIComponent)
      .join('/')
    this.#files = new RunArtifacts(this.#http, async (uri) => uri)
  }

  async upload(localDirectory: string, concurrency: number): Promise<void> {
    await uploadArtifactFolder(this.#files, this.#location, localDirectory, { concurrency })
  }

  async #list(relative: string): Promise<Array<{ path: string; isDir: boolean }>> {
    const directory = [this.#root, relative].filter((part) => part !== '').join('/')
    const body = await this.#http.request<{ files?: Array<{ path: string; is_dir?: boolean }> }>({
      method: 'GET',
      path: PROXY_PATH,
      query: { path: directory },
    })
    const entries: Array<{ path: string; isDir: boolean }> = []
    for (const file of body.files ?? []) {
      // An entry naming the listed folder itself ('', '.') would be listed again forever.
      const name = checkArtifactPath(path.posix.basename(file.path))
      if (name === '') continue
      entries.push({ path: relative === '' ? name : `${relative}/${name}`, isDir: file.is_dir === true })
    }
    return entries
  }

  async #listRecursively(relative: string): Promise<string[]> {
    const files: string[] = []
    for (const entry of await this.#list(relative)) {
      if (entry.isDir) files.push(...(await this.#listRecursively(entry.path)))
      else files.push(entry.path)
    }
    return files
  }

  /** Downloads every file below the location into `destination`; false when there is nothing there. */
  async download(destination: string, concurrency: number): Promise<boolean> {
    const files = await this.#listRecursively('')
    if (files.length === 0) return false
    await runLimited(files, concurrency, async (relative) => {
      const local = await prepareDownloadTarget(destination, relative)
      await writeResponseAtomically(await this.#files.downloadArtifact(this.#location, relative), local)
    })
    return true
  }
}

async function uploadDirectory(client: CairnClient, localDirectory: string, location: string): Promise<void> {
  const local = localPathOf(location)
  if (local !== undefined) {
    await mkdir(local, { recursive: true })
    await cp(localDirectory, local, { recursive: true })
    return
  }
  await new ProxiedLocation(client, location).upload(localDirectory, DEFAULT_CONCURRENCY)
}

/** Copies or downloads what is at `location` into `destination`; false when nothing is there. */
async function downloadLocation(
  client: CairnClient,
  location: string,
  destination: string,
): Promise<boolean> {
  const local = localPathOf(location)
  if (local !== undefined) {
    const info = await stat(local).catch(() => undefined)
    if (!info) return false
    await mkdir(info.isDirectory() ? destination : path.dirname(destination), { recursive: true })
    await cp(local, destination, { recursive: true })
    return true
  }
  return new ProxiedLocation(client, location).download(destination, DEFAULT_CONCURRENCY)
}

function stringRecord(values: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, String(value)]))
}

/** Links the run's metrics logged at `step` to the model, as MLflow's `log_model` does. */
async function linkRunMetrics(
  client: CairnClient,
  runId: string,
  modelId: string,
  step: number,
): Promise<void> {
  const run = await client.getRun(runId)
  const linked: Metric[] = []
  for (const key of new Set(run.data.metrics.map((metric) => metric.key))) {
    for await (const metric of client.getMetricHistoryAll({ runId, metricKey: key })) {
      if (Number(metric.step) === step && metric.modelId === undefined) linked.push({ ...metric, modelId })
    }
  }
  for (let start = 0; start < linked.length; start += 1000) {
    await client.logBatch({ runId, metrics: linked.slice(start, start + 1000) })
  }
}

/** Writes the model folder; `mlModelFields` go into its MLmodel last (over the generated `model_uuid`). */
async function saveModel(
  directory: string,
  options: LogModelOptions,
  mlModelFields: Record<string, unknown>,
): Promise<MlModel> {
  const common = {
    directory,
    mlModelFields,
    ...(options.signature && { signature: options.signature }),
    ...(options.inputExample !== undefined && { inputExample: options.inputExample }),
    ...(options.metadata && { metadata: options.metadata }),
  }
  const { saveJsModel, saveOnnxModel } = await loadModelsPackage()
  const spec = options.model
  switch (spec.flavor) {
    case 'onnx': {
      const bytes = typeof spec.onnx === 'string' ? new Uint8Array(await readFile(spec.onnx)) : spec.onnx
      return saveOnnxModel({ ...common, model: bytes })
    }
    case 'js':
      return saveJsModel({ ...common, source: spec.source, entry: spec.entry })
  }
}

/**
 * Logs a model the way MLflow 3's `log_model` does against a tracking server: creates a logged model (with the
 * run as its source), records it as the run's output, writes the model directory (MLmodel + flavour files),
 * uploads it to the logged model's artifact location, marks it READY (UPLOAD_FAILED when something fails),
 * and, with `registeredModelName`, registers it as a new version with source `models:/<model_id>`.
 *
 * @example
 * const { modelUri, modelVersion } = await logModel(client, {
 *   runId,
 *   name: 'model',
 *   model: { flavor: 'js', source: './my-model', entry: 'model.mjs' },
 *   registeredModelName: 'fraud',
 * })
 */
export async function logModel(client: CairnClient, options: LogModelOptions): Promise<LoggedModelInfo> {
  const active = activeRun()
  const sameServer = active !== undefined && getTrackingUri() === client.trackingUri
  const runId = options.runId ?? (sameServer ? active.runId : undefined)
  if (sameServer && runId === active.runId) await flush()
  const run = runId !== undefined ? await client.getRun(runId) : undefined
  const experimentId = run?.info.experimentId ?? options.experimentId ?? '0'
  const params = {
    ...stringRecord(options.params),
    ...Object.fromEntries((run?.data.params ?? []).map((param) => [param.key, param.value])),
  }
  const tags = { ...(await resolveSystemTags()), ...options.tags }
  const created = await client.registry.createLoggedModel({
    experimentId,
    name: options.name,
    ...(options.modelType !== undefined && { modelType: options.modelType }),
    ...(runId !== undefined && { sourceRunId: runId }),
    params,
    tags,
  })
  const modelId = created.modelId
  const workspace = await mkdtemp(path.join(tmpdir(), 'cairn-log-model-'))
  let mlModel: MlModel
  let loggedModel: LoggedModel
  try {
    if (runId !== undefined) {
      const step = options.step ?? 0
      await client.logOutputs({ runId: runId, models: [{ modelId, step }] })
      await linkRunMetrics(client, runId, modelId, step)
    }
    const local = path.join(workspace, 'model')
    mlModel = await saveModel(local, options, {
      artifact_path: created.artifactUri,
      ...(runId !== undefined && { run_id: runId }),
      model_id: modelId,
      model_uuid: modelId,
    })
    await uploadDirectory(client, local, created.artifactUri)
    loggedModel = await client.registry.finalizeLoggedModel(modelId, 'LOGGED_MODEL_READY')
  } catch (error) {
    await client.registry.finalizeLoggedModel(modelId, 'LOGGED_MODEL_UPLOAD_FAILED').catch(() => undefined)
    throw error
  } finally {
    await rm(workspace, { recursive: true, force: true })
  }
  const info: LoggedModelInfo = { loggedModel, modelId, modelUri: `models:/${modelId}`, mlModel }
  if (options.registeredModelName !== undefined) {
    const name = options.registeredModelName
    try {
      await client.registry.createRegisteredModel({ name })
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'RESOURCE_ALREADY_EXISTS') throw error
    }
    info.modelVersion = await client.registry.createModelVersion({
      name,
      source: info.modelUri,
      modelId,
      ...(options.tags && { tags: options.tags }),
    })
  }
  return info
}

function parseRunsUri(uri: string): { runId: string; artifactPath: string } {
  const match = /^runs:\/([^/]+)(?:\/(.*))?$/i.exec(uri)
  if (!match?.[1]) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
    )
  }
  return { runId: match[1], artifactPath: checkArtifactPath(match[2] ?? '') }
}

async function findRunLoggedModel(
  client: CairnClient,
  runId: string,
  experimentId: string,
  name: string,
): Promise<LoggedModel | undefined> {
  let pageToken: string | undefined
  const quoted = name.replaceAll("'", "\\'")
  do {
    const page = await client.registry.searchLoggedModels({
      experimentIds: [experimentId],
      filter: `name = '${quoted}'`,
      pageToken,
    })
    const match = page.models.find((model) => model.sourceRunId === runId)
    if (match) return match
    pageToken = page.nextPageToken
  } while (pageToken)
  return undefined
}

async function downloadRunsUri(client: CairnClient, uri: string, destination: string): Promise<string> {
  const { runId, artifactPath } = parseRunsUri(uri)
  const run = await client.getRun(runId)
  const target = artifactPath === '' ? destination : path.join(destination, ...artifactPath.split('/'))
  const fromRun = await downloadLocation(client, joinLocation(run.info.artifactUri, artifactPath), target)
  // MLflow 3 keeps a logged model's files under the model, not the run: `runs:/<run>/<name>/…` also finds the
  // run's logged model called <name>, whose files win over run artifacts of the same path.
  let fromModel = false
  if (artifactPath !== '') {
    const [name = '', ...rest] = artifactPath.split('/')
    const model = await findRunLoggedModel(client, runId, run.info.experimentId, name)
    if (model)
      fromModel = await downloadLocation(client, joinLocation(model.artifactUri, rest.join('/')), target)
  }
  if (!fromRun && !fromModel) {
    throw new MlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `Run '${runId}' has no artifacts or logged model at '${artifactPath}' (${uri})`,
    )
  }
  return target
}

async function downloadInto(
  client: CairnClient,
  uri: string,
  destination: string,
  depth: number,
): Promise<string> {
  if (depth > 3) throw new MlflowError('INVALID_PARAMETER_VALUE', `Model URI '${uri}' resolves in a loop`)
  if (/^runs:/i.test(uri)) return downloadRunsUri(client, uri, destination)
  if (/^models:/i.test(uri)) {
    const location = await client.registry.resolveModelUriLocation(uri)
    return downloadInto(client, location, destination, depth + 1)
  }
  if (!(await downloadLocation(client, uri, destination))) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No model files at '${uri}'`)
  }
  return destination
}

/**
 * Downloads a model's files and answers the local folder holding its MLmodel. `uri` is `runs:/<run_id>/<path>`
 * (run artifacts, or the run's logged model of that name), `models:/<name>/<version>`, `models:/<name>@<alias>`,
 * `models:/<name>/latest`, `models:/<name>/<stage>`, `models:/<model_id>`, or a storage URI the server's
 * artifact proxy serves (`mlflow-artifacts:/…`) or a local path (`file:` URI or absolute path).
 * `destination` defaults to a new temporary folder.
 *
 * @example
 * const directory = await downloadModel(client, 'models:/fraud@champion')
 */
export async function downloadModel(client: CairnClient, uri: string, destination?: string): Promise<string> {
  if (destination !== undefined) {
    const target = path.resolve(destination)
    await mkdir(target, { recursive: true })
    return downloadInto(client, uri, target, 0)
  }
  const temporary = await mkdtemp(path.join(tmpdir(), 'cairn-model-'))
  try {
    return await downloadInto(client, uri, temporary, 0)
  } catch (error) {
    await rm(temporary, { recursive: true, force: true })
    throw error
  }
}

/**
 * Downloads a model ({@link downloadModel}) and loads it for prediction, with its signature enforced.
 *
 * @example
 * const model = await loadModel(client, 'models:/fraud@champion')
 * const output = await model.predict({ kind: 'dataframe', columns: ['amount'], rows: [[12.5]] })
 * await model.close()
 */
export async function loadModel(
  client: CairnClient,
  uri: string,
  options: { destination?: string } = {},
): Promise<LoadedModel> {
  if (options.destination !== undefined) {
    const directory = await downloadModel(client, uri, options.destination)
    const { loadModelFromDirectory } = await loadModelsPackage()
    return loadModelFromDirectory(directory)
  }
  // The temporary copy is the model's own: removed when loading fails or the model is closed.
  const temporary = await mkdtemp(path.join(tmpdir(), 'cairn-model-'))
  const removeTemporary = () => rm(temporary, { recursive: true, force: true })
  let model: LoadedModel
  try {
    const directory = await downloadInto(client, uri, temporary, 0)
    const { loadModelFromDirectory } = await loadModelsPackage()
    model = await loadModelFromDirectory(directory)
  } catch (error) {
    await removeTemporary()
    throw error
  }
  return {
    metadata: model.metadata,
    flavor: model.flavor,
    rowBatchable: model.rowBatchable,
    ...(model.tensorRowBatchable === undefined ? {} : { tensorRowBatchable: model.tensorRowBatchable }),
    predict: (input, params) => model.predict(input, params),
    async close() {
      try {
        await model.close()
      } finally {
        await removeTemporary()
      }
    },
  }
}
