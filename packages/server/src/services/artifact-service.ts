import type {
  ArtifactFileInfo,
  ArtifactRepository,
  ArtifactStat,
  ByteRange,
  S3Options,
} from '@cairn/artifacts'
import {
  normalizeOptionalArtifactPath,
  openArtifactRepository,
  openDestinationRepository,
  parseArtifactUri,
} from '@cairn/artifacts'
import { invalidParameter, MlflowError } from '@cairn/core'
import type { TrackingStore } from '@cairn/store'

/** How the server stores and serves artifacts (`mlflow server` flags). */
export interface ArtifactSettings {
  /** Proxy `/api/2.0/mlflow-artifacts` to `destination` (`--serve-artifacts`, default true). */
  serveArtifacts: boolean
  /** Serve only the artifact proxy; tracking endpoints answer 503 (`--artifacts-only`). */
  artifactsOnly: boolean
  /** `--artifacts-destination`: a local path, `file:` URI or `s3://` URI. */
  destination: string
  /** `--default-artifact-root`; run roots below it (local or S3) may be read through the server. */
  defaultArtifactRoot?: string
  /** S3 client settings (default: environment and the AWS credential chain). */
  s3?: S3Options
}

/** A run's artifacts, as `artifacts/list` answers. */
export interface RunArtifactListing {
  rootUri: string
  files: ArtifactFileInfo[]
  nextPageToken?: string
}

/** An artifact opened for download. */
export interface OpenedArtifact {
  path: string
  stat: ArtifactStat
  repository: ArtifactRepository
}

const PROXIED_SCHEMES = /^(mlflow-artifacts|https?):/i

/**
 * Artifacts of runs and of the proxy. Every client-supplied path is normalised and confined to
 * its root; run roots are served only when they lie inside a root the server was configured with
 * (`--artifacts-destination`, `--default-artifact-root`), so an experiment created with
 * `artifact_location=/etc` cannot turn the server into a file reader.
 */
export class ArtifactService {
  readonly settings: ArtifactSettings
  readonly #store: TrackingStore
  #destination: Promise<ArtifactRepository> | undefined

  constructor(store: TrackingStore, settings: ArtifactSettings) {
    this.#store = store
    this.settings = settings
  }

  /** The `--artifacts-destination` repository; TEMPORARILY_UNAVAILABLE unless artifacts are served. */
  async destination(): Promise<ArtifactRepository> {
    if (!this.settings.serveArtifacts) {
      throw new MlflowError(
        'TEMPORARILY_UNAVAILABLE',
        'Artifacts are not served: the server runs with --no-serve-artifacts',
      )
    }
    this.#destination ??= openDestinationRepository(this.settings.destination, this.settings.s3)
    return this.#destination
  }

  /**
   * Opens the repository of an artifact URI stored in a run, logged model or model version:
   * `mlflow-artifacts:` URIs resolve below the destination, `runs:/` through the run's root, local
   * and S3 URIs only inside the configured roots.
   */
  async openRepository(uri: string): Promise<ArtifactRepository> {
    const location = parseArtifactUri(uri)
    if (location.kind === 'local' || location.kind === 's3') this.#checkInsideConfiguredRoots(uri)
    return openArtifactRepository(uri, {
      proxiedDestination:
        PROXIED_SCHEMES.test(uri) || location.kind === 'run' ? await this.destination() : undefined,
      resolveRunArtifactUri: async (runId) => {
        const root = (await this.#store.getRunInfo(runId)).artifactUri
        const rootLocation = parseArtifactUri(root)
        if (rootLocation.kind === 'local' || rootLocation.kind === 's3')
          this.#checkInsideConfiguredRoots(root)
        return root
      },
      s3: this.settings.s3,
    })
  }

  async runRepository(runId: string): Promise<{ rootUri: string; repository: ArtifactRepository }> {
    const info = await this.#store.getRunInfo(runId)
    return { rootUri: info.artifactUri, repository: await this.openRepository(info.artifactUri) }
  }

  async listRunArtifacts(request: {
    runId: string
    path?: string
    pageToken?: string
    maxResults?: number
  }): Promise<RunArtifactListing> {
    const path = normalizeOptionalArtifactPath(request.path)
    const { rootUri, repository } = await this.runRepository(request.runId)
    const page = await repository.list(path, { pageToken: request.pageToken, maxResults: request.maxResults })
    return { rootUri, files: page.files, nextPageToken: page.nextPageToken }
  }

  /** A file of a run for download; RESOURCE_DOES_NOT_EXIST when absent. */
  async openRunArtifact(runId: string, path: string): Promise<OpenedArtifact> {
    const normalized = normalizeOptionalArtifactPath(path)
    const { repository } = await this.runRepository(runId)
    return openFile(repository, normalized)
  }

  /** A file below the proxy destination for download. */
  async openProxiedArtifact(path: string): Promise<OpenedArtifact> {
    return openFile(await this.destination(), normalizeOptionalArtifactPath(path))
  }

  #checkInsideConfiguredRoots(uri: string): void {
    const roots = [this.settings.destination, this.settings.defaultArtifactRoot]
      .filter((root): root is string => root !== undefined && !PROXIED_SCHEMES.test(root))
      .map(canonicalRoot)
    const candidate = canonicalRoot(uri)
    if (
      !roots.some(
        (root) => candidate === root || candidate.startsWith(root.endsWith('/') ? root : `${root}/`),
      )
    ) {
      throw invalidParameter(`Artifact location '${uri}' is outside the artifact roots this server serves`)
    }
  }
}

function canonicalRoot(uri: string): string {
  const location = parseArtifactUri(/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri) ? uri : pathResolve(uri))
  if (location.kind === 'local') return `file://${location.directory.replace(/\/+$/, '')}`
  if (location.kind === 's3') return location.uri.replace(/^s3a:/i, 's3:').replace(/\/+$/, '')
  return uri
}

function pathResolve(text: string): string {
  return text.startsWith('/') ? text : `${process.cwd()}/${text}`
}

async function openFile(repository: ArtifactRepository, path: string): Promise<OpenedArtifact> {
  if (path === '') throw invalidParameter('Artifact path refers to a directory, not a file: the root')
  const stat = await repository.stat(path)
  if (!stat) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Artifact '${path}' does not exist`)
  if (stat.isDir) throw invalidParameter(`Artifact path refers to a directory, not a file: '${path}'`)
  return { path, stat, repository }
}

/** Parses one `Range: bytes=…` range against a file size; `undefined` serves the whole file. */
export function parseRangeHeader(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return 'unsatisfiable'
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}
