import { invalidParameter } from '@cairn/core'

/** `s3://bucket/prefix` → bucket and prefix (no leading or trailing `/`). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3a?:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(uri)
  if (!match?.[1]) throw invalidParameter(`Not an S3 URI: '${uri}'`)
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') }
}
