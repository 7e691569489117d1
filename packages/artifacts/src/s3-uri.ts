import { decodeRepeatedly, invalidParameter } from '@cairn/core'

/**
 * `s3://bucket/prefix` → bucket and prefix (no leading or trailing `/`). A prefix with `.` or `..`
 * segments (also percent-encoded) or a backslash is refused: the server confines run roots to the
 * configured S3 roots by comparing prefixes, which a store or proxy that folds dot segments would defeat.
 */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3a?:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(uri)
  if (!match?.[1]) throw invalidParameter(`Not an S3 URI: '${uri}'`)
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '')
  const decoded = decodeRepeatedly(prefix).text
  if (decoded.includes('\\') || decoded.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw invalidParameter(`S3 URI '${uri}' must not contain relative path segments`)
  }
  return { bucket: match[1], prefix }
}
