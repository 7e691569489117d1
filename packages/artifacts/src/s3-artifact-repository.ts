import { Readable, Transform } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { invalidParameter, MlflowError } from '@cairn/core'
import type {
  ArtifactFileInfo,
  ArtifactPage,
  ArtifactRepository,
  ArtifactStat,
  ByteRange,
  ListArtifactsOptions,
  MultipartUploads,
  UploadedPart,
  WriteArtifactOptions,
} from './artifact-repository.js'
import { decodePageToken, encodePageToken } from './artifact-repository.js'
import { normalizeOptionalArtifactPath } from './path-safety.js'
import { parseS3Uri } from './s3-uri.js'

/** Settings of the S3 client; each falls back to the environment, then to the AWS defaults. */
export interface S3Options {
  /** Endpoint of an S3-compatible store (default `MLFLOW_S3_ENDPOINT_URL`, else AWS). */
  endpoint?: string
  /** Address buckets as `endpoint/bucket` (default true with a custom endpoint, as MinIO and s3rver need). */
  forcePathStyle?: boolean
  /** Default `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`. */
  region?: string
  /** Parts of an upload of unknown length (default 5 MiB); at most `queueSize` parts are buffered at once. */
  partSize?: number
  /** Parts uploaded in parallel when the length is unknown (default 2). */
  queueSize?: number
  /** Bodies of known length above this many bytes go up as multipart uploads (default 64 MiB). */
  multipartThreshold?: number
  /** Part size of those streamed multipart uploads (default 64 MiB, more for files above 625 GiB). */
  streamPartSize?: number
  /** A ready client (tests, shared connection pools); the other client settings are then ignored. */
  client?: S3Client
}

const DEFAULT_PART_SIZE = 5 * 1024 * 1024
const DEFAULT_QUEUE_SIZE = 2
const DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024
const DEFAULT_STREAM_PART_SIZE = 64 * 1024 * 1024
const MAX_PARTS = 10_000
const DELETE_BATCH = 1000

/** An S3 client from options and the environment, with the default AWS credential chain. */
export function createS3Client(options: S3Options = {}): S3Client {
  if (options.client) return options.client
  const endpoint = options.endpoint ?? nonEmpty(process.env.MLFLOW_S3_ENDPOINT_URL)
  const pathStyleEnv = nonEmpty(process.env.CAIRN_S3_FORCE_PATH_STYLE)
  return new S3Client({
    endpoint,
    forcePathStyle:
      options.forcePathStyle ?? (pathStyleEnv ? pathStyleEnv === 'true' : endpoint !== undefined),
    region:
      options.region ??
      nonEmpty(process.env.AWS_REGION) ??
      nonEmpty(process.env.AWS_DEFAULT_REGION) ??
      'us-east-1',
    // Checksums on every request would need the whole body up front; the store verifies Content-MD5-less PUTs anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function isNotFound(error: unknown): boolean {
  const details = error as { name?: string; $metadata?: { httpStatusCode?: number } }
  return (
    details?.name === 'NoSuchKey' ||
    details?.name === 'NotFound' ||
    details?.$metadata?.httpStatusCode === 404
  )
}

/**
 * Artifacts under an S3 prefix (AWS or any S3-compatible store). Uploads stream through
 * `@aws-sdk/lib-storage`, which switches to multipart above one part and buffers at most
 * `partSize × queueSize` bytes, so memory stays flat whatever the file size.
 */
export class S3ArtifactRepository implements ArtifactRepository {
  readonly rootUri: string
  readonly multipart: MultipartUploads
  readonly #client: S3Client
  readonly #bucket: string
  readonly #prefix: string
  readonly #options: S3Options

  constructor(uri: string, options: S3Options = {}) {
    const { bucket, prefix } = parseS3Uri(uri)
    this.#bucket = bucket
    this.#prefix = prefix
    this.#options = options
    this.#client = createS3Client(options)
    this.rootUri = prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`
    this.multipart = {
      createMultipartUpload: (path) => this.#createMultipartUpload(path),
      uploadPart: (path, part) => this.#uploadPart(path, part),
      completeMultipartUpload: (path, upload) => this.#completeMultipartUpload(path, upload),
      abortMultipartUpload: (path, uploadId) => this.#abortMultipartUpload(path, uploadId),
    }
  }

  child(relative: string): ArtifactRepository {
    const normalized = normalizeOptionalArtifactPath(relative)
    if (normalized === '') return this
    return new S3ArtifactRepository(`${this.rootUri}/${normalized}`, {
      ...this.#options,
      client: this.#client,
    })
  }

  async list(relative: string, options: ListArtifactsOptions = {}): Promise<ArtifactPage> {
    const normalized = normalizeOptionalArtifactPath(relative)
    const directoryKey = this.#key(normalized)
    const prefix = directoryKey === '' ? '' : `${directoryKey}/`
    const after = decodePageToken(options.pageToken)
    const limit = options.maxResults ?? Number.POSITIVE_INFINITY
    const files: ArtifactFileInfo[] = []
    // ListObjects (v1) with a marker: every S3-compatible store pages it (s3rver fails truncated v2 listings).
    let marker = after === undefined ? undefined : `${prefix}${after}`
    let more = false
    for (;;) {
      const response = await this.#client.send(
        new ListObjectsCommand({
          Bucket: this.#bucket,
          Prefix: prefix,
          Delimiter: '/',
          Marker: marker,
          MaxKeys: Number.isFinite(limit) ? Math.min(1000, limit - files.length + 1) : 1000,
        }),
      )
      const entries: Array<{ name: string; info: ArtifactFileInfo }> = []
      for (const common of response.CommonPrefixes ?? []) {
        const name = (common.Prefix ?? '').slice(prefix.length).replace(/\/$/, '')
        if (name === '' || (after !== undefined && name <= after)) continue
        entries.push({ name, info: { path: join(normalized, name), isDir: true } })
      }
      let lastKey: string | undefined
      for (const object of response.Contents ?? []) {
        lastKey = object.Key
        const name = (object.Key ?? '').slice(prefix.length)
        if (name === '' || (after !== undefined && name <= after)) continue
        entries.push({
          name,
          info: { path: join(normalized, name), isDir: false, fileSize: object.Size ?? 0 },
        })
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const entry of entries) {
        if (files.length >= limit) {
          more = true
          break
        }
        files.push(entry.info)
      }
      if (more || !response.IsTruncated) break
      const lastPrefix = response.CommonPrefixes?.at(-1)?.Prefix
      const nextMarker =
        response.NextMarker ??
        ([lastKey, lastPrefix]
          .filter((key) => key !== undefined)
          .sort()
          .at(-1) as string | undefined)
      if (nextMarker === undefined) break
      if (files.length >= limit) {
        more = true
        break
      }
      marker = nextMarker
    }
    const last = files.at(-1)
    return more && last
      ? { files, nextPageToken: encodePageToken(last.path.slice(last.path.lastIndexOf('/') + 1)) }
      : { files }
  }

  async stat(relative: string): Promise<ArtifactStat | undefined> {
    const normalized = normalizeOptionalArtifactPath(relative)
    if (normalized !== '') {
      try {
        const head = await this.#client.send(
          new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key(normalized) }),
        )
        return {
          path: normalized,
          isDir: false,
          size: head.ContentLength ?? 0,
          lastModified: head.LastModified,
        }
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    }
    const prefix = this.#key(normalized)
    const listing = await this.#client.send(
      new ListObjectsCommand({ Bucket: this.#bucket, Prefix: prefix === '' ? '' : `${prefix}/`, MaxKeys: 1 }),
    )
    return (listing.Contents?.length ?? 0) > 0 ? { path: normalized, isDir: true, size: 0 } : undefined
  }

  async read(relative: string, range?: ByteRange): Promise<Readable> {
    const normalized = normalizeOptionalArtifactPath(relative)
    if (normalized === '') throw invalidParameter('An artifact path must name a file')
    try {
      const response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key(normalized),
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      )
      return response.Body as Readable
    } catch (error) {
      if (isNotFound(error)) {
        if ((await this.stat(normalized))?.isDir)
          throw invalidParameter(`Artifact path refers to a directory, not a file: '${normalized}'`)
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Artifact '${normalized}' does not exist`)
      }
      throw error
    }
  }

  async write(
    relative: string,
    body: Readable | Uint8Array,
    options: WriteArtifactOptions = {},
  ): Promise<{ size: number }> {
    const normalized = normalizeOptionalArtifactPath(relative)
    if (normalized === '') throw invalidParameter('An artifact path must name a file')
    const key = this.#key(normalized)
    if (body instanceof Uint8Array) {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: body.byteLength }),
      )
      options.onProgress?.(body.byteLength)
      return { size: body.byteLength }
    }
    let size = 0
    const announced = options.size
    // Counts for progress and ends the stream with an error when the body is shorter or longer than
    // announced, so a truncated upload fails instead of waiting for bytes that never come.
    const counted = new Transform({
      highWaterMark: 256 * 1024,
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length
        if (announced !== undefined && size > announced) {
          callback(invalidParameter(`The body is longer than the ${announced} bytes announced`))
          return
        }
        options.onProgress?.(size)
        callback(null, chunk)
      },
      flush(callback) {
        callback(
          announced !== undefined && size !== announced
            ? invalidParameter(`The body had ${size} bytes, not the ${announced} announced`)
            : null,
        )
      },
    })
    body.on('error', (error) => counted.destroy(error))
    body.pipe(counted)
    // A failing body (a client gone mid-upload, a wrong length) must end the S3 request too.
    const controller = new AbortController()
    const failed = new Promise<never>((_, reject) =>
      counted.once('error', (error) => {
        controller.abort()
        reject(error)
      }),
    )
    failed.catch(() => undefined)
    if (options.size !== undefined) {
      await Promise.race([this.#writeKnownLength(key, counted, options.size, controller.signal), failed])
    } else {
      // Unknown length: lib-storage cuts the stream into parts, holding at most partSize × queueSize bytes.
      const upload = new Upload({
        client: this.#client,
        params: { Bucket: this.#bucket, Key: key, Body: counted },
        partSize: this.#options.partSize ?? DEFAULT_PART_SIZE,
        queueSize: this.#options.queueSize ?? DEFAULT_QUEUE_SIZE,
        leavePartsOnError: false,
      })
      await Promise.race([upload.done(), failed])
    }
    return { size }
  }

  /**
   * A body of known length streams straight through: one PutObject up to the multipart threshold,
   * above it a multipart upload whose parts are consecutive slices of the stream, sent one after
   * the other, so nothing is buffered whatever the size.
   */
  async #writeKnownLength(
    key: string,
    body: Readable,
    size: number,
    abortSignal: AbortSignal,
  ): Promise<void> {
    const threshold = this.#options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD
    if (size <= threshold) {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: size }),
        { abortSignal },
      )
      return
    }
    const partSize = Math.max(
      this.#options.streamPartSize ?? DEFAULT_STREAM_PART_SIZE,
      Math.ceil(size / MAX_PARTS),
    )
    const created = await this.#client.send(
      new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key }),
    )
    const uploadId = created.UploadId
    if (!uploadId) throw new MlflowError('INTERNAL_ERROR', 'The object store returned no upload id')
    const slices = sliceStream(body)
    const parts: Array<{ PartNumber: number; ETag: string }> = []
    try {
      for (let offset = 0, partNumber = 1; offset < size; offset += partSize, partNumber++) {
        const length = Math.min(partSize, size - offset)
        const response = await this.#client.send(
          new UploadPartCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: slices.next(length),
            ContentLength: length,
          }),
          { abortSignal },
        )
        parts.push({ PartNumber: partNumber, ETag: response.ETag ?? '' })
      }
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      )
    } catch (error) {
      await this.#client
        .send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined)
      body.destroy()
      throw error
    }
  }

  async delete(relative: string): Promise<void> {
    const normalized = normalizeOptionalArtifactPath(relative)
    const key = this.#key(normalized)
    const keys: string[] = key === '' ? [] : [key]
    let marker: string | undefined
    for (;;) {
      const response = await this.#client.send(
        new ListObjectsCommand({ Bucket: this.#bucket, Prefix: key === '' ? '' : `${key}/`, Marker: marker }),
      )
      for (const object of response.Contents ?? []) if (object.Key) keys.push(object.Key)
      marker = response.Contents?.at(-1)?.Key
      if (!response.IsTruncated || marker === undefined) break
    }
    for (let index = 0; index < keys.length; index += DELETE_BATCH) {
      await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: keys.slice(index, index + DELETE_BATCH).map((Key) => ({ Key })), Quiet: true },
        }),
      )
    }
  }

  async #createMultipartUpload(relative: string): Promise<{ uploadId: string }> {
    const response = await this.#client.send(
      new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#fileKey(relative) }),
    )
    if (!response.UploadId) throw new MlflowError('INTERNAL_ERROR', 'The object store returned no upload id')
    return { uploadId: response.UploadId }
  }

  async #uploadPart(
    relative: string,
    part: { uploadId: string; partNumber: number; body: Readable; size?: number },
  ): Promise<{ etag: string }> {
    const response = await this.#client.send(
      new UploadPartCommand({
        Bucket: this.#bucket,
        Key: this.#fileKey(relative),
        UploadId: part.uploadId,
        PartNumber: part.partNumber,
        Body: part.body,
        ContentLength: part.size,
      }),
    )
    return { etag: response.ETag ?? '' }
  }

  async #completeMultipartUpload(
    relative: string,
    upload: { uploadId: string; parts: UploadedPart[] },
  ): Promise<void> {
    await this.#client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: this.#fileKey(relative),
        UploadId: upload.uploadId,
        MultipartUpload: {
          Parts: [...upload.parts]
            .sort((a, b) => a.partNumber - b.partNumber)
            .map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })),
        },
      }),
    )
  }

  async #abortMultipartUpload(relative: string, uploadId: string): Promise<void> {
    await this.#client.send(
      new AbortMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: this.#fileKey(relative),
        UploadId: uploadId,
      }),
    )
  }

  #fileKey(relative: string): string {
    const normalized = normalizeOptionalArtifactPath(relative)
    if (normalized === '') throw invalidParameter('An artifact path must name a file')
    return this.#key(normalized)
  }

  #key(normalized: string): string {
    if (this.#prefix === '') return normalized
    return normalized === '' ? this.#prefix : `${this.#prefix}/${normalized}`
  }
}

function join(directory: string, name: string): string {
  return directory === '' ? name : `${directory}/${name}`
}

/** Hands out consecutive slices of a stream, each exactly `length` bytes, as streams of their own. */
function sliceStream(source: Readable): { next(length: number): Readable } {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  let leftover: Buffer | undefined
  return {
    next(length: number): Readable {
      let remaining = length
      return Readable.from(
        (async function* () {
          while (remaining > 0) {
            let chunk = leftover
            leftover = undefined
            if (!chunk) {
              const next = await iterator.next()
              if (next.done) throw invalidParameter('The request body ended before its announced length')
              chunk = next.value
            }
            if (chunk.length > remaining) {
              leftover = chunk.subarray(remaining)
              chunk = chunk.subarray(0, remaining)
            }
            remaining -= chunk.length
            yield chunk
          }
        })(),
        { objectMode: false },
      )
    },
  }
}
