/** Why a provider call failed, with what the router needs to decide on a retry or a fallback. */
export type UpstreamFailure = 'http' | 'timeout' | 'connection' | 'stream-dropped' | 'invalid-response'

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError'
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; provider?: string } = {},
  ) {
    super(message)
  }

  /** 429, 5xx, timeouts, refused connections and dropped streams are worth another attempt. */
  get isRetryable(): boolean {
    if (this.failure !== 'http') return this.failure !== 'invalid-response'
    const status = this.details.status ?? 0
    return status === 408 || status === 429 || status >= 500
  }
}

/** Milliseconds a `Retry-After` (or `retry-after-ms`) header asks to wait; undefined when absent or bad. */
export function parseRetryAfter(
  retryAfter: string | string[] | undefined,
  retryAfterMs?: string | string[] | undefined,
): number | undefined {
  const msValue = Array.isArray(retryAfterMs) ? retryAfterMs[0] : retryAfterMs
  if (msValue !== undefined) {
    const ms = Number(msValue)
    if (Number.isFinite(ms) && ms >= 0) return ms
  }
  const value = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter
  if (value === undefined || value === '') return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
