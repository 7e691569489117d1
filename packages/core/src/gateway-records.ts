/**
 * Records the LLM gateway keeps in a database (issue 7): API keys (hashed), shared limit counters and usage.
 * `@cairn/gateway` uses them through `GatewayStore`; `@cairn/store` implements it on SQLite and PostgreSQL.
 */

/** Per-minute request and token limits and a spending budget; every field optional. */
export interface GatewayLimits {
  requestsPerMinute?: number
  tokensPerMinute?: number
  /** US dollars per `budgetPeriod`. */
  budgetUsd?: number
  budgetPeriod?: 'day' | 'month' | 'total'
}

/** A gateway API key as stored: only the SHA-256 hash of the secret is kept. */
export interface GatewayApiKeyRecord extends GatewayLimits {
  keyId: string
  name: string
  /** Hex SHA-256 of the secret. */
  keyHash: string
  /** First characters of the secret, to recognise it in listings. */
  keyPrefix: string
  creationTime: number
  /** Endpoint names the key may call; empty means all. */
  endpoints: string[]
}

/** One call through the gateway. */
export interface GatewayUsageRecord {
  requestId: string
  timestamp: number
  endpoint: string
  provider: string
  model: string
  keyId: string | null
  inputTokens: number
  outputTokens: number
  latencyMs: number
  /** HTTP status answered to the caller. */
  status: number
  costUsd: number
  stream: boolean
  /** Only when logging is on for the endpoint. */
  requestBody?: string | null
  responseBody?: string | null
  errorMessage?: string | null
}

export interface GatewayUsageFilter {
  endpoint?: string
  keyId?: string
  provider?: string
  /** Inclusive, milliseconds since the epoch. */
  startTime?: number
  /** Exclusive. */
  endTime?: number
  maxResults?: number
}

/** Totals of usage grouped by endpoint, provider, model and key. */
export interface GatewayUsageSummary {
  endpoint: string
  provider: string
  model: string
  keyId: string | null
  calls: number
  errors: number
  inputTokens: number
  outputTokens: number
  costUsd: number
}

export interface IncrementCounterOptions {
  /** Counter name, e.g. `rpm:key:<id>`. */
  counter: string
  /** Start of the window the counter belongs to (ms since the epoch; 0 for all time). */
  windowStart: number
  amount: number
  /** When given, the increment is refused (resolves undefined) if it would take the total above `limit`. */
  limit?: number
}

/** Persistence of the gateway; one implementation per backend, all atomic across processes sharing it. */
export interface GatewayStore {
  /** Adds `amount` atomically; resolves with the new total, or undefined when `limit` refused it. */
  incrementCounter(options: IncrementCounterOptions): Promise<number | undefined>
  readCounter(counter: string, windowStart: number): Promise<number>
  insertUsage(records: readonly GatewayUsageRecord[]): Promise<void>
  /** Newest first. */
  searchUsage(filter: GatewayUsageFilter): Promise<GatewayUsageRecord[]>
  summarizeUsage(filter: GatewayUsageFilter): Promise<GatewayUsageSummary[]>
  createApiKey(record: GatewayApiKeyRecord): Promise<void>
  findApiKeyByHash(keyHash: string): Promise<GatewayApiKeyRecord | undefined>
  listApiKeys(): Promise<GatewayApiKeyRecord[]>
  /** Resolves false when no key had that id. */
  deleteApiKey(keyId: string): Promise<boolean>
}
