/**
 * Sets `target[key]` as an own, enumerable property. A plain assignment of `__proto__` (a JSON key, a column or a
 * label name taken from a request or a model file) would change the object's prototype instead of storing data.
 */
export function setOwnProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    target[key] = value
  }
}
