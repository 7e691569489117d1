import { MlflowError } from '@cairn/core'
import { stringify as toYaml } from 'yaml'
import type { HttpClient } from './http-client.js'

/** A file or directory of a run's artifacts; `path` is relative to the run's artifact root. */
export interface ArtifactFile {
  path: string
  isDir: boolean
  /** Bytes; absent for directories. */
  fileSize?: number
}

/** Progress of a transfer: bytes of the current file, and files done when several are moved. */
export interface ArtifactProgress {
  /** The artifact path being moved. */
  path: string
  /** Bytes of `path` moved so far. */
  bytes: number
  /** Size of `path`, when known. */
  totalBytes?: number
  /** Files finished so far, in a multi-file transfer. */
  filesDone?: number
  /** Files in a multi-file transfer. */
  filesTotal?: number
}

export type ArtifactProgressCallback = (progress: ArtifactProgress) => void

export interface UploadArtifactOptions {
  /** Size of the body in bytes, for progress and `Content-Length`. */
  size?: number
  onProgress?: ArtifactProgressCallback
}

/** What can be uploaded: bytes, text, a Blob, or a web stream. */
export type ArtifactBody = Uint8Array | string | Blob | ReadableStream<Uint8Array>

const PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts'
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff]

/**
 * Normalises an artifact path the way the server does and refuses anything that could climb out of
 * the run's root (`..`, absolute paths, backslashes, NUL), so a client never asks for, or writes
 * to, a path outside it.
 */
export function checkArtifactPath(path: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL and other control characters are refused
  if (/[\u0000-\u001f\\#]/.test(path) || path.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid artifact path '${path}'`)
  }
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.some((segment) => segment === '..')) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid artifact path '${path}'`)
  }
  return segments.join('/')
}

/** Joins artifact paths, checking each part. */
export function joinArtifactPaths(...parts: Array<string | undefined>): string {
  return parts
    .filter((part): part is string => part !== undefined && part !== '')
    .map(checkArtifactPath)
    .filter((part) => part !== '')
    .join('/')
}

function encodePath(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent)
    .join('/')
}

/**
 * The proxy path of a run's artifact root: `mlflow-artifacts:/<p>` (and an http(s) root served by
 * the same proxy) maps to `/api/2.0/mlflow-artifacts/artifacts/<p>`. Other roots (S3, local
 * folders) are written by their own clients, not through the server.
 */
export function proxyPathOfRoot(artifactUri: string): string {
  let rest: string | undefined
  if (/^mlflow-artifacts:/i.test(artifactUri)) {
    rest = artifactUri.slice('mlflow-artifacts:'.length).replace(/^\/\/[^/]*/, '')
  } else if (/^https?:/i.test(artifactUri)) {
    const pathname = new URL(artifactUri).pathname
    const at = pathname.indexOf(PROXY_PATH)
    if (at >= 0) rest = decodeURIComponent(pathname.slice(at + PROXY_PATH.length))
  }
  if (rest === undefined) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Artifact root '${artifactUri}' is not served by the tracking server's artifact proxy; the SDK uploads and downloads through the proxy only (start the server with --serve-artifacts)`,
    )
  }
  const path = checkArtifactPath(rest.replace(/^\/+/, ''))
  return path === '' ? PROXY_PATH : `${PROXY_PATH}/${encodePath(path)}`
}

function countingStream(
  body: ReadableStream<Uint8Array>,
  onBytes: (bytes: number) => void,
): ReadableStream<Uint8Array> {
  let bytes = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength
        onBytes(bytes)
        controller.enqueue(chunk)
      },
    }),
  )
}

/**
 * A run's artifacts through the server's artifact proxy: list, upload, download, and the
 * `log_text` / `log_dict` / `log_image` helpers of MLflow's Python client. Browser-safe (fetch and
 * web streams only); files and folders on disk are in `@cairn/sdk/node`.
 *
 * @example
 * await client.artifacts.logDict(runId, { lr: 0.01 }, 'config/params.yaml')
 * const files = await client.artifacts.listArtifacts(runId, 'config')
 */
export class RunArtifacts {
  readonly #http: HttpClient
  readonly #artifactUriOf: (runId: string) => Promise<string>
  readonly #roots = new Map<string, Promise<string>>()

  constructor(http: HttpClient, artifactUriOf: (runId: string) => Promise<string>) {
    this.#http = http
    this.#artifactUriOf = artifactUriOf
  }

  /** The run's root as a proxy path (looked up once per run). */
  async proxyRoot(runId: string): Promise<string> {
    let root = this.#roots.get(runId)
    if (!root) {
      root = this.#artifactUriOf(runId).then(proxyPathOfRoot)
      root.catch(() => this.#roots.delete(runId))
      this.#roots.set(runId, root)
    }
    return root
  }

  /** The immediate children of `path` (default: the run's root), with run-relative paths. */
  async listArtifacts(runId: string, path?: string): Promise<ArtifactFile[]> {
    const files: ArtifactFile[] = []
    let pageToken: string | undefined
    do {
      const page = await this.#http.request<{
        files?: Array<{ path: string; is_dir?: boolean; file_size?: number | bigint }>
        next_page_token?: string
      }>({
        method: 'GET',
        path: '/api/2.0/mlflow/artifacts/list',
        query: { run_id: runId, path: path ? checkArtifactPath(path) : undefined, page_token: pageToken },
      })
      for (const file of page.files ?? []) {
        const entry: ArtifactFile = { path: checkArtifactPath(file.path), isDir: file.is_dir === true }
        if (!entry.isDir && file.file_size !== undefined) entry.fileSize = Number(file.file_size)
        files.push(entry)
      }
      pageToken = page.next_page_token || undefined
    } while (pageToken)
    return files
  }

  /** Uploads one artifact to `artifactPath` (relative to the run's root), replacing any file there. */
  async uploadArtifact(
    runId: string,
    artifactPath: string,
    body: ArtifactBody,
    options: UploadArtifactOptions = {},
  ): Promise<void> {
    const path = checkArtifactPath(artifactPath)
    if (path === '') throw new MlflowError('INVALID_PARAMETER_VALUE', 'An artifact path must name a file')
    const root = await this.proxyRoot(runId)
    let payload: BodyInit
    let size = options.size
    if (typeof body === 'string') {
      const bytes = new TextEncoder().encode(body)
      payload = bytes
      size = bytes.byteLength
    } else if (body instanceof Uint8Array) {
      payload = body as Uint8Array<ArrayBuffer>
      size = body.byteLength
    } else if (typeof Blob !== 'undefined' && body instanceof Blob) {
      payload = body
      size = body.size
    } else {
      const onProgress = options.onProgress
      payload = onProgress
        ? countingStream(body as ReadableStream<Uint8Array>, (bytes) =>
            onProgress({ path, bytes, totalBytes: size }),
          )
        : (body as ReadableStream<Uint8Array>)
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' }
    if (size !== undefined) headers['Content-Length'] = String(size)
    const response = await this.#http.send({
      method: 'PUT',
      path: `${root}/${encodePath(path)}`,
      body: payload,
      headers,
    })
    await response.body?.cancel()
    if (!(payload instanceof ReadableStream))
      options.onProgress?.({ path, bytes: size ?? 0, totalBytes: size })
  }

  /** Opens one artifact for reading; the answer's body streams the bytes. */
  async downloadArtifact(
    runId: string,
    artifactPath: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<Response> {
    const path = checkArtifactPath(artifactPath)
    const root = await this.proxyRoot(runId)
    return this.#http.send({ method: 'GET', path: `${root}/${encodePath(path)}`, signal: options.signal })
  }

  /** Deletes an artifact file or directory. */
  async deleteArtifact(runId: string, artifactPath: string): Promise<void> {
    const path = checkArtifactPath(artifactPath)
    if (path === '')
      throw new MlflowError('INVALID_PARAMETER_VALUE', "Refusing to delete a run's whole artifact root")
    const root = await this.proxyRoot(runId)
    const response = await this.#http.send({ method: 'DELETE', path: `${root}/${encodePath(path)}` })
    await response.body?.cancel()
  }

  /** Logs `text` as the artifact `artifactFile` (MLflow's `log_text`). */
  async logText(runId: string, text: string, artifactFile: string): Promise<void> {
    await this.uploadArtifact(runId, artifactFile, text)
  }

  /**
   * Logs a JSON-serialisable object as `artifactFile` (MLflow's `log_dict`): YAML for `.yaml`/`.yml`,
   * otherwise indented JSON.
   */
  async logDict(runId: string, dictionary: Record<string, unknown>, artifactFile: string): Promise<void> {
    const text = /\.ya?ml$/i.test(artifactFile)
      ? toYaml(dictionary, { sortMapEntries: false })
      : JSON.stringify(dictionary, null, 2)
    await this.uploadArtifact(runId, artifactFile, text)
  }

  /** Logs encoded PNG or JPEG bytes as `artifactFile` (MLflow's `log_image` for already-encoded images). */
  async logImage(runId: string, image: Uint8Array, artifactFile: string): Promise<void> {
    const startsWith = (signature: number[]) => signature.every((byte, index) => image[index] === byte)
    const isPng = startsWith(PNG_SIGNATURE)
    const isJpeg = startsWith(JPEG_SIGNATURE)
    if (!isPng && !isJpeg) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', 'logImage takes encoded PNG or JPEG bytes')
    }
    const expected = isPng ? /\.png$/i : /\.jpe?g$/i
    if (!expected.test(artifactFile)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `The image is a ${isPng ? 'PNG' : 'JPEG'} but '${artifactFile}' has another extension`,
      )
    }
    await this.uploadArtifact(runId, artifactFile, image)
  }

  /** Reads a text artifact. */
  async readText(runId: string, artifactFile: string): Promise<string> {
    return (await this.downloadArtifact(runId, artifactFile)).text()
  }

  /** Reads a JSON or YAML artifact (MLflow's `mlflow.artifacts.load_dict`). */
  async loadDict(runId: string, artifactFile: string): Promise<Record<string, unknown>> {
    const text = await this.readText(runId, artifactFile)
    if (/\.ya?ml$/i.test(artifactFile)) {
      const { parse } = await import('yaml')
      return parse(text) as Record<string, unknown>
    }
    return JSON.parse(text) as Record<string, unknown>
  }
}
