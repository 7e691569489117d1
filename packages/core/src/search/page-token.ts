import { invalidParameter } from '../errors.js'
import { pythonBytesRepr } from './python-literals.js'

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * The page token MLflow hands out for offset paging: standard base64 of the JSON `{"offset": N}`
 * (Python's `json.dumps` spacing), so tokens pass between Cairn and MLflow clients unchanged.
 *
 * @example
 * encodePageToken(100) // 'eyJvZmZzZXQiOiAxMDB9'
 */
export function encodePageToken(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`A page offset must be a non-negative integer, got ${offset}`)
  }
  return btoa(`{"offset": ${offset}}`)
}

/**
 * Reads the offset out of a page token; no token (or an empty one) is offset 0.
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` with MLflow's messages: `Invalid page token, could not
 *   base64-decode`, `Invalid page token, decoded value=b'...'`, `Invalid page token, parsed value=...`
 *   or `Invalid page token, not stringable ...`.
 */
export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0
  if (!BASE64.test(token)) throw invalidParameter('Invalid page token, could not base64-decode')
  const bytes = Uint8Array.from(atob(token), (char) => char.charCodeAt(0))
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw invalidParameter(`Invalid page token, decoded value=${pythonBytesRepr(bytes)}`)
  }
  const offset =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>).offset
      : undefined
  // MLflow treats a missing, zero or empty offset as malformed: it only ever issues tokens for later pages.
  if (offset === undefined || offset === null || offset === 0 || offset === '' || offset === false) {
    throw invalidParameter(`Invalid page token, parsed value=${JSON.stringify(parsed)}`)
  }
  const value =
    typeof offset === 'number'
      ? offset
      : typeof offset === 'string' && /^\s*\d+\s*$/.test(offset)
        ? Number(offset)
        : NaN
  if (!Number.isSafeInteger(value) || value < 0) {
    throw invalidParameter(
      `Invalid page token, not stringable ${typeof offset === 'string' ? offset : JSON.stringify(offset)}`,
    )
  }
  return value
}
