/** Python's `type(value).__name__` for a value decoded from JSON, for messages worded as MLflow's. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  if (typeof value === 'bigint') return 'int'
  if (Array.isArray(value)) return 'list'
  return 'dict'
}
