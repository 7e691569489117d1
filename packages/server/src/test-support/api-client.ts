import type { Hono } from 'hono'

/** An answer of the app, with its body parsed when it is JSON. */
export interface ApiResponse {
  status: number
  headers: Headers
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  body: any
}

export type QueryValue = string | number | boolean | readonly (string | number)[]

export interface RequestOptions {
  headers?: Record<string, string>
  /** Sent verbatim instead of `JSON.stringify(body)`. */
  rawBody?: string
}

/** Calls the real app in-process (`app.request`), the way Hono's own tests do. */
export interface ApiClient {
  get(path: string, query?: Record<string, QueryValue | undefined>): Promise<ApiResponse>
  post(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>
  send(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>
}

async function toApiResponse(response: Response): Promise<ApiResponse> {
  const text = await response.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  return { status: response.status, headers: response.headers, text, body }
}

export function apiClient(app: Hono): ApiClient {
  const send = async (method: string, path: string, body?: unknown, options: RequestOptions = {}) => {
    const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body))
    const headers = options.headers ?? (payload === undefined ? {} : { 'content-type': 'application/json' })
    return toApiResponse(await app.request(path, { method, headers, body: payload }))
  }
  return {
    async get(path, query = {}) {
      const params = new URLSearchParams()
      for (const [name, value] of Object.entries(query)) {
        if (value === undefined) continue
        if (Array.isArray(value)) for (const item of value) params.append(name, String(item))
        else params.append(name, String(value))
      }
      const search = params.toString()
      return toApiResponse(await app.request(search ? `${path}?${search}` : path))
    },
    post: (path, body, options) => send('POST', path, body, options),
    send,
  }
}
