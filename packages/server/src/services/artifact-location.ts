import { decodeRepeatedly, invalidParameter, MAX_ARTIFACT_LOCATION_LENGTH } from '@cairn/core'

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/
// Schemes whose last path segment may carry `;params` (Python's urllib.parse.uses_params).
const SCHEMES_WITH_PARAMS = new Set([
  '',
  'ftp',
  'hdl',
  'prospero',
  'http',
  'imap',
  'https',
  'shttp',
  'rtsp',
  'rtspu',
  'sip',
  'sips',
  'mms',
  'sftp',
  'tel',
])

function checkLength(location: string): void {
  if (location.length > MAX_ARTIFACT_LOCATION_LENGTH) {
    throw invalidParameter(
      `Invalid artifact path length. The length of the artifact path cannot be greater than ${MAX_ARTIFACT_LOCATION_LENGTH} characters. To configure this limit, please set the MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable.`,
    )
  }
}

/**
 * Checks a user-given experiment artifact location as MLflow's handler does (no fragment or
 * params, no `..` in the query, not `runs:/`, at most 2048 characters) and makes a relative local
 * path absolute against `workingDirectory`.
 */
export function resolveArtifactLocation(location: string, workingDirectory: string): string {
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase() ?? ''
  const withoutFragment = location.split('#')[0] ?? ''
  const [beforeQuery = '', ...queryParts] = withoutFragment.split('?')
  const lastSegment = beforeQuery.slice(beforeQuery.lastIndexOf('/') + 1)
  if (location.includes('#') || (SCHEMES_WITH_PARAMS.has(scheme) && lastSegment.includes(';'))) {
    throw invalidParameter("'artifact_location' URL can't include fragments or params.")
  }
  const query = decodeRepeatedly(queryParts.join('?'))
  if (query.outcome === 'exhausted' || query.text.includes('..'))
    throw invalidParameter('Invalid query string')
  if (location.startsWith('runs:')) {
    throw invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`)
  }
  checkLength(location)
  if (scheme !== '' || location.startsWith('/')) return location
  const segments = location.split('/').filter((segment) => segment !== '' && segment !== '.')
  const base = workingDirectory.replace(/\/+$/, '')
  const resolved = segments.length > 0 ? `${base}/${segments.join('/')}` : base
  checkLength(resolved)
  return resolved
}
