import type {
  GatewayApiKeyRecord,
  GatewayStore,
  GatewayUsageFilter,
  GatewayUsageRecord,
  GatewayUsageSummary,
  IncrementCounterOptions,
} from '@cairn/core'
import { MlflowError } from '@cairn/core'
import type { SqlDatabase } from '../dialect/dialect.js'

const USAGE_COLUMNS = [
  'request_id',
  'timestamp',
  'endpoint',
  'provider',
  'model',
  'key_id',
  'input_tokens',
  'output_tokens',
  'latency_ms',
  'status',
  'cost_usd',
  'stream',
  'request_body',
  'response_body',
  'error_message',
]
const USAGE_PG_TYPES = [
  'text',
  'bigint',
  'text',
  'text',
  'text',
  'text',
  'bigint',
  'bigint',
  'float8',
  'int4',
  'float8',
  'int2',
  'text',
  'text',
  'text',
]
/** Request and token windows are kept a day (the longest `limit` period) and a minute. */
const COUNTER_RETENTION_MS = 86_400_000 + 60_000
const KEY_COLUMNS =
  'key_id, name, key_hash, key_prefix, creation_time, endpoints, requests_per_minute, tokens_per_minute, budget_usd, budget_period'

/**
 * The gateway's store on SQLite or PostgreSQL. Counters are single upsert statements (`ON CONFLICT … DO UPDATE
 * … WHERE value + amount <= limit RETURNING value`), atomic on both engines, so gateway replicas sharing one
 * database enforce one limit and a refused increment changes nothing.
 */
export class SqlGatewayStore implements GatewayStore {
  #purgeAt = 0

  constructor(private readonly db: SqlDatabase) {}

  async incrementCounter(options: IncrementCounterOptions): Promise<number | undefined> {
    if (options.limit !== undefined && options.amount > options.limit) return undefined
    if (Date.now() >= this.#purgeAt) await this.purgeCounters()
    const guard = options.limit === undefined ? '' : ' WHERE gateway_counters.value + excluded.value <= ?'
    const parameters: unknown[] = [options.counter, options.windowStart, options.amount]
    if (options.limit !== undefined) parameters.push(options.limit)
    const rows = await this.db.read((session) =>
      session.selectRows(
        'INSERT INTO gateway_counters (counter, window_start, value) VALUES (?, ?, ?) ' +
          'ON CONFLICT (counter, window_start) DO UPDATE SET value = gateway_counters.value + excluded.value' +
          `${guard} RETURNING value`,
        parameters,
      ),
    )
    return rows.length === 0 ? undefined : Number(rows[0]![0])
  }

  /**
   * Deletes request and token windows older than a day and a minute (budget counters, `cost:…`, stay); runs at
   * most once an hour per store, from `incrementCounter`.
   */
  async purgeCounters(now = Date.now()): Promise<number> {
    this.#purgeAt = now + 3_600_000
    return this.db.write((session) =>
      session.executeRaw(
        "DELETE FROM gateway_counters WHERE window_start > 0 AND window_start < ? AND counter NOT LIKE 'cost:%'",
        [now - COUNTER_RETENTION_MS],
      ),
    )
  }

  async readCounter(counter: string, windowStart: number): Promise<number> {
    const rows = await this.db.read((session) =>
      session.selectRows('SELECT value FROM gateway_counters WHERE counter = ? AND window_start = ?', [
        counter,
        windowStart,
      ]),
    )
    return rows.length === 0 ? 0 : Number(rows[0]![0])
  }

  async insertUsage(records: readonly GatewayUsageRecord[]): Promise<void> {
    if (records.length === 0) return
    await this.db.write((session) =>
      session.insertMany(
        {
          table: 'gateway_usage',
          columns: USAGE_COLUMNS,
          pgTypes: USAGE_PG_TYPES,
          suffix: 'ON CONFLICT DO NOTHING',
        },
        records.map((record) => [
          record.requestId,
          record.timestamp,
          record.endpoint,
          record.provider,
          record.model,
          record.keyId,
          record.inputTokens,
          record.outputTokens,
          record.latencyMs,
          record.status,
          record.costUsd,
          record.stream ? 1 : 0,
          record.requestBody ?? null,
          record.responseBody ?? null,
          record.errorMessage ?? null,
        ]),
      ),
    )
  }

  async searchUsage(filter: GatewayUsageFilter): Promise<GatewayUsageRecord[]> {
    const { where, parameters } = usageWhere(filter)
    const rows = await this.db.read((session) =>
      session.selectRows(
        `SELECT ${USAGE_COLUMNS.join(', ')} FROM gateway_usage${where} ORDER BY timestamp DESC, request_id LIMIT ?`,
        [...parameters, filter.maxResults ?? 1000],
      ),
    )
    return rows.map((row) => ({
      requestId: String(row[0]),
      timestamp: Number(row[1]),
      endpoint: String(row[2]),
      provider: String(row[3]),
      model: String(row[4]),
      keyId: row[5] === null ? null : String(row[5]),
      inputTokens: Number(row[6]),
      outputTokens: Number(row[7]),
      latencyMs: Number(row[8]),
      status: Number(row[9]),
      costUsd: Number(row[10]),
      stream: Number(row[11]) === 1,
      requestBody: (row[12] as string | null) ?? null,
      responseBody: (row[13] as string | null) ?? null,
      errorMessage: (row[14] as string | null) ?? null,
    }))
  }

  async summarizeUsage(filter: GatewayUsageFilter): Promise<GatewayUsageSummary[]> {
    const { where, parameters } = usageWhere(filter)
    const rows = await this.db.read((session) =>
      session.selectRows(
        'SELECT endpoint, provider, model, key_id, COUNT(*), SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), ' +
          `SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) FROM gateway_usage${where} ` +
          "GROUP BY endpoint, provider, model, key_id ORDER BY endpoint, provider, model, COALESCE(key_id, '')",
        parameters,
      ),
    )
    return rows.map((row) => ({
      endpoint: String(row[0]),
      provider: String(row[1]),
      model: String(row[2]),
      keyId: row[3] === null ? null : String(row[3]),
      calls: Number(row[4]),
      errors: Number(row[5]),
      inputTokens: Number(row[6]),
      outputTokens: Number(row[7]),
      costUsd: Number(row[8]),
    }))
  }

  async createApiKey(record: GatewayApiKeyRecord): Promise<void> {
    try {
      await this.db.write((session) =>
        session.executeRaw(
          `INSERT INTO gateway_api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            record.keyId,
            record.name,
            record.keyHash,
            record.keyPrefix,
            record.creationTime,
            JSON.stringify(record.endpoints),
            record.requestsPerMinute ?? null,
            record.tokensPerMinute ?? null,
            record.budgetUsd ?? null,
            record.budgetUsd === undefined ? null : (record.budgetPeriod ?? 'month'),
          ],
        ),
      )
    } catch (error) {
      if (this.db.isUniqueViolation(error) || (error as MlflowError).code === 'RESOURCE_ALREADY_EXISTS')
        throw new MlflowError('RESOURCE_ALREADY_EXISTS', `API key '${record.keyId}' already exists`, {
          cause: error,
        })
      throw error
    }
  }

  async findApiKeyByHash(keyHash: string): Promise<GatewayApiKeyRecord | undefined> {
    const rows = await this.db.read((session) =>
      session.selectRows(`SELECT ${KEY_COLUMNS} FROM gateway_api_keys WHERE key_hash = ?`, [keyHash]),
    )
    return rows[0] ? toKey(rows[0]) : undefined
  }

  async listApiKeys(): Promise<GatewayApiKeyRecord[]> {
    const rows = await this.db.read((session) =>
      session.selectRows(`SELECT ${KEY_COLUMNS} FROM gateway_api_keys ORDER BY creation_time, key_id`, []),
    )
    return rows.map(toKey)
  }

  async deleteApiKey(keyId: string): Promise<boolean> {
    const changed = await this.db.write((session) =>
      session.executeRaw('DELETE FROM gateway_api_keys WHERE key_id = ?', [keyId]),
    )
    return changed > 0
  }
}

function usageWhere(filter: GatewayUsageFilter): { where: string; parameters: unknown[] } {
  const clauses: string[] = []
  const parameters: unknown[] = []
  const add = (clause: string, value: unknown) => {
    clauses.push(clause)
    parameters.push(value)
  }
  if (filter.endpoint !== undefined) add('endpoint = ?', filter.endpoint)
  if (filter.keyId !== undefined) add('key_id = ?', filter.keyId)
  if (filter.provider !== undefined) add('provider = ?', filter.provider)
  if (filter.startTime !== undefined) add('timestamp >= ?', filter.startTime)
  if (filter.endTime !== undefined) add('timestamp < ?', filter.endTime)
  return { where: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', parameters }
}

function toKey(row: unknown[]): GatewayApiKeyRecord {
  const optional = (value: unknown) => (value === null || value === undefined ? undefined : Number(value))
  return {
    keyId: String(row[0]),
    name: String(row[1]),
    keyHash: String(row[2]),
    keyPrefix: String(row[3]),
    creationTime: Number(row[4]),
    endpoints: JSON.parse(String(row[5])) as string[],
    requestsPerMinute: optional(row[6]),
    tokensPerMinute: optional(row[7]),
    budgetUsd: optional(row[8]),
    budgetPeriod: (row[9] as GatewayApiKeyRecord['budgetPeriod'] | null) ?? undefined,
  }
}
