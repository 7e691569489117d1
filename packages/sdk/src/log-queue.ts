import {
  encodeDouble,
  MAX_BATCH_REQUEST_BYTES,
  MAX_ENTITIES_PER_BATCH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_TAGS_PER_BATCH,
  type Metric,
  MlflowError,
  type Param,
  type Tag,
} from '@cairn/core'
import type { CairnClient } from './cairn-client.js'

/** One queued write to a run. */
export type QueuedOperation =
  | { kind: 'metric'; metric: Metric }
  | { kind: 'param'; param: Param }
  | { kind: 'tag'; tag: Tag }
  | { kind: 'deleteTag'; key: string }

/** Options of a `LogQueue`. */
export interface LogQueueOptions {
  /** Client the batches are sent with (its retry policy applies to each batch). */
  client: CairnClient
  /** How long a write may wait before it is sent. Default 1000 ms. */
  flushIntervalMs?: number
  /** Called once for every batch that failed for good, in addition to the rejection of the next `flush()`. */
  onError?: (error: MlflowError, runId: string) => void
}

interface Entry {
  seq: number
  operation: QueuedOperation
  bytes: number
}

interface RunQueue {
  entries: Entry[]
  /** Lowest sequence number of the batch being sent, when one is. */
  inFlightSeq?: number
  metrics: number
  params: number
  tags: number
  bytes: number
}

interface Waiter {
  runId?: string
  target: number
  resolve: () => void
}

interface Failure {
  runId: string
  seq: number
  error: MlflowError
}

// Room for `{"run_id":"…","metrics":[],"params":[],"tags":[]}` around the entries.
const BATCH_OVERHEAD_BYTES = 1024
const MAX_ENTRY_BYTES = MAX_BATCH_REQUEST_BYTES - BATCH_OVERHEAD_BYTES

/**
 * Batches metric, param and tag writes into `runs/log-batch` calls within MLflow's limits
 * (1000 metrics, 100 params, 100 tags, 1000 entities, 1 MB per call). Writes to one run are sent
 * in order, one batch at a time; different runs proceed in parallel. A batch goes out when a full
 * one is waiting, after `flushIntervalMs`, or on `flush()`. A batch that fails (after the client's
 * retries) is dropped and its error rejects the next `flush()` that covers it.
 *
 * @example
 * const queue = new LogQueue({ client })
 * for (let step = 0; step < 10_000; step++) queue.logMetric(runId, { key: 'loss', value: 1 / (step + 1), step, timestamp: Date.now() })
 * await queue.flush() // every point is stored, or this rejects with the first failure
 */
export class LogQueue {
  private readonly client: CairnClient
  private readonly flushIntervalMs: number
  private readonly onError: LogQueueOptions['onError']
  private readonly runs = new Map<string, RunQueue>()
  private waiters: Waiter[] = []
  private failures: Failure[] = []
  private seq = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: LogQueueOptions) {
    this.client = options.client
    this.flushIntervalMs = options.flushIntervalMs ?? 1000
    this.onError = options.onError
  }

  /** Queues a metric point. */
  logMetric(runId: string, metric: Metric): void {
    this.enqueue(runId, [{ kind: 'metric', metric }])
  }

  /** Queues a param. */
  logParam(runId: string, param: Param): void {
    this.enqueue(runId, [{ kind: 'param', param }])
  }

  /** Queues a tag. */
  setTag(runId: string, tag: Tag): void {
    this.enqueue(runId, [{ kind: 'tag', tag }])
  }

  /** Queues the deletion of a tag, ordered after the writes queued before it. */
  deleteTag(runId: string, key: string): void {
    this.enqueue(runId, [{ kind: 'deleteTag', key }])
  }

  /** Queues several writes to one run, in order. */
  enqueue(runId: string, operations: QueuedOperation[]): void {
    if (operations.length === 0) return
    let queue = this.runs.get(runId)
    if (!queue) {
      queue = { entries: [], metrics: 0, params: 0, tags: 0, bytes: 0 }
      this.runs.set(runId, queue)
    }
    for (const operation of operations) {
      const entry: Entry = { seq: ++this.seq, operation, bytes: entryBytes(operation) }
      queue.entries.push(entry)
      count(queue, entry, 1)
    }
    if (
      queue.metrics >= MAX_METRICS_PER_BATCH ||
      queue.params >= MAX_PARAMS_TAGS_PER_BATCH ||
      queue.tags >= MAX_PARAMS_TAGS_PER_BATCH ||
      queue.entries.length >= MAX_ENTITIES_PER_BATCH ||
      queue.bytes >= MAX_ENTRY_BYTES
    ) {
      this.drain(runId)
    } else {
      this.arm()
    }
  }

  /** Writes queued and not yet acknowledged by the server. */
  get pending(): number {
    let pending = 0
    for (const queue of this.runs.values()) pending += queue.entries.length
    return pending
  }

  /** Whether writes are queued or being sent. */
  get busy(): boolean {
    for (const queue of this.runs.values()) {
      if (queue.entries.length > 0 || queue.inFlightSeq !== undefined) return true
    }
    return false
  }

  /**
   * Sends everything queued so far (for one run, or all) and resolves once the server has
   * acknowledged it. Rejects with the first error of the batches covered, if any failed.
   */
  flush(runId?: string): Promise<void> {
    const target = this.seq
    const done = new Promise<void>((resolve) => {
      this.waiters.push({ runId, target, resolve })
    })
    if (runId === undefined) {
      for (const id of this.runs.keys()) this.drain(id)
    } else {
      this.drain(runId)
    }
    this.settleWaiters()
    return done.then(() => this.takeFailures(target, runId))
  }

  /** Stops the interval timer. Writes still queued stay until the next `flush()`. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      for (const id of this.runs.keys()) this.drain(id)
    }, this.flushIntervalMs)
    // The timer alone must not keep a Node process alive; exit hooks flush what is left.
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  private drain(runId: string): void {
    const queue = this.runs.get(runId)
    if (!queue || queue.inFlightSeq !== undefined || queue.entries.length === 0) return
    void this.sendAll(runId, queue)
  }

  private async sendAll(runId: string, queue: RunQueue): Promise<void> {
    while (queue.entries.length > 0) {
      const first = queue.entries[0]!
      queue.inFlightSeq = first.seq
      const batch = takeBatch(queue)
      const lastSeq = batch.lastSeq
      try {
        if (batch.deleteTag !== undefined) {
          await this.client.deleteTag({ runId, key: batch.deleteTag })
        } else {
          await this.client.logBatch({
            runId,
            metrics: batch.metrics,
            params: batch.params,
            tags: batch.tags,
          })
        }
      } catch (error) {
        const failure = toMlflowError(error)
        this.failures.push({ runId, seq: lastSeq, error: failure })
        try {
          this.onError?.(failure, runId)
        } catch {
          // A throwing callback must not stop the queue.
        }
      }
      queue.inFlightSeq = undefined
      this.settleWaiters()
    }
    if (queue.entries.length === 0 && queue.inFlightSeq === undefined) this.runs.delete(runId)
    this.settleWaiters()
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return
    const still: Waiter[] = []
    for (const waiter of this.waiters) {
      if (this.covered(waiter)) waiter.resolve()
      else still.push(waiter)
    }
    this.waiters = still
  }

  private covered(waiter: Waiter): boolean {
    const queues = waiter.runId === undefined ? [...this.runs.values()] : [this.runs.get(waiter.runId)]
    for (const queue of queues) {
      if (!queue) continue
      if (queue.inFlightSeq !== undefined && queue.inFlightSeq <= waiter.target) return false
      const head = queue.entries[0]
      if (head && head.seq <= waiter.target) return false
    }
    return true
  }

  private takeFailures(target: number, runId: string | undefined): void {
    const taken = this.failures.filter(
      (failure) => failure.seq <= target && (runId === undefined || failure.runId === runId),
    )
    if (taken.length === 0) return
    this.failures = this.failures.filter((failure) => !taken.includes(failure))
    const first = taken[0]!
    if (taken.length === 1) throw first.error
    throw new MlflowError(
      first.error.code,
      `${first.error.message} (and ${taken.length - 1} more failed log batch${taken.length > 2 ? 'es' : ''})`,
      { cause: first.error },
    )
  }
}

interface Batch {
  metrics: Metric[]
  params: Param[]
  tags: Tag[]
  deleteTag?: string
  lastSeq: number
}

/** Takes the longest prefix of the queue that fits one call, keeping the meaning of the writes. */
function takeBatch(queue: RunQueue): Batch {
  const batch: Batch = { metrics: [], params: [], tags: [], lastSeq: 0 }
  const paramValues = new Map<string, string>()
  const tagIndex = new Map<string, number>()
  let bytes = 0
  let taken = 0
  for (const entry of queue.entries) {
    const { operation } = entry
    const entities = batch.metrics.length + batch.params.length + batch.tags.length
    if (operation.kind === 'deleteTag') {
      if (entities > 0) break
      batch.deleteTag = operation.key
      taken++
      break
    }
    if (bytes + entry.bytes > MAX_ENTRY_BYTES && entities > 0) break
    if (operation.kind === 'metric') {
      if (batch.metrics.length >= MAX_METRICS_PER_BATCH || entities >= MAX_ENTITIES_PER_BATCH) break
      batch.metrics.push(operation.metric)
    } else if (operation.kind === 'param') {
      const seen = paramValues.get(operation.param.key)
      if (seen !== undefined) {
        // The same value again is a no-op; another value must reach the server on its own to be refused there.
        if (seen !== operation.param.value) break
      } else {
        if (batch.params.length >= MAX_PARAMS_TAGS_PER_BATCH || entities >= MAX_ENTITIES_PER_BATCH) break
        paramValues.set(operation.param.key, operation.param.value)
        batch.params.push(operation.param)
      }
    } else {
      const index = tagIndex.get(operation.tag.key)
      if (index !== undefined) {
        // Tags are upserts: a later value of the same key in the same batch replaces the earlier one.
        batch.tags[index] = operation.tag
      } else {
        if (batch.tags.length >= MAX_PARAMS_TAGS_PER_BATCH || entities >= MAX_ENTITIES_PER_BATCH) break
        tagIndex.set(operation.tag.key, batch.tags.length)
        batch.tags.push(operation.tag)
      }
    }
    bytes += entry.bytes
    taken++
  }
  const removed = queue.entries.splice(0, taken)
  for (const entry of removed) count(queue, entry, -1)
  batch.lastSeq = removed.at(-1)?.seq ?? 0
  return batch
}

function count(queue: RunQueue, entry: Entry, sign: 1 | -1): void {
  const kind = entry.operation.kind
  if (kind === 'metric') queue.metrics += sign
  else if (kind === 'param') queue.params += sign
  else if (kind === 'tag') queue.tags += sign
  queue.bytes += sign * entry.bytes
}

function entryBytes(operation: QueuedOperation): number {
  switch (operation.kind) {
    case 'metric': {
      const { metric } = operation
      return (
        utf8Length(metric.key) +
        String(encodeDouble(metric.value)).length +
        String(metric.timestamp).length +
        String(metric.step).length +
        utf8Length(metric.datasetName ?? '') +
        utf8Length(metric.datasetDigest ?? '') +
        utf8Length(metric.modelId ?? '') +
        120
      )
    }
    case 'param':
      return jsonLength(operation.param.key) + jsonLength(operation.param.value) + 24
    case 'tag':
      return jsonLength(operation.tag.key) + jsonLength(operation.tag.value) + 24
    case 'deleteTag':
      return jsonLength(operation.key) + 24
  }
}

/** Bytes of a string once JSON-encoded as UTF-8 (escapes included). */
function jsonLength(text: string): number {
  return utf8Length(JSON.stringify(text))
}

function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

function toMlflowError(error: unknown): MlflowError {
  if (error instanceof MlflowError) return error
  return new MlflowError('INTERNAL_ERROR', error instanceof Error ? error.message : String(error), {
    cause: error,
  })
}
