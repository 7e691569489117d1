import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { invalidParameter, MlflowError } from '@cairn/core'
import type {
  ArtifactFileInfo,
  ArtifactPage,
  ArtifactRepository,
  ArtifactStat,
  ByteRange,
  ListArtifactsOptions,
  WriteArtifactOptions,
} from './artifact-repository.js'
import { decodePageToken, encodePageToken } from './artifact-repository.js'
import { invalidArtifactPath, normalizeOptionalArtifactPath } from './path-safety.js'

/** In-progress uploads are written beside their target under this prefix and hidden from listings. */
const UPLOAD_PREFIX = '.cairn-upload-'
// 1 MiB chunks: 256 KiB ones cut throughput 2–4× here (more syscalls). The server frees spent chunks as it streams
// (packages/server/src/http/artifact-streams.ts), so big chunks do not raise RSS.
const READ_CHUNK_BYTES = 1024 * 1024
const WRITE_BUFFER_BYTES = 1024 * 1024
const STAT_BATCH = 256

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Artifacts in a local folder. Every path is confined to the folder: besides the lexical checks of
 * `normalizeArtifactPath`, symbolic links are resolved and a path whose real location is outside the
 * root is refused, so a link planted in the folder cannot expose the rest of the disk.
 */
export class LocalArtifactRepository implements ArtifactRepository {
  readonly rootUri: string
  readonly #root: string
  /** The outermost root every child repository stays inside. */
  readonly #boundary: string
  #realBoundary: string | undefined

  /** `root` is a directory path or a `file:` URI; it need not exist yet. */
  constructor(root: string, boundary?: string) {
    this.#root = path.resolve(root.startsWith('file:') ? fileURLToPath(root) : root)
    this.#boundary = boundary ?? this.#root
    this.rootUri = this.#root
  }

  child(relative: string): ArtifactRepository {
    const normalized = normalizeOptionalArtifactPath(relative)
    if (normalized === '') return this
    return new LocalArtifactRepository(path.join(this.#root, ...normalized.split('/')), this.#boundary)
  }

  async list(relative: string, options: ListArtifactsOptions = {}): Promise<ArtifactPage> {
    const { full, normalized } = await this.#resolve(relative)
    const after = decodePageToken(options.pageToken)
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(full, { withFileTypes: true })
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return { files: [] }
      throw error
    }
    const names = entries
      .filter((entry) => !entry.name.startsWith(UPLOAD_PREFIX))
      .sort((a, b) => compareNames(a.name, b.name))
      .filter((entry) => after === undefined || entry.name > after)
    const limit = options.maxResults ?? Number.POSITIVE_INFINITY
    const files: ArtifactFileInfo[] = []
    let index = 0
    // Entries are described a batch at a time: parallel stats keep a 10,000-file folder fast.
    while (index < names.length && files.length < limit) {
      const batch = names.slice(index, index + Math.min(STAT_BATCH, limit - files.length))
      index += batch.length
      const described = await Promise.all(
        batch.map((entry) =>
          this.#describe(full, entry, normalized === '' ? entry.name : `${normalized}/${entry.name}`),
        ),
      )
      for (const info of described) if (info) files.push(info)
    }
    const last = files.at(-1)
    return index < names.length && last !== undefined
      ? { files, nextPageToken: encodePageToken(path.posix.basename(last.path)) }
      : { files }
  }

  async #describe(
    directory: string,
    entry: import('node:fs').Dirent,
    childPath: string,
  ): Promise<ArtifactFileInfo | undefined> {
    const entryPath = path.join(directory, entry.name)
    if (entry.isSymbolicLink() && !(await this.#isInside(entryPath))) return undefined
    if (entry.isDirectory()) return { path: childPath, isDir: true }
    try {
      const info = await stat(entryPath)
      return info.isDirectory()
        ? { path: childPath, isDir: true }
        : { path: childPath, isDir: false, fileSize: info.size }
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined
      throw error
    }
  }

  async stat(relative: string): Promise<ArtifactStat | undefined> {
    const { full, normalized } = await this.#resolve(relative)
    try {
      const info = await stat(full)
      return {
        path: normalized,
        isDir: info.isDirectory(),
        size: info.isDirectory() ? 0 : info.size,
        lastModified: info.mtime,
      }
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined
      throw error
    }
  }

  async read(relative: string, range?: ByteRange): Promise<Readable> {
    const { full, normalized } = await this.#resolve(relative)
    let handle: import('node:fs/promises').FileHandle
    try {
      handle = await open(full, 'r')
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') throw notFound(normalized)
      if (errorCode(error) === 'EISDIR') throw isDirectory(normalized)
      throw error
    }
    if ((await handle.stat()).isDirectory()) {
      await handle.close()
      throw isDirectory(normalized)
    }
    return handle.createReadStream({
      start: range?.start,
      end: range?.end,
      highWaterMark: READ_CHUNK_BYTES,
    })
  }

  async write(
    relative: string,
    body: Readable | Uint8Array,
    options: WriteArtifactOptions = {},
  ): Promise<{ size: number }> {
    const { full, normalized } = await this.#resolve(relative)
    if (normalized === '') throw invalidParameter('An artifact path must name a file')
    const directory = path.dirname(full)
    await mkdir(directory, { recursive: true })
    // mkdir may have walked through a link created meanwhile: check the real parent again.
    if (!(await this.#isInside(directory))) throw invalidArtifactPath()
    const temporary = path.join(directory, `${UPLOAD_PREFIX}${randomUUID()}`)
    const source = body instanceof Uint8Array ? Readable.from([body]) : body
    const sink = createWriteStream(temporary, { flags: 'wx', highWaterMark: WRITE_BUFFER_BYTES })
    const onProgress = options.onProgress
    try {
      if (onProgress) {
        let written = 0
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            written += chunk.length
            onProgress(written)
            callback(null, chunk)
          },
        })
        await pipeline(source, counter, sink)
      } else {
        await pipeline(source, sink)
      }
      if (options.size !== undefined && sink.bytesWritten !== options.size) {
        throw invalidParameter(`The body had ${sink.bytesWritten} bytes, not the ${options.size} announced`)
      }
      await rename(temporary, full)
    } catch (error) {
      await unlink(temporary).catch(() => undefined)
      if (errorCode(error) === 'EISDIR' || errorCode(error) === 'ENOTEMPTY') throw isDirectory(normalized)
      if (errorCode(error) === 'ENOTDIR') throw invalidParameter(`A parent of '${normalized}' is a file`)
      throw error
    }
    return { size: sink.bytesWritten }
  }

  async delete(relative: string): Promise<void> {
    const { full } = await this.#resolve(relative)
    // rm removes a link itself, never what it points to.
    await rm(full, { recursive: true, force: true })
  }

  async #resolve(relative: string): Promise<{ full: string; normalized: string }> {
    const normalized = normalizeOptionalArtifactPath(relative)
    const full = normalized === '' ? this.#root : path.join(this.#root, ...normalized.split('/'))
    if (!isWithin(this.#boundary, full) || !(await this.#isInside(full))) throw invalidArtifactPath()
    return { full, normalized }
  }

  /** Whether the real location of `full` (or of its deepest existing ancestor) is inside the boundary. */
  async #isInside(full: string): Promise<boolean> {
    const boundary = await this.#realBoundaryPath()
    let current = full
    for (;;) {
      try {
        await lstat(current)
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error
        const parent = path.dirname(current)
        if (parent === current) return true
        current = parent
        continue
      }
      let real: string
      try {
        real = await realpath(current)
      } catch (error) {
        // A dangling link: judge by where it points.
        if (errorCode(error) !== 'ENOENT') throw error
        return false
      }
      return isWithin(boundary, real) || !isWithin(this.#boundary, current)
    }
  }

  async #realBoundaryPath(): Promise<string> {
    if (this.#realBoundary !== undefined) return this.#realBoundary
    try {
      this.#realBoundary = await realpath(this.#boundary)
      return this.#realBoundary
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error
      return this.#boundary
    }
  }
}

function isWithin(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

function notFound(relative: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', `Artifact '${relative}' does not exist`)
}

function isDirectory(relative: string): MlflowError {
  return invalidParameter(`Artifact path refers to a directory, not a file: '${relative}'`)
}
