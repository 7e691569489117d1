import { pythonRepr as pythonStringRepr } from '@cairn/core'

/**
 * Renders values the way Python's `repr` does (strings by `@cairn/core`'s `pythonRepr`), so that error messages read like MLflow's
 * (`Model is missing inputs ['b']`, shapes such as `(-1, 4)`).
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (typeof value === 'string') return pythonStringRepr(value)
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number') return pythonNumberRepr(value)
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`
  if (ArrayBuffer.isView(value)) return pythonRepr(Array.from(value as unknown as ArrayLike<unknown>))
  if (value instanceof Date) return pythonStringRepr(value.toISOString())
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
    return `{${entries.map(([key, item]) => `${pythonStringRepr(key)}: ${pythonRepr(item)}`).join(', ')}}`
  }
  return String(value)
}

/** A Python tuple of ints: `()`, `(3,)`, `(-1, 4)`. */
export function pythonTupleRepr(values: readonly number[]): string {
  if (values.length === 1) return `(${values[0]},)`
  return `(${values.join(', ')})`
}

function pythonNumberRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (value === Number.POSITIVE_INFINITY) return 'inf'
  if (value === Number.NEGATIVE_INFINITY) return '-inf'
  return String(value)
}
