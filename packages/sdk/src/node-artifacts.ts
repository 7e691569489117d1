import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as NodeWebStream } from 'node:stream/web'
import { MlflowError } from '@cairn/core'
import type { ArtifactProgressCallback, RunArtifacts } from './artifacts.js'
import { checkArtifactPath, joinArtifactPaths } from './artifacts.js'
import type { CairnClient } from './cairn-client.js'
import { runLimited, walkFiles } from './node-files.js'

/** Options shared by the file and folder transfers. */
export interface ArtifactTransferOptions {
  /** Files moved at once (default 4). */
  concurrency?: number
  onProgress?: ArtifactProgressCallback
}

const DEFAULT_CONCURRENCY = 4

function counting(onBytes: (bytes: number) => void): Transform {
  let bytes = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      onBytes(bytes)
      callback(null, chunk)
    },
  })
}

/**
 * Uploads a local file as a run artifact, streamed (constant memory whatever its size), to
 * `<artifactPath>/<file name>` (MLflow's `log_artifact`).
 *
 * @example
 * await logArtifact(client, runId, './model.onnx', { artifactPath: 'model' })
 */
export async function logArtifact(
  client: CairnClient,
  runId: string,
  localFile: string,
  options: { artifactPath?: string; onProgress?: ArtifactProgressCallback } = {},
): Promise<void> {
  await uploadArtifactFile(client.artifacts, runId, localFile, options)
}

/**
 * {@link logArtifact} through any {@link RunArtifacts}: `runId` is whatever names the root for it (a run id, or a
 * storage location for one that answers locations as they are).
 */
async function uploadArtifactFile(
  artifacts: RunArtifacts,
  runId: string,
  localFile: string,
  options: { artifactPath?: string; onProgress?: ArtifactProgressCallback },
): Promise<void> {
  const info = await stat(localFile)
  if (!info.isFile()) throw new MlflowError('INVALID_PARAMETER_VALUE', `'${localFile}' is not a file`)
  const target = joinArtifactPaths(options.artifactPath, path.basename(localFile))
  const onProgress = options.onProgress
  const source = createReadStream(localFile, { highWaterMark: 1024 * 1024 })
  const counted = onProgress
    ? source.pipe(counting((bytes) => onProgress({ path: target, bytes, totalBytes: info.size })))
    : source
  source.on('error', (error) => counted.destroy(error))
  await artifacts.uploadArtifact(runId, target, Readable.toWeb(counted) as ReadableStream<Uint8Array>, {
    size: info.size,
  })
  onProgress?.({ path: target, bytes: info.size, totalBytes: info.size })
}

/**
 * Uploads every file below a local folder, keeping its layout, under `artifactPath` (MLflow's
 * `log_artifacts`), at most `concurrency` files at once.
 */
export async function logArtifacts(
  client: CairnClient,
  runId: string,
  localDirectory: string,
  options: ArtifactTransferOptions & { artifactPath?: string } = {},
): Promise<void> {
  await uploadArtifactFolder(client.artifacts, runId, localDirectory, options)
}

/**
 * {@link logArtifacts} through any {@link RunArtifacts}: `runId` is whatever names the root for it (a run id, or a
 * storage location for one that answers locations as they are, as the logged-model uploads use).
 */
export async function uploadArtifactFolder(
  artifacts: RunArtifacts,
  runId: string,
  localDirectory: string,
  options: ArtifactTransferOptions & { artifactPath?: string } = {},
): Promise<void> {
  const files = await walkFiles(localDirectory)
  let filesDone = 0
  await runLimited(files, options.concurrency ?? DEFAULT_CONCURRENCY, async (relative) => {
    const directory = path.posix.dirname(relative)
    await uploadArtifactFile(artifacts, runId, path.join(localDirectory, ...relative.split('/')), {
      artifactPath: joinArtifactPaths(options.artifactPath, directory === '.' ? undefined : directory),
      onProgress: options.onProgress
        ? (progress) => options.onProgress?.({ ...progress, filesDone, filesTotal: files.length })
        : undefined,
    })
    filesDone++
    options.onProgress?.({ path: relative, bytes: 0, filesDone, filesTotal: files.length })
  })
}

/**
 * Where the artifact `artifactPath` goes below `destination` (an absolute folder), its parent folder created.
 * Refuses a path that would leave `destination` or name it itself.
 */
export async function prepareDownloadTarget(destination: string, artifactPath: string): Promise<string> {
  const local = path.resolve(destination, ...checkArtifactPath(artifactPath).split('/'))
  if (!local.startsWith(`${destination}${path.sep}`)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Artifact path '${artifactPath}' leaves the destination`)
  }
  await mkdir(path.dirname(local), { recursive: true })
  return local
}

/**
 * Streams a download's body to `local` through a temporary file beside it, renamed into place once complete (so the
 * file appears only whole) and removed when anything fails. `onBytes` sees the bytes written so far.
 */
export async function writeResponseAtomically(
  response: Response,
  local: string,
  onBytes?: (bytes: number) => void,
): Promise<void> {
  const temporary = `${local}.cairn-download-${process.pid}-${Math.random().toString(36).slice(2)}`
  try {
    const body = response.body
      ? Readable.fromWeb(response.body as unknown as NodeWebStream<Uint8Array>)
      : Readable.from([])
    const stages = onBytes
      ? [body, counting(onBytes), createWriteStream(temporary)]
      : [body, createWriteStream(temporary)]
    await pipeline(stages as [Readable, ...NodeJS.WritableStream[]])
    await rename(temporary, local)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

async function listRecursively(
  client: CairnClient,
  runId: string,
  directory: string,
): Promise<Array<{ path: string; size?: number }>> {
  const files: Array<{ path: string; size?: number }> = []
  for (const entry of await client.artifacts.listArtifacts(runId, directory)) {
    if (entry.isDir) files.push(...(await listRecursively(client, runId, entry.path)))
    else files.push({ path: entry.path, size: entry.fileSize })
  }
  return files
}

/**
 * Downloads one artifact file or a whole artifact folder (MLflow's `download_artifacts`) into
 * `destination` (default: the working directory) at its run-relative path, at most
 * `concurrency` files at once. Every path the server names is checked to stay inside
 * `destination`; files appear only once complete. Answers the local path of `artifactPath`.
 */
export async function downloadArtifacts(
  client: CairnClient,
  runId: string,
  options: ArtifactTransferOptions & { artifactPath?: string; destination?: string } = {},
): Promise<string> {
  const requested = checkArtifactPath(options.artifactPath ?? '')
  const destination = path.resolve(options.destination ?? '.')
  const parent = requested.includes('/') ? requested.slice(0, requested.lastIndexOf('/')) : ''
  let files: Array<{ path: string; size?: number }>
  if (requested === '') {
    files = await listRecursively(client, runId, '')
  } else {
    const siblings = await client.artifacts.listArtifacts(runId, parent === '' ? undefined : parent)
    const self = siblings.find((entry) => entry.path === requested)
    if (!self)
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run '${runId}' has no artifact '${requested}'`)
    files = self.isDir
      ? await listRecursively(client, runId, requested)
      : [{ path: requested, size: self.fileSize }]
  }
  let filesDone = 0
  await runLimited(files, options.concurrency ?? DEFAULT_CONCURRENCY, async (file) => {
    const relative = checkArtifactPath(file.path)
    const local = await prepareDownloadTarget(destination, file.path)
    const response = await client.artifacts.downloadArtifact(runId, relative)
    const onProgress = options.onProgress
    await writeResponseAtomically(
      response,
      local,
      onProgress &&
        ((bytes) =>
          onProgress({ path: relative, bytes, totalBytes: file.size, filesDone, filesTotal: files.length })),
    )
    filesDone++
    options.onProgress?.({
      path: relative,
      bytes: file.size ?? 0,
      totalBytes: file.size,
      filesDone,
      filesTotal: files.length,
    })
  })
  return requested === '' ? destination : path.join(destination, ...requested.split('/'))
}
