/** Extensions MLflow serves as `text/plain` (the UI previews them), plus `MLmodel` and `MLproject`. */
const TEXT_EXTENSIONS = new Set([
  'txt',
  'log',
  'err',
  'cfg',
  'conf',
  'cnf',
  'cf',
  'ini',
  'properties',
  'prop',
  'hocon',
  'toml',
  'yaml',
  'yml',
  'xml',
  'json',
  'js',
  'py',
  'py3',
  'csv',
  'tsv',
  'md',
  'rst',
  'MLmodel',
  'MLproject',
])

// The subset of Python's `mimetypes` table that artifacts commonly hit.
const MIME_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  ico: 'image/vnd.microsoft.icon',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  mp3: 'audio/mpeg',
  wav: 'audio/x-wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
  parquet: 'application/vnd.apache.parquet',
  ipynb: 'application/x-ipynb+json',
}

/**
 * The `Content-Type` MLflow sends for an artifact: `text/plain` for its list of text extensions
 * (and extension-less `MLmodel`/`MLproject`), the usual type by extension, else
 * `application/octet-stream`.
 */
export function guessArtifactMimeType(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  const extension = dot > 0 ? base.slice(dot + 1) : base
  if (TEXT_EXTENSIONS.has(extension)) return 'text/plain'
  if (dot <= 0) return 'application/octet-stream'
  return MIME_TYPES[extension.toLowerCase()] ?? 'application/octet-stream'
}

/**
 * `Content-Disposition: attachment` for a file name, with an ASCII fallback and an RFC 5987
 * `filename*` for other names. Artifacts are always attachments: a browser must never render an
 * uploaded HTML or SVG file as a page of this server's origin.
 */
export function contentDispositionAttachment(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1)
  const isPlainAscii = /^[\u0020-\u007e]*$/.test(base)
  if (isPlainAscii) return `attachment; filename=${quoteToken(base)}`
  const fallback = base.normalize('NFKD').replace(/[^\u0020-\u007e]/g, '') || 'download'
  const encoded = encodeURIComponent(base).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `attachment; filename=${quoteToken(fallback)}; filename*=UTF-8''${encoded}`
}

function quoteToken(value: string): string {
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value)) return value
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`
}

/** Headers of an artifact download, as MLflow sends them, plus a CSP sandbox against active content. */
export function artifactDownloadHeaders(fileName: string): Record<string, string> {
  return {
    'Content-Type': guessArtifactMimeType(fileName),
    'Content-Disposition': contentDispositionAttachment(fileName),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
  }
}
