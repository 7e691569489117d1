import type {
  GatewayApiKeyRecord,
  GatewayStore,
  GatewayUsageFilter,
  GatewayUsageRecord,
  GatewayUsageSummary,
  IncrementCounterOptions,
} from '@cairn/core'

const MAX_USAGE_RECORDS = 100_000
/** How long request and token windows are kept: a day (the longest `limit` period) and a minute. */
export const COUNTER_RETENTION_MS = 86_400_000 + 60_000

/** The in-process store: counters, keys and the latest usage records of one gateway process. */
export class MemoryGatewayStore implements GatewayStore {
  readonly #counters = new Map<string, number>()
  readonly #usage: GatewayUsageRecord[] = []
  readonly #keys = new Map<string, GatewayApiKeyRecord>()
  #sweepAt = 0

  async incrementCounter(options: IncrementCounterOptions): Promise<number | undefined> {
    return this.incrementNow(options)
  }

  /** Synchronous form, for the hot path. */
  incrementNow(options: IncrementCounterOptions): number | undefined {
    const id = `${options.counter}@${options.windowStart}`
    const total = (this.#counters.get(id) ?? 0) + options.amount
    if (options.limit !== undefined && total > options.limit) return undefined
    this.#counters.set(id, total)
    this.#sweep()
    return total
  }

  async readCounter(counter: string, windowStart: number): Promise<number> {
    return this.#counters.get(`${counter}@${windowStart}`) ?? 0
  }

  readNow(counter: string, windowStart: number): number {
    return this.#counters.get(`${counter}@${windowStart}`) ?? 0
  }

  /**
   * Every 10 s, drops request and token windows older than a day and a minute (the longest non-budget period);
   * budget counters (`cost:`) are kept.
   */
  #sweep(): void {
    const now = Date.now()
    if (now < this.#sweepAt) return
    this.#sweepAt = now + 10_000
    const cutoff = now - COUNTER_RETENTION_MS
    for (const id of this.#counters.keys()) {
      if (id.startsWith('cost:')) continue
      const windowStart = Number(id.slice(id.lastIndexOf('@') + 1))
      if (windowStart > 0 && windowStart < cutoff) this.#counters.delete(id)
    }
  }

  async insertUsage(records: readonly GatewayUsageRecord[]): Promise<void> {
    this.#usage.push(...records)
    if (this.#usage.length > MAX_USAGE_RECORDS) this.#usage.splice(0, this.#usage.length - MAX_USAGE_RECORDS)
  }

  async searchUsage(filter: GatewayUsageFilter): Promise<GatewayUsageRecord[]> {
    const rows: GatewayUsageRecord[] = []
    const max = filter.maxResults ?? 1000
    for (let index = this.#usage.length - 1; index >= 0 && rows.length < max; index--) {
      const record = this.#usage[index]!
      if (matches(record, filter)) rows.push(record)
    }
    return rows
  }

  async summarizeUsage(filter: GatewayUsageFilter): Promise<GatewayUsageSummary[]> {
    const groups = new Map<string, GatewayUsageSummary>()
    for (const record of this.#usage) {
      if (!matches(record, filter)) continue
      const id = JSON.stringify([record.endpoint, record.provider, record.model, record.keyId])
      let group = groups.get(id)
      if (!group) {
        group = {
          endpoint: record.endpoint,
          provider: record.provider,
          model: record.model,
          keyId: record.keyId,
          calls: 0,
          errors: 0,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        }
        groups.set(id, group)
      }
      group.calls++
      if (record.status >= 400) group.errors++
      group.inputTokens += record.inputTokens
      group.outputTokens += record.outputTokens
      group.costUsd += record.costUsd
    }
    return [...groups.values()]
  }

  async createApiKey(record: GatewayApiKeyRecord): Promise<void> {
    this.#keys.set(record.keyId, record)
  }

  async findApiKeyByHash(keyHash: string): Promise<GatewayApiKeyRecord | undefined> {
    for (const record of this.#keys.values()) if (record.keyHash === keyHash) return record
    return undefined
  }

  async listApiKeys(): Promise<GatewayApiKeyRecord[]> {
    return [...this.#keys.values()]
  }

  async deleteApiKey(keyId: string): Promise<boolean> {
    return this.#keys.delete(keyId)
  }
}

function matches(record: GatewayUsageRecord, filter: GatewayUsageFilter): boolean {
  return (
    (filter.endpoint === undefined || record.endpoint === filter.endpoint) &&
    (filter.keyId === undefined || record.keyId === filter.keyId) &&
    (filter.provider === undefined || record.provider === filter.provider) &&
    (filter.startTime === undefined || record.timestamp >= filter.startTime) &&
    (filter.endTime === undefined || record.timestamp < filter.endTime)
  )
}
