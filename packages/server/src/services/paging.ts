import {
  decodePageToken,
  encodePageToken,
  invalidParameter,
  parseExactJson,
  SEARCH_MAX_RESULTS_THRESHOLD,
  stringifyExactJson,
} from '@cairn/core'
import type { MetricHistoryCursor } from '@cairn/store'

/** The offset a page token stands for (0 without a token). Malformed tokens → INVALID_PARAMETER_VALUE. */
export function offsetFromPageToken(pageToken: string | undefined): number {
  return pageToken ? decodePageToken(pageToken) : 0
}

/** The token of the page after `nextOffset`, when there is one. */
export function pageTokenFromOffset(nextOffset: number | undefined): string | undefined {
  return nextOffset === undefined ? undefined : encodePageToken(nextOffset)
}

/** Where a metric history page starts: an offset, and the keyset position of the point before it when known. */
export interface HistoryPagePosition {
  offset: number
  after?: MetricHistoryCursor
}

/**
 * Reads a metric history page token: MLflow's `{"offset": N}` (still served by offset), or Cairn's
 * `{"offset": N, "after": [timestamp, step, value, is_nan]}`, whose extra field lets the next page
 * continue from the last point instead of skipping N points. Malformed tokens → INVALID_PARAMETER_VALUE.
 */
export function historyPositionFromPageToken(pageToken: string | undefined): HistoryPagePosition {
  const offset = offsetFromPageToken(pageToken)
  if (!pageToken) return { offset }
  // decodePageToken accepted it, so it is base64 of a JSON object.
  const parsed = parseExactJson(
    new TextDecoder().decode(Uint8Array.from(atob(pageToken), (c) => c.charCodeAt(0))),
  )
  const after = (parsed as Record<string, unknown>).after
  if (after === undefined) return { offset }
  const cursor = toCursor(after)
  if (cursor === undefined) {
    throw invalidParameter(`Invalid page token, bad metric history position ${stringifyExactJson(after)}`)
  }
  return { offset, after: cursor }
}

/** The token of the history page after `nextOffset`, carrying the keyset position when there is one. */
export function pageTokenFromHistoryPosition(
  nextOffset: number | undefined,
  nextCursor: MetricHistoryCursor | undefined,
): string | undefined {
  if (nextOffset === undefined) return undefined
  if (nextCursor === undefined) return encodePageToken(nextOffset)
  if (!Number.isSafeInteger(nextOffset) || nextOffset < 0) {
    throw new RangeError(`A page offset must be a non-negative integer, got ${nextOffset}`)
  }
  // Python's json.dumps spacing, as MLflow writes its own tokens.
  const text = `{"offset": ${nextOffset}, "after": [${nextCursor.map((part) => stringifyExactJson(part)).join(', ')}]}`
  return btoa(text)
}

function isInt64(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || Number.isSafeInteger(value)
}

function toCursor(value: unknown): MetricHistoryCursor | undefined {
  if (!Array.isArray(value) || value.length !== 4) return undefined
  const [timestamp, step, stored, isNan] = value as unknown[]
  if (!isInt64(timestamp) || !isInt64(step)) return undefined
  // A double written as a long integer literal (1e20 → 100000000000000000000) parses as a bigint.
  const number = typeof stored === 'bigint' ? Number(stored) : stored
  if (typeof number !== 'number' || !Number.isFinite(number)) return undefined
  if (isNan !== 0 && isNan !== 1) return undefined
  return [timestamp, step, number, isNan]
}

/** MLflow's `_validate_max_results_param` of the SQL store. */
export function validateMaxResults(maxResults: number): void {
  if (maxResults < 1) {
    throw invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer`,
    )
  }
  if (maxResults > SEARCH_MAX_RESULTS_THRESHOLD) {
    throw invalidParameter(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${SEARCH_MAX_RESULTS_THRESHOLD}`,
    )
  }
}
