import { Readable } from 'node:stream'
import { type ArtifactRepository, artifactDownloadHeaders, normalizeArtifactPath } from '@cairn/artifacts'
import { invalidParameter, MlflowError } from '@cairn/core'
import type { Context } from 'hono'
import type { Services } from '../services/create-services.js'

/**
 * `GET /model-versions/get-artifact?name=&version=&path=`: the UI's download of one file of a model
 * version, read from the version's download URI (through the artifact proxy's repositories), as an attachment.
 */
export function getModelVersionArtifactHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const name = c.req.query('name')
    if (!name) throw invalidParameter("Missing value for required parameter 'name'.")
    const version = c.req.query('version')
    if (!version) throw invalidParameter("Missing value for required parameter 'version'.")
    const requested = c.req.query('path')
    if (requested === undefined) throw invalidParameter("Missing value for required parameter 'path'.")
    const uri = await services.registry.getModelVersionDownloadUri(name, version)
    return sendRepositoryFile(await services.artifacts.openRepository(uri), requested)
  }
}

/** One file of a repository as an attachment (the whole file; `path` is checked for traversal). */
export async function sendRepositoryFile(
  repository: ArtifactRepository,
  requested: string,
): Promise<Response> {
  const path = normalizeArtifactPath(requested)
  if (path === '') throw invalidParameter('Artifact path refers to a directory, not a file: the root')
  const stat = await repository.stat(path)
  if (!stat) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Artifact '${path}' does not exist`)
  if (stat.isDir) throw invalidParameter(`Artifact path refers to a directory, not a file: '${path}'`)
  const headers: Record<string, string> = {
    ...artifactDownloadHeaders(path),
    'Content-Length': String(stat.size),
    'Cache-Control': 'no-cache',
  }
  if (stat.size === 0) return new Response(null, { status: 200, headers })
  const body = Readable.toWeb(await repository.read(path)) as ReadableStream<Uint8Array>
  return new Response(body, { status: 200, headers })
}
