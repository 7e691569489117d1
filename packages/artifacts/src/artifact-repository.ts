import type { Readable } from 'node:stream'
import { invalidParameter } from '@cairn/core'

/** One entry of a listing. `path` is relative to the repository root; directories have no size. */
export interface ArtifactFileInfo {
  path: string
  isDir: boolean
  fileSize?: number
}

/** What `stat` knows about a file or directory. */
export interface ArtifactStat {
  path: string
  isDir: boolean
  /** Bytes (0 for directories). */
  size: number
  lastModified?: Date
}

export interface ListArtifactsOptions {
  /** Largest page (default: everything). */
  maxResults?: number
  /** `nextPageToken` of the previous page. */
  pageToken?: string
}

export interface ArtifactPage {
  /** Sorted by name; directories and files together. */
  files: ArtifactFileInfo[]
  /** Present when more entries follow. */
  nextPageToken?: string
}

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number
  /** Inclusive last byte; absent means to the end. */
  end?: number
}

export interface WriteArtifactOptions {
  /** Expected length in bytes, when the caller knows it (lets S3 skip multipart for small bodies). */
  size?: number
  /** Called with the bytes written so far. */
  onProgress?: (bytesWritten: number) => void
}

/** One part of a multipart upload, as the client reports it on completion. */
export interface UploadedPart {
  partNumber: number
  etag: string
}

/** Multipart uploads, offered by object stores (S3) only. */
export interface MultipartUploads {
  createMultipartUpload(path: string): Promise<{ uploadId: string }>
  uploadPart(
    path: string,
    part: { uploadId: string; partNumber: number; body: Readable; size?: number },
  ): Promise<{ etag: string }>
  completeMultipartUpload(path: string, upload: { uploadId: string; parts: UploadedPart[] }): Promise<void>
  abortMultipartUpload(path: string, uploadId: string): Promise<void>
}

/**
 * A place artifacts live: a local folder or an S3 prefix. Every `path` argument is relative to the
 * repository root and must already be normalised by `normalizeArtifactPath` (implementations check
 * again and refuse anything that could leave the root); `''` is the root.
 */
export interface ArtifactRepository {
  /** The URI of the root, e.g. `/data/artifacts` or `s3://bucket/prefix`. */
  readonly rootUri: string
  /** Present when the store supports multipart uploads. */
  readonly multipart?: MultipartUploads
  /** Immediate children of a directory; an absent directory lists as empty. */
  list(path: string, options?: ListArtifactsOptions): Promise<ArtifactPage>
  /** `undefined` when nothing exists at `path`. */
  stat(path: string): Promise<ArtifactStat | undefined>
  /** A stream of the file's bytes (or of `range`). RESOURCE_DOES_NOT_EXIST when there is no such file. */
  read(path: string, range?: ByteRange): Promise<Readable>
  /** Streams `body` to `path`, replacing any file there; nothing is visible until the write completes. */
  write(path: string, body: Readable | Uint8Array, options?: WriteArtifactOptions): Promise<{ size: number }>
  /** Removes a file or a directory tree; absent paths are not an error. */
  delete(path: string): Promise<void>
  /** A repository rooted at `path` below this one. */
  child(path: string): ArtifactRepository
}

/** Opaque page tokens: base64 of the last name returned. */
export function encodePageToken(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), 'utf8').toString('base64')
}

export function decodePageToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'))
    if (parsed && typeof parsed === 'object' && typeof (parsed as { after?: unknown }).after === 'string')
      return (parsed as { after: string }).after
  } catch {}
  throw invalidParameter(`Invalid page token '${token.slice(0, 100)}'`)
}
