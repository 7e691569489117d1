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
