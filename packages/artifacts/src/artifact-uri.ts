import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { invalidParameter } from '@cairn/core'
import type { ArtifactRepository } from './artifact-repository.js'
import { LocalArtifactRepository } from './local-artifact-repository.js'
import { normalizeOptionalArtifactPath } from './path-safety.js'
import type { S3Options } from './s3-artifact-repository.js'
import { parseS3Uri } from './s3-uri.js'

/** Where an artifact URI points, once resolved. */
export type ArtifactLocation =
  | { kind: 'local'; directory: string }
  | { kind: 's3'; uri: string }
  /** Relative to the server's `--artifacts-destination`. */
  | { kind: 'proxied'; path: string }
  | { kind: 'run'; runId: string; path: string }

const PROXY_MARKER = '/api/2.0/mlflow-artifacts/artifacts'

/**
 * Classifies an artifact URI: `mlflow-artifacts:/p` (also `mlflow-artifacts://host/p` and an
 * `http(s)://…/api/2.0/mlflow-artifacts/artifacts/p` root, which the server serves itself),
 * `file:` URIs and plain absolute paths, `s3://bucket/prefix`, and `runs:/<run id>/path`. Any other
 * scheme is refused, so a stored URI can never make the server fetch an arbitrary URL.
 */
export function parseArtifactUri(uri: string): ArtifactLocation {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    if (!path.isAbsolute(uri)) throw invalidParameter(`Artifact URI '${uri}' is not absolute`)
    return { kind: 'local', directory: path.resolve(uri) }
  }
  switch (scheme) {
    case 'file':
      return { kind: 'local', directory: fileURLToPath(uri.replace(/^file:(?!\/\/)/i, 'file://')) }
    case 's3':
    case 's3a':
      parseS3Uri(uri)
      return { kind: 's3', uri }
    case 'mlflow-artifacts': {
      const rest = uri.slice('mlflow-artifacts:'.length).replace(/^\/\/[^/]*/, '')
      return { kind: 'proxied', path: normalizeOptionalArtifactPath(stripQuery(rest).replace(/^\/+/, '')) }
    }
    case 'http':
    case 'https': {
      const url = new URL(uri)
      const at = url.pathname.indexOf(PROXY_MARKER)
      if (at < 0) throw invalidParameter(`Artifact URI '${uri}' is not served by this server`)
      const rest = url.pathname.slice(at + PROXY_MARKER.length).replace(/^\/+/, '')
      return { kind: 'proxied', path: normalizeOptionalArtifactPath(rest) }
    }
    case 'runs': {
      const match = /^runs:\/\/?([^/]+)(?:\/(.*))?$/.exec(uri)
      if (!match?.[1]) throw invalidParameter(`Invalid runs:/ URI '${uri}'; expected runs:/<run_id>/<path>`)
      return { kind: 'run', runId: match[1], path: normalizeOptionalArtifactPath(match[2]) }
    }
    default:
      throw invalidParameter(`Artifact URI scheme '${scheme}:' is not supported: '${uri}'`)
  }
}

function stripQuery(text: string): string {
  const end = text.search(/[?#]/)
  return end < 0 ? text : text.slice(0, end)
}

export interface OpenArtifactRepositoryOptions {
  /** The repository `mlflow-artifacts:` URIs resolve against (the server's `--artifacts-destination`). */
  proxiedDestination?: ArtifactRepository
  /** Looks up a run's `artifact_uri`, for `runs:/` URIs. */
  resolveRunArtifactUri?: (runId: string) => Promise<string>
  /** Settings of S3 clients. */
  s3?: S3Options
}

/**
 * Opens the repository an artifact URI points at.
 *
 * @example
 * const repository = await openArtifactRepository('s3://bucket/models/m-1/artifacts')
 * const stream = await repository.read('MLmodel')
 */
export async function openArtifactRepository(
  uri: string,
  options: OpenArtifactRepositoryOptions = {},
): Promise<ArtifactRepository> {
  const location = parseArtifactUri(uri)
  switch (location.kind) {
    case 'local':
      return new LocalArtifactRepository(location.directory)
    case 's3':
      return openS3Repository(location.uri, options.s3)
    case 'proxied':
      if (!options.proxiedDestination) {
        throw invalidParameter(`'${uri}' needs a server that serves artifacts (--serve-artifacts)`)
      }
      return options.proxiedDestination.child(location.path)
    case 'run': {
      if (!options.resolveRunArtifactUri) throw invalidParameter(`Cannot resolve '${uri}' here`)
      const runRoot = await options.resolveRunArtifactUri(location.runId)
      if (/^runs:/i.test(runRoot))
        throw invalidParameter(`Run artifact URI '${runRoot}' cannot be a runs:/ URI`)
      const repository = await openArtifactRepository(runRoot, options)
      return repository.child(location.path)
    }
  }
}

/**
 * Opens an S3 repository. The AWS SDK is loaded on first use only, so a server that never touches
 * S3 does not carry it in memory.
 */
export async function openS3Repository(uri: string, options?: S3Options): Promise<ArtifactRepository> {
  const { S3ArtifactRepository } = await import('./s3-artifact-repository.js')
  return new S3ArtifactRepository(uri, options)
}

/**
 * Opens the repository for a server's `--artifacts-destination` (a local path, `file:` URI or
 * `s3://` URI).
 */
export async function openDestinationRepository(
  destination: string,
  s3?: S3Options,
): Promise<ArtifactRepository> {
  const location = parseArtifactUri(
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(destination) ? destination : path.resolve(destination),
  )
  if (location.kind === 'local') return new LocalArtifactRepository(location.directory)
  if (location.kind === 's3') return openS3Repository(location.uri, s3)
  throw invalidParameter(`Artifacts destination must be a local path or an s3:// URI, got '${destination}'`)
}
