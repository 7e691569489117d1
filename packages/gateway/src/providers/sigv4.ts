import { createHash, createHmac } from 'node:crypto'

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface SignRequestOptions {
  method: string
  url: URL
  headers: Record<string, string>
  body: string
  region: string
  service: string
  credentials: AwsCredentials
  /** Defaults to now. */
  date?: Date
}

/**
 * AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 * returns the headers to add (`authorization`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token`).
 * Paths are URI-encoded once more, as every service but S3 requires.
 */
export function signRequest(options: SignRequestOptions): Record<string, string> {
  const amzDate = (options.date ?? new Date()).toISOString().replace(/[:-]|\.\d{3}/g, '')
  const day = amzDate.slice(0, 8)
  const payloadHash = sha256Hex(options.body)
  const added: Record<string, string> = { 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash }
  if (options.credentials.sessionToken) added['x-amz-security-token'] = options.credentials.sessionToken
  const headers: Record<string, string> = { host: options.url.host }
  for (const [name, value] of Object.entries({ ...options.headers, ...added }))
    headers[name.toLowerCase()] = value.trim().replace(/\s+/g, ' ')
  const names = Object.keys(headers).sort()
  const signedHeaders = names.join(';')
  const canonicalPath = options.url.pathname
    .split('/')
    .map((segment) => encodeRfc3986(segment))
    .join('/')
  const canonicalQuery = [...options.url.searchParams.entries()]
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&')
  const canonicalRequest = [
    options.method,
    canonicalPath || '/',
    canonicalQuery,
    names.map((name) => `${name}:${headers[name]}\n`).join(''),
    signedHeaders,
    payloadHash,
  ].join('\n')
  const scope = `${day}/${options.region}/${options.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  let key: Buffer = hmac(`AWS4${options.credentials.secretAccessKey}`, day)
  key = hmac(key, options.region)
  key = hmac(key, options.service)
  key = hmac(key, 'aws4_request')
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex')
  return {
    ...added,
    authorization: `AWS4-HMAC-SHA256 Credential=${options.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** RFC 3986 encoding: encodeURIComponent plus `!'()*`. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}
