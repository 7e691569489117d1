import { posix } from 'node:path'
import type { ArtifactFileInfo, ArtifactRepository } from '@cairn/artifacts'
import {
  artifactDownloadHeaders,
  invalidArtifactPath,
  joinArtifactPath,
  normalizeArtifactPath,
} from '@cairn/artifacts'
import type { EmptyResponse, FileInfoJson, ListArtifactsRequest, ListArtifactsResponse } from '@cairn/core'
import { invalidParameter, MlflowError } from '@cairn/core'
import type { Context } from 'hono'
import { rawRequestPath, requestBodyStream, sendStream } from '../http/artifact-streams.js'
import type { HandlerContext } from '../routes/route-definition.js'
import type { OpenedArtifact } from '../services/artifact-service.js'
import { parseRangeHeader } from '../services/artifact-service.js'
import type { Services } from '../services/create-services.js'

/** The UI's `upload-artifact` takes at most 10 MB, as MLflow's. */
const MAX_UI_UPLOAD_BYTES = 10 * 1024 * 1024

function toFileInfoJson(file: ArtifactFileInfo, path = file.path): FileInfoJson {
  return file.isDir ? { path, is_dir: true } : { path, is_dir: false, file_size: file.fileSize ?? 0 }
}

function json(body: object, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

/** The artifact path after `prefix` in the raw request path, normalised; `''` for the root. */
export function artifactPathAfter(c: Context, prefix: string): string {
  const path = rawRequestPath(c)
  const at = path.indexOf(prefix)
  if (at < 0) return ''
  const rest = path.slice(at + prefix.length).replace(/^\/+/, '')
  return rest === '' ? '' : normalizeArtifactPath(rest)
}

function queryParam(c: Context, name: string): string | undefined {
  return new URL(c.req.url).searchParams.get(name) ?? undefined
}

/** Downloads a file with MLflow's attachment headers, honouring a single `Range`. */
async function sendArtifact(c: Context, opened: OpenedArtifact): Promise<Response> {
  const size = opened.stat.size
  const headers: Record<string, string> = {
    ...artifactDownloadHeaders(opened.path),
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-cache',
  }
  if (opened.stat.lastModified) headers['Last-Modified'] = opened.stat.lastModified.toUTCString()
  const range = parseRangeHeader(c.req.header('range'), size)
  if (range === 'unsatisfiable') {
    return sendStream(c, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } })
  }
  const isHead = c.req.method === 'HEAD'
  if (range) {
    const end = range.end ?? size - 1
    headers['Content-Range'] = `bytes ${range.start}-${end}/${size}`
    headers['Content-Length'] = String(end - range.start + 1)
    const body = isHead ? undefined : await opened.repository.read(opened.path, range)
    return sendStream(c, { status: 206, headers, body })
  }
  headers['Content-Length'] = String(size)
  const body = isHead || size === 0 ? undefined : await opened.repository.read(opened.path)
  return sendStream(c, { status: 200, headers, body })
}

// ---- the artifact proxy (/api/2.0/mlflow-artifacts) ----

export function proxyHandlers(services: Services, prefix: string) {
  const artifactsPrefix = `${prefix}/mlflow-artifacts/artifacts`
  return {
    async download(c: Context): Promise<Response> {
      const path = artifactPathAfter(c, artifactsPrefix)
      return sendArtifact(c, await services.artifacts.openProxiedArtifact(path))
    },

    async upload(c: Context): Promise<Response> {
      const path = artifactPathAfter(c, artifactsPrefix)
      if (path === '') throw invalidParameter('An artifact path must name a file')
      const destination = await services.artifacts.destination()
      const length = Number(c.req.header('content-length'))
      await destination.write(path, requestBodyStream(c), {
        size: Number.isFinite(length) && length >= 0 ? length : undefined,
      })
      return json({} satisfies EmptyResponse)
    },

    async remove(c: Context): Promise<Response> {
      const path = artifactPathAfter(c, artifactsPrefix)
      if (path === '') throw invalidParameter('Refusing to delete the whole artifact destination')
      await (await services.artifacts.destination()).delete(path)
      return json({})
    },

    async list(c: Context): Promise<Response> {
      const requested = queryParam(c, 'path')
      const path = requested === undefined || requested === '' ? '' : normalizeArtifactPath(requested)
      const page = await (await services.artifacts.destination()).list(path)
      const files = page.files.map((file) => toFileInfoJson(file, posix.basename(file.path)))
      return json(files.length > 0 ? { files } : {})
    },
  }
}

// ---- multipart uploads (/api/2.0/mlflow-artifacts/mpu/...) ----

interface MultipartBody {
  path?: unknown
  num_parts?: unknown
  upload_id?: unknown
  parts?: unknown
}

/** Multipart calls carry a few KB of JSON (one ETag per part). */
const MAX_MULTIPART_BODY_BYTES = 4 * 1024 * 1024

/** Reads a body of at most `limit` bytes; a chunked body is cut off as soon as it passes the limit. */
async function readBodyUpTo(c: Context, limit: number, message: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  const body = requestBodyStream(c)
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > limit) {
      body.destroy()
      throw invalidParameter(message)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

async function readJsonBody(c: Context): Promise<MultipartBody> {
  const text = (
    await readBodyUpTo(
      c,
      MAX_MULTIPART_BODY_BYTES,
      `Request body exceeds the limit of ${MAX_MULTIPART_BODY_BYTES} bytes for this endpoint.`,
    )
  ).toString('utf8')
  if (text.trim() === '') return {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object') return parsed as MultipartBody
  } catch {}
  throw invalidParameter('The request body must be a JSON object')
}

function requiredString(body: MultipartBody, name: keyof MultipartBody): string {
  const value = body[name]
  if (typeof value !== 'string' || value === '')
    throw invalidParameter(`Missing value for required parameter '${name}'.`)
  return value
}

async function multipartRepository(
  services: Services,
): Promise<NonNullable<ArtifactRepository['multipart']>> {
  const multipart = (await services.artifacts.destination()).multipart
  if (!multipart) {
    throw new MlflowError(
      'NOT_IMPLEMENTED',
      'Multipart upload is not supported for the current artifact repository',
    )
  }
  return multipart
}

/** The file a multipart call targets: the URL's directory plus the base name of the client's local file. */
function multipartTarget(c: Context, prefix: string, body: MultipartBody): string {
  const directory = artifactPathAfter(c, prefix)
  const localFile = requiredString(body, 'path')
  const name = localFile.split(/[\\/]/).pop() ?? ''
  if (name === '') throw invalidArtifactPath()
  return joinArtifactPath(directory, name)
}

export function multipartHandlers(services: Services, prefix: string) {
  const mpu = `${prefix}/mlflow-artifacts/mpu`
  return {
    async create(c: Context): Promise<Response> {
      await services.artifacts.destination()
      artifactPathAfter(c, `${mpu}/create`)
      const body = await readJsonBody(c)
      const multipart = await multipartRepository(services)
      const target = multipartTarget(c, `${mpu}/create`, body)
      const numParts = Number(body.num_parts ?? 1)
      if (!Number.isInteger(numParts) || numParts < 1 || numParts > 10_000) {
        throw invalidParameter(
          `Invalid value ${JSON.stringify(body.num_parts)} for parameter 'num_parts' supplied`,
        )
      }
      const { uploadId } = await multipart.createMultipartUpload(target)
      const origin = new URL(c.req.url).origin
      const partUrl = `${origin}${mpu}/upload-part/${target.split('/').map(encodeURIComponent).join('/')}`
      const credentials = Array.from({ length: numParts }, (_, index) => ({
        url: `${partUrl}?upload_id=${encodeURIComponent(uploadId)}&part_number=${index + 1}`,
        part_number: index + 1,
        headers: {},
      }))
      return json({ upload_id: uploadId, credentials })
    },

    /** Where the part URLs of `create` point: streams one part to the object store (Cairn's own route). */
    async uploadPart(c: Context): Promise<Response> {
      const target = artifactPathAfter(c, `${mpu}/upload-part`)
      const multipart = await multipartRepository(services)
      const uploadId = queryParam(c, 'upload_id')
      const partNumber = Number(queryParam(c, 'part_number'))
      if (!uploadId) throw invalidParameter("Missing value for required parameter 'upload_id'.")
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
        throw invalidParameter("Invalid value for parameter 'part_number' supplied")
      }
      const length = Number(c.req.header('content-length'))
      const { etag } = await multipart.uploadPart(target, {
        uploadId,
        partNumber,
        body: requestBodyStream(c),
        size: Number.isFinite(length) ? length : undefined,
      })
      return new Response(null, { status: 200, headers: { ETag: etag } })
    },

    async complete(c: Context): Promise<Response> {
      await services.artifacts.destination()
      artifactPathAfter(c, `${mpu}/complete`)
      const body = await readJsonBody(c)
      const multipart = await multipartRepository(services)
      const target = multipartTarget(c, `${mpu}/complete`, body)
      const uploadId = requiredString(body, 'upload_id')
      if (!Array.isArray(body.parts)) throw invalidParameter("Missing value for required parameter 'parts'.")
      const parts = body.parts.map((part: unknown) => {
        const { part_number: partNumber, etag } = (part ?? {}) as { part_number?: unknown; etag?: unknown }
        if (typeof partNumber !== 'number' || typeof etag !== 'string') {
          throw invalidParameter("Invalid value for parameter 'parts' supplied")
        }
        return { partNumber, etag }
      })
      await multipart.completeMultipartUpload(target, { uploadId, parts })
      return json({})
    },

    async abort(c: Context): Promise<Response> {
      await services.artifacts.destination()
      artifactPathAfter(c, `${mpu}/abort`)
      const body = await readJsonBody(c)
      const multipart = await multipartRepository(services)
      const target = multipartTarget(c, `${mpu}/abort`, body)
      await multipart.abortMultipartUpload(target, requiredString(body, 'upload_id'))
      return json({})
    },
  }
}

// ---- run artifacts ----

/** `GET artifacts/list`: a run's artifacts with run-relative paths. */
export async function listArtifacts(
  request: ListArtifactsRequest,
  { services }: HandlerContext,
): Promise<ListArtifactsResponse> {
  const listing = await services.artifacts.listRunArtifacts({
    runId: request.run_id,
    path: request.path,
    pageToken: request.page_token,
    maxResults: request.max_results,
  })
  const response: ListArtifactsResponse = { root_uri: listing.rootUri }
  if (listing.files.length > 0) response.files = listing.files.map((file) => toFileInfoJson(file))
  if (listing.nextPageToken) response.next_page_token = listing.nextPageToken
  return response
}

/** `GET /get-artifact?run_id=&path=`: the UI's download of one run artifact, always as an attachment. */
export function getArtifactHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const runId = queryParam(c, 'run_id') || queryParam(c, 'run_uuid')
    if (!runId) throw invalidParameter("Missing value for required parameter 'run_id'.")
    const path = queryParam(c, 'path')
    if (path === undefined) throw invalidParameter("Missing value for required parameter 'path'.")
    return sendArtifact(c, await services.artifacts.openRunArtifact(runId, normalizeArtifactPath(path)))
  }
}

/** `POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=`: the UI's small uploads (≤ 10 MB). */
export function uploadArtifactHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const runId = queryParam(c, 'run_uuid')
    if (!runId) throw invalidParameter('Request must specify run_uuid.')
    const requested = queryParam(c, 'path')
    if (!requested) throw invalidParameter('Request must specify path.')
    const path = normalizeArtifactPath(requested)
    const declared = Number(c.req.header('content-length'))
    if (Number.isFinite(declared) && declared > MAX_UI_UPLOAD_BYTES) {
      throw invalidParameter('Artifact size is too large. Max size is 10MB.')
    }
    const data = await readBodyUpTo(c, MAX_UI_UPLOAD_BYTES, 'Artifact size is too large. Max size is 10MB.')
    if (data.byteLength === 0) throw invalidParameter('Request must specify data.')
    const { repository } = await services.artifacts.runRepository(runId)
    await repository.write(path, data)
    return new Response(null, { status: 200 })
  }
}
