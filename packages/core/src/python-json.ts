/**
 * Text as Python writes it where MLflow files and messages embed it: `json.dumps` with its defaults, and
 * `Model.utc_time_created`.
 */

/**
 * Python's `json.dumps(value)` with its defaults: `", "` and `": "` separators, keys in insertion order, and
 * `ensure_ascii` (every character outside printable ASCII written as `\uXXXX`, astral ones as surrogate pairs).
 * Object entries whose value is `undefined` are left out, as `JSON.stringify` does; `undefined` elsewhere is `null`.
 *
 * @example
 * pythonJsonText({ name: 'é', shape: [-1] }) // '{"name": "\\u00e9", "shape": [-1]}'
 */
export function pythonJsonText(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return `[${value.map(pythonJsonText).join(', ')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${pythonJsonText(key)}: ${pythonJsonText(item)}`)
    return `{${entries.join(', ')}}`
  }
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * `utc_time_created` as MLflow writes it: naive UTC `YYYY-MM-DD HH:MM:SS.ffffff`, at millisecond precision.
 *
 * @example
 * utcTimeCreated(new Date(Date.UTC(2026, 10, 27, 7, 6, 40, 683))) // '2026-11-27 07:06:40.683000'
 */
export function utcTimeCreated(date: Date): string {
  const iso = date.toISOString() // 2026-11-27T07:06:40.683Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`
}
