/**
 * MLflow builds many error messages with Python's `json.dumps`, `repr` and `posixpath.normpath`.
 * These re-create their output so our messages match MLflow's byte for byte.
 */

function escapeNonAscii(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    out += code > 0x7e ? `\\u${code.toString(16).padStart(4, '0')}` : text[i]
  }
  return out
}

/** Python's `repr()` of a float: `1.0`, `nan`, `inf`, `1e+16`, `1.5e-07`. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (value === Number.POSITIVE_INFINITY) return 'inf'
  if (value === Number.NEGATIVE_INFINITY) return '-inf'
  const magnitude = Math.abs(value)
  if (magnitude !== 0 && (magnitude >= 1e16 || magnitude < 1e-4)) {
    const [mantissa, exponent = '0'] = value.toExponential().split('e')
    const sign = exponent.startsWith('-') ? '-' : '+'
    const digits = exponent.replace(/^[-+]/, '').padStart(2, '0')
    return `${mantissa}e${sign}${digits}`
  }
  return Number.isInteger(value) ? `${value}.0` : String(value)
}

/** Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))` for JSON-like values. */
export function pythonJsonDumps(value: unknown, separators: [string, string] = [',', ':']): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return escapeNonAscii(JSON.stringify(value))
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN'
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity'
    return String(value)
  }
  if (Array.isArray(value))
    return `[${value.map((item) => pythonJsonDumps(item, separators)).join(separators[0])}]`
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map(
        (key) =>
          `${pythonJsonDumps(key)}${separators[1]}${pythonJsonDumps((value as Record<string, unknown>)[key], separators)}`,
      )
    return `{${entries.join(separators[0])}}`
  }
  return JSON.stringify(String(value))
}

/** Python's `posixpath.normpath`. */
export function posixNormpath(path: string): string {
  if (path === '') return '.'
  let initialSlashes = path.startsWith('/') ? 1 : 0
  if (initialSlashes && path.startsWith('//') && !path.startsWith('///')) initialSlashes = 2
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part !== '..' || (!initialSlashes && parts.length === 0) || parts[parts.length - 1] === '..') {
      parts.push(part)
    } else if (parts.length > 0) {
      parts.pop()
    }
  }
  const joined = '/'.repeat(initialSlashes) + parts.join('/')
  return joined || '.'
}

/** Length in code points, as Python's `len()` counts. */
export function codePointLength(text: string): number {
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    length++
  }
  return length
}

/** The first `limit` code points of `text` (Python's `text[:limit]`). */
export function truncateCodePoints(text: string, limit: number): string {
  let count = 0
  let i = 0
  while (i < text.length && count < limit) {
    const code = text.charCodeAt(i)
    i += code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1
    count++
  }
  return text.slice(0, i)
}
