/**
 * HTTP status for every MLflow error code, as MLflow's server maps them.
 * Codes outside this table are answered with 500, as MLflow does.
 */
export const HTTP_STATUS_BY_ERROR_CODE = {
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  // MLflow answers INVALID_STATE (e.g. renaming a deleted experiment) with 500, which makes its own client retry
  // for minutes before failing; the request can never succeed, so Cairn answers 400 with the same error code.
  INVALID_STATE: 400,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const

/** An MLflow error code, such as `RESOURCE_DOES_NOT_EXIST`. */
export type ErrorCode = keyof typeof HTTP_STATUS_BY_ERROR_CODE

/** The JSON body of every error answer: `{"error_code", "message"}`. */
export interface ErrorBody {
  error_code: string
  message: string
}

/**
 * The one error class of Cairn. Services and stores throw it; the server answers with
 * `toJSON()` and `httpStatus`; the SDK turns error bodies back into it.
 *
 * @example
 * throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found`)
 */
export class MlflowError extends Error {
  override readonly name = 'MlflowError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }

  /** The HTTP status MLflow answers this error with. */
  get httpStatus(): number {
    return HTTP_STATUS_BY_ERROR_CODE[this.code]
  }

  /** Whether a client may retry the call that failed with this error (429 and 5xx other than 501). */
  get isRetryable(): boolean {
    const status = this.httpStatus
    return status === 429 || (status >= 500 && status !== 501)
  }

  toJSON(): ErrorBody {
    return { error_code: this.code, message: this.message }
  }

  /** Maps a code received over the wire back to an `ErrorCode`, falling back by HTTP status as MLflow's client does. */
  static fromBody(status: number, body: unknown): MlflowError {
    if (body && typeof body === 'object' && 'error_code' in body) {
      const { error_code: code, message } = body as { error_code: unknown; message?: unknown }
      if (typeof code === 'string' && code in HTTP_STATUS_BY_ERROR_CODE) {
        return new MlflowError(code as ErrorCode, String(message ?? ''))
      }
    }
    const fallback: ErrorCode =
      status === 400
        ? 'BAD_REQUEST'
        : status === 404
          ? 'ENDPOINT_NOT_FOUND'
          : status === 429
            ? 'REQUEST_LIMIT_EXCEEDED'
            : status === 503
              ? 'TEMPORARILY_UNAVAILABLE'
              : 'INTERNAL_ERROR'
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    return new MlflowError(fallback, `HTTP ${status}: ${text?.slice(0, 500) ?? ''}`)
  }
}

/** Shorthand for the most common validation error. */
export function invalidParameter(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', message)
}
