/** How an artifact file is previewed, from its name. */
export type PreviewKind = 'image' | 'html' | 'json' | 'yaml' | 'mlmodel' | 'table' | 'text' | 'none'

const IMAGE = /\.(png|jpe?g|gif|svg|webp|bmp)$/i
const TEXT =
  /\.(txt|log|md|py|ipynb|sh|toml|ini|cfg|conf|xml|r|sql|js|ts|java|scala|go|rs|c|h|cpp|requirements|lock|env)$/i

export function previewKind(path: string): PreviewKind {
  const name = path.split('/').pop() ?? path
  if (name === 'MLmodel') return 'mlmodel'
  if (IMAGE.test(name)) return 'image'
  if (/\.html?$/i.test(name)) return 'html'
  if (/\.json$/i.test(name)) return 'json'
  if (/\.ya?ml$/i.test(name)) return 'yaml'
  if (/\.(csv|tsv)$/i.test(name)) return 'table'
  if (TEXT.test(name) || !name.includes('.')) return 'text'
  return 'none'
}

const RASTER_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
}

/**
 * The type a preview blob is given, from the file name only (never the server's content type): raster images
 * keep their image type, everything else (SVG and HTML included) is `application/octet-stream`, so opening a
 * `blob:` URL in a new tab — which runs in the UI's own origin — can never render markup or run script.
 */
export function safeBlobType(path: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? ''
  return RASTER_TYPES[extension] ?? 'application/octet-stream'
}

/** An SVG as a `data:` URL for `<img>`: images never run script, and browsers refuse top-level `data:` pages. */
export function svgDataUrl(text: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`
}

/**
 * Policy put in front of an HTML artifact shown in the sandboxed frame: inline and https scripts and styles may
 * run (plotly and similar reports need them) but nothing may reach the network by fetch/XHR/WebSocket or submit a
 * form, so a report cannot call the tracking API on the viewer's behalf. A page can only tighten a policy, never
 * loosen it, so the artifact cannot undo this.
 */
export const PREVIEW_CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline' 'unsafe-eval' https: data: blob:",
  "style-src 'unsafe-inline' https: data:",
  'img-src data: blob: https:',
  'font-src data: https:',
  'media-src data: blob: https:',
  "connect-src 'none'",
  "form-action 'none'",
].join('; ')

/** The `srcdoc` of the HTML preview frame: the artifact behind a Content-Security-Policy `<meta>`. */
export function sandboxedHtml(text: string): string {
  return `<meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}">${text}`
}

/**
 * Parses CSV (or TSV with `delimiter` '\t'): quoted fields with doubled quotes and line breaks.
 * Stops after `maxRows` rows.
 */
export function parseDelimited(text: string, delimiter: string, maxRows = 1000): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!
    if (quoted) {
      if (char === '"') {
        if (text[index + 1] === '"') {
          field += '"'
          index++
        } else quoted = false
      } else field += char
      continue
    }
    if (char === '"' && field === '') quoted = true
    else if (char === delimiter) {
      row.push(field)
      field = ''
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      if (rows.length >= maxRows) return rows
    } else field += char
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** `1.5 MB` */
export function formatBytes(size: number | undefined): string {
  if (size === undefined) return ''
  if (size < 1024) return `${size} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = size / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/** What an `MLmodel` file (YAML) says about itself: its flavors (keys under `flavors:`), uuid and creation time. */
export function summarizeMlModel(text: string): { flavors: string[]; modelUuid?: string; created?: string } {
  const flavors: string[] = []
  let inFlavors = false
  let flavorIndent: number | undefined
  const summary: { flavors: string[]; modelUuid?: string; created?: string } = { flavors }
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const indent = line.length - line.trimStart().length
    const top = /^([A-Za-z_][\w.-]*):\s*(.*)$/.exec(line)
    if (indent === 0 && top) {
      inFlavors = top[1] === 'flavors'
      flavorIndent = undefined
      const value = top[2]!.replace(/^['"]|['"]$/g, '')
      if (top[1] === 'model_uuid' && value) summary.modelUuid = value
      if (top[1] === 'utc_time_created' && value) summary.created = value
      continue
    }
    if (!inFlavors) continue
    flavorIndent ??= indent
    const key = /^\s*([A-Za-z_][\w.-]*):/.exec(line)
    if (indent === flavorIndent && key) flavors.push(key[1]!)
  }
  return summary
}
