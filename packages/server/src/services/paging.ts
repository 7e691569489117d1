import { decodePageToken, encodePageToken, invalidParameter, SEARCH_MAX_RESULTS_THRESHOLD } from '@cairn/core'

/** The offset a page token stands for (0 without a token). Malformed tokens → INVALID_PARAMETER_VALUE. */
export function offsetFromPageToken(pageToken: string | undefined): number {
  return pageToken ? decodePageToken(pageToken) : 0
}

/** The token of the page after `nextOffset`, when there is one. */
export function pageTokenFromOffset(nextOffset: number | undefined): string | undefined {
  return nextOffset === undefined ? undefined : encodePageToken(nextOffset)
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
