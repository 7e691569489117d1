import { mkdtemp, rm, stat } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseModelUri } from '@cairn/core'
import {
  type LoadedModel,
  loadModelFromDirectory,
  ONNX_INTRA_OP_THREADS_ENV,
  readMlModel,
} from '@cairn/models'
import { CairnClient } from '@cairn/sdk'
import { downloadModel } from '@cairn/sdk/node'
import { loadModelInWorkers } from './worker-pool.js'

/** Where a served model comes from: a local directory, or a URI the tracking server resolves. */
export interface ModelSourceOptions {
  /** A local model directory (the folder holding `MLmodel`). */
  readonly modelDir?: string
  /** `models:/name@alias`, `models:/name/N`, `models:/name/latest`, `models:/name/Stage`, `runs:/…`, `m-<id>`, a path. */
  readonly modelUri?: string
  /** The tracking server; default `CAIRN_TRACKING_URI`, `MLFLOW_TRACKING_URI`, then `http://127.0.0.1:5000`. */
  readonly trackingUri?: string
}

/** One resolved model: its local files and, for registry URIs, the version they belong to. */
export interface ResolvedModelSource {
  readonly directory: string
  readonly uri: string
  readonly name?: string
  readonly version?: string
  /** Deletes downloaded files once the model is closed. */
  readonly cleanup?: () => Promise<void>
}

/**
 * Resolves model sources, and for URIs whose target moves (`@alias`, `latest`, a stage) tells which version they
 * name now, so the server can swap models when it changes.
 */
export class ModelSource {
  readonly uri: string
  readonly #options: ModelSourceOptions
  #client: CairnClient | undefined

  constructor(options: ModelSourceOptions) {
    if (!options.modelDir === !options.modelUri) {
      throw new Error('Give exactly one of a model directory (--model-dir) or a model URI (--model-uri)')
    }
    this.#options = options
    this.uri = options.modelDir ? path.resolve(options.modelDir) : (options.modelUri ?? '')
  }

  /**
   * The local folder a model URI names: a `file:` URI's path, or any text without a scheme (other than a logged
   * model id, `m-…`) as a path; undefined for what the tracking server resolves (`models:/…`, `runs:/…`, `m-…`,
   * other schemes). `cairn models generate-dockerfile` decides with it too, so it copies what serving reads from disk.
   */
  static localDirectoryOf(uri: string): string | undefined {
    if (/^file:/i.test(uri)) return fileURLToPath(uri)
    if (!/^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^m-[0-9a-f]+$/i.test(uri)) return path.resolve(uri)
    return undefined
  }

  get #registryClient(): CairnClient {
    this.#client ??= new CairnClient({ trackingUri: this.#options.trackingUri })
    return this.#client
  }

  /** Whether the URI can name another version later (registry alias, `latest` or stage). */
  get movable(): boolean {
    const registry = this.#registryUri()
    return registry !== undefined && registry.kind !== 'version' && registry.kind !== 'logged-model'
  }

  #registryUri(): ReturnType<typeof parseModelUri> | undefined {
    if (this.#options.modelDir || !/^models:/i.test(this.uri)) return undefined
    return parseModelUri(this.uri)
  }

  #localDirectory(): string | undefined {
    if (this.#options.modelDir) return path.resolve(this.#options.modelDir)
    return ModelSource.localDirectoryOf(this.uri)
  }

  /** The registry version the URI names now (`undefined` for sources that are not registry versions). */
  async currentVersion(): Promise<{ name: string; version: string } | undefined> {
    const registry = this.#registryUri()
    if (!registry || registry.kind === 'logged-model') return undefined
    if (registry.kind === 'version') return { name: registry.name, version: registry.version }
    const version = await this.#registryClient.registry.resolveModelUri(this.uri)
    return { name: version.name, version: version.version }
  }

  /** Downloads (or finds) the model's files; a movable URI is pinned to `version` when given. */
  async resolve(pinned?: { name: string; version: string }): Promise<ResolvedModelSource> {
    const local = this.#localDirectory()
    if (local) {
      const info = await stat(local).catch(() => undefined)
      if (!info?.isDirectory()) throw new Error(`Model directory '${local}' does not exist`)
      return { directory: local, uri: this.uri }
    }
    const version = pinned ?? (await this.currentVersion())
    const downloadUri = version
      ? `models:/${version.name}/${version.version}`
      : /^m-[0-9a-f]+$/i.test(this.uri)
        ? `models:/${this.uri}`
        : this.uri
    const target = await mkdtemp(path.join(tmpdir(), 'cairn-serving-'))
    const cleanup = () => rm(target, { recursive: true, force: true })
    try {
      const directory = await downloadModel(this.#registryClient, downloadUri, target)
      return { directory, uri: this.uri, name: version?.name, version: version?.version, cleanup }
    } catch (error) {
      await cleanup()
      throw error
    }
  }
}

/** A model loaded for serving, and how many worker threads predict with it (0: this thread). */
export interface ServedModelLoad {
  readonly model: LoadedModel
  readonly workerThreads: number
}

/**
 * Loads a model directory for serving: in `workers` worker threads when `workers` > 0, else in this thread.
 * onnxruntime-node runs a session synchronously on the calling thread, so a CPU-heavy ONNX model in this thread
 * stalls HTTP handling while it predicts; in workers, the main thread keeps reading requests (and batching them)
 * and N sessions predict in parallel. Each worker's ONNX session then gets an equal share of the cores unless
 * `CAIRN_ONNX_INTRA_OP_THREADS` says otherwise.
 */
export async function loadServedModel(directory: string, workers: number): Promise<ServedModelLoad> {
  if (workers > 0) {
    const metadata = await readMlModel(directory)
    const flavors = Object.keys(metadata.flavors ?? {})
    if (flavors.includes('onnx') || flavors.includes('js')) {
      const env =
        flavors.includes('onnx') && !process.env[ONNX_INTRA_OP_THREADS_ENV]
          ? {
              ...process.env,
              [ONNX_INTRA_OP_THREADS_ENV]: String(Math.max(1, Math.floor(availableParallelism() / workers))),
            }
          : undefined
      return {
        model: await loadModelInWorkers({ directory, metadata, workers, env }),
        workerThreads: workers,
      }
    }
  }
  return { model: await loadModelFromDirectory(directory), workerThreads: 0 }
}
