import {
  concatDataframeInputs,
  type LoadedModel,
  type ModelInput,
  type ModelOutput,
  type ModelParams,
  splitOutputByRows,
} from '@cairn/models'
import type { ScoringMetrics } from './metrics.js'

/** Options of a {@link MicroBatcher}. */
export interface MicroBatcherOptions {
  readonly model: LoadedModel
  /** Most rows merged into one `predict` (a single larger request is predicted alone). */
  readonly maxBatchRows: number
  /**
   * How long the first request of a batch waits for others, in milliseconds. 0 merges only requests that arrive
   * in the same turn of the event loop, which adds no latency.
   */
  readonly maxWaitMs: number
  /**
   * Most batches predicting at once (default 2). Requests arriving while all are busy keep joining the waiting
   * batches, so batches grow with load instead of piling up concurrent predictions on the same cores.
   */
  readonly maxConcurrentBatches?: number
  readonly metrics?: ScoringMetrics
}

interface Pending {
  readonly input: ModelInput
  readonly rows: number
  resolve(output: ModelOutput): void
  reject(error: unknown): void
}

/** The shape of a nested-list tensor below its first axis, e.g. `4` for rows of 4 numbers. */
function innerShape(value: readonly unknown[]): string {
  const dims: number[] = []
  let current: unknown = value[0]
  while (Array.isArray(current)) {
    dims.push(current.length)
    current = current[0]
  }
  return dims.join(',')
}

/**
 * The batch a request may join (requests with the same key can be concatenated by rows) and its row count;
 * `undefined` when it cannot be batched. Tensors given as nested lists batch along their first axis when the model
 * says so (`tensorRowBatchable`).
 */
function batchKeyOf(input: ModelInput, tensors: boolean): { key: string; rows: number } | undefined {
  if (input.kind === 'dataframe')
    return { key: `d\u0000${input.columns.join('\u0000')}`, rows: input.rows.length }
  if (input.kind === 'tensor' && tensors && Array.isArray(input.value) && input.value.length > 0) {
    return { key: `t\u0000${innerShape(input.value)}`, rows: input.value.length }
  }
  return undefined
}

function concatInputs(items: readonly Pending[]): ModelInput {
  const [first] = items
  if (first?.input.kind === 'tensor') {
    return {
      kind: 'tensor',
      value: items.flatMap((item) => (item.input.kind === 'tensor' ? (item.input.value as unknown[]) : [])),
    }
  }
  return concatDataframeInputs(items.map((item) => item.input))
}

interface Queue {
  readonly key: string
  items: Pending[]
  rows: number
  timer?: NodeJS.Timeout | NodeJS.Immediate
  ready: boolean
}

/**
 * Merges concurrent dataframe requests with the same columns (and, when the model is `tensorRowBatchable`, tensors
 * of the same inner shape) into one `predict` when the model is row-batchable, then splits the answer back by rows.
 * A batch that fails is predicted again request by request, so one bad request only fails itself.
 */
export class MicroBatcher {
  /** The batch each key's requests join now (it may also be waiting in `#ready` for a free slot). */
  readonly #queues = new Map<string, Queue>()
  readonly #ready: Queue[] = []
  #running = 0

  constructor(readonly options: MicroBatcherOptions) {}

  predict(input: ModelInput, params?: ModelParams): Promise<ModelOutput> {
    const { model, maxBatchRows } = this.options
    const batch =
      model.rowBatchable && maxBatchRows > 1 && (params === undefined || Object.keys(params).length === 0)
        ? batchKeyOf(input, model.tensorRowBatchable === true)
        : undefined
    if (!batch || batch.rows >= maxBatchRows) return this.#predictAlone(input, params)
    return new Promise((resolve, reject) =>
      this.#enqueue(batch.key, { input, rows: batch.rows, resolve, reject }),
    )
  }

  #predictAlone(input: ModelInput, params?: ModelParams): Promise<ModelOutput> {
    const rows =
      input.kind === 'dataframe'
        ? input.rows.length
        : input.kind === 'tensor' && Array.isArray(input.value)
          ? input.value.length
          : 1
    this.options.metrics?.batchPredicted(rows, 1)
    return this.options.model.predict(input, params)
  }

  #enqueue(key: string, item: Pending): void {
    let queue = this.#queues.get(key)
    if (queue && queue.rows + item.rows > this.options.maxBatchRows) {
      this.#close(queue)
      queue = undefined
    }
    if (!queue) {
      queue = { key, items: [], rows: 0, ready: false }
      this.#queues.set(key, queue)
    }
    queue.items.push(item)
    queue.rows += item.rows
    if (queue.rows >= this.options.maxBatchRows) {
      this.#close(queue)
    } else if (!queue.timer && !queue.ready) {
      const waiting = queue
      const ready = () => this.#markReady(waiting)
      queue.timer =
        this.options.maxWaitMs > 0 ? setTimeout(ready, this.options.maxWaitMs) : setImmediate(ready)
    }
  }

  /** A full batch: no more requests join it; it predicts as soon as a slot is free. */
  #close(queue: Queue): void {
    if (this.#queues.get(queue.key) === queue) this.#queues.delete(queue.key)
    this.#markReady(queue)
  }

  #markReady(queue: Queue): void {
    if (queue.timer) {
      clearTimeout(queue.timer as NodeJS.Timeout)
      clearImmediate(queue.timer as NodeJS.Immediate)
      queue.timer = undefined
    }
    if (!queue.ready) {
      queue.ready = true
      this.#ready.push(queue)
    }
    this.#pump()
  }

  #pump(): void {
    const limit = Math.max(1, this.options.maxConcurrentBatches ?? 2)
    while (this.#running < limit) {
      const queue = this.#ready.shift()
      if (!queue) return
      if (this.#queues.get(queue.key) === queue) this.#queues.delete(queue.key)
      this.#running++
      void this.#run(queue.items, queue.rows).finally(() => {
        this.#running--
        this.#pump()
      })
    }
  }

  async #run(items: Pending[], rows: number): Promise<void> {
    if (items.length === 1) {
      const [item] = items as [Pending]
      await this.#predictAlone(item.input).then(item.resolve, item.reject)
      return
    }
    let outputs: ModelOutput[]
    try {
      const merged = concatInputs(items)
      this.options.metrics?.batchPredicted(rows, items.length)
      const output = await this.options.model.predict(merged)
      outputs = splitOutputByRows(
        output,
        items.map((item) => item.rows),
      )
      if (outputs.length !== items.length) throw new Error('split answered the wrong number of parts')
    } catch {
      this.options.metrics?.batchFellBack()
      await Promise.all(items.map((item) => this.#predictAlone(item.input).then(item.resolve, item.reject)))
      return
    }
    items.forEach((item, index) => {
      item.resolve(outputs[index]!)
    })
  }
}
