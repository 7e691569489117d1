/** Renders rows as a plain-text table with a header line, columns padded to their widest cell. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd()
  const separator = widths.map((width) => '-'.repeat(width)).join('  ')
  return [line(headers), separator, ...rows.map(line)].join('\n')
}

/** A millisecond timestamp as `YYYY-MM-DD HH:MM:SS` in local time, or `-` when absent or not a date. */
export function formatTime(ms: number | bigint | undefined): string {
  const date = new Date(ms === undefined ? Number.NaN : Number(ms))
  if (!(date.getTime() > 0)) return '-'
  const pad = (value: number) => String(value).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/**
 * JSON for piping: two-space indented, non-finite numbers as their names (JSON has no NaN), int64s
 * beyond ±2^53 (bigint metric steps and timestamps) as strings of digits, as proto3 JSON writes int64.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) =>
      typeof item === 'bigint' || (typeof item === 'number' && !Number.isFinite(item)) ? String(item) : item,
    2,
  )
}
