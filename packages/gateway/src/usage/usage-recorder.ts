import type { GatewayStore, GatewayUsageRecord } from '@cairn/core'

/**
 * Buffers usage records and writes them in batches, off the request path: every `flushIntervalMs`, or
 * as soon as `batchSize` records are waiting. `flush()` before reading makes the latest calls visible.
 */
export class UsageRecorder {
  readonly #store: GatewayStore
  readonly #batchSize: number
  #pending: GatewayUsageRecord[] = []
  #timer: NodeJS.Timeout | undefined
  #writing: Promise<void> = Promise.resolve()
  readonly #onError: (error: unknown) => void

  constructor(
    store: GatewayStore,
    options: { flushIntervalMs?: number; batchSize?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.#store = store
    this.#batchSize = options.batchSize ?? 200
    this.#onError =
      options.onError ?? ((error) => console.error('cairn gateway: could not record usage:', error))
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 500)
    this.#timer.unref()
  }

  record(record: GatewayUsageRecord): void {
    this.#pending.push(record)
    if (this.#pending.length >= this.#batchSize) void this.flush()
  }

  /** Writes what is buffered; resolves when every earlier write has finished. */
  flush(): Promise<void> {
    if (this.#pending.length > 0) {
      const batch = this.#pending
      this.#pending = []
      this.#writing = this.#writing.then(() => this.#store.insertUsage(batch)).catch(this.#onError)
    }
    return this.#writing
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
  }
}
