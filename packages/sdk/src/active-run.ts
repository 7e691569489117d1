import { MlflowError, type Run, type RunInfo, type RunStatus } from '@cairn/core'
import type { LogQueue } from './log-queue.js'

/** Step and time of a metric point logged through the fluent API. */
export interface LogMetricOptions {
  /** Default 0. */
  step?: number
  /** Milliseconds since the epoch; default now. */
  timestamp?: number
}

/** What an `ActiveRun` needs from the tracker that started it. */
export interface RunOwner {
  readonly queue: LogQueue
  finishRun(run: ActiveRun, status: RunStatus): Promise<void>
}

/** A stoppable source of periodic writes tied to a run (system metrics). */
export interface RunMonitor {
  stop(): Promise<void>
}

/**
 * A run started with `startRun`. Its logging methods queue writes (sent in batches, in order) and
 * return at once; `flush()` or `end()` wait for the server. Writes are checked locally only for
 * types; the server's refusals reject the next `flush()`/`end()`.
 */
export class ActiveRun {
  /** The run as the server answered when it was started or resumed. */
  readonly run: Run
  /** Id of the parent run of a nested run. */
  readonly parentRunId: string | undefined
  /** Set once `end()` (or `endRun()`) has been called. */
  ended = false
  /** @internal */
  monitor: RunMonitor | undefined

  constructor(
    private readonly owner: RunOwner,
    run: Run,
    parentRunId?: string,
  ) {
    this.run = run
    this.parentRunId = parentRunId
  }

  get runId(): string {
    return this.run.info.runId
  }

  get experimentId(): string {
    return this.run.info.experimentId
  }

  get runName(): string {
    return this.run.info.runName
  }

  get info(): RunInfo {
    return this.run.info
  }

  /** Queues a param; values other than strings are converted as `String(value)` (objects as JSON). */
  logParam(key: string, value: unknown): void {
    this.assertOpen()
    this.owner.queue.logParam(this.runId, { key, value: stringify(value) })
  }

  /** Queues several params. */
  logParams(params: Record<string, unknown>): void {
    this.assertOpen()
    this.owner.queue.enqueue(
      this.runId,
      Object.entries(params).map(([key, value]) => ({
        kind: 'param',
        param: { key, value: stringify(value) },
      })),
    )
  }

  /** Queues a metric point. `value` must be a number (NaN and ±Infinity allowed). */
  logMetric(key: string, value: number, options: LogMetricOptions = {}): void {
    this.assertOpen()
    this.owner.queue.logMetric(this.runId, metricPoint(key, value, options))
  }

  /** Queues several metric points sharing a step and timestamp. */
  logMetrics(metrics: Record<string, number>, options: LogMetricOptions = {}): void {
    this.assertOpen()
    const timestamp = options.timestamp ?? Date.now()
    this.owner.queue.enqueue(
      this.runId,
      Object.entries(metrics).map(([key, value]) => ({
        kind: 'metric',
        metric: metricPoint(key, value, { step: options.step, timestamp }),
      })),
    )
  }

  /** Queues a tag (an upsert). */
  setTag(key: string, value: unknown): void {
    this.assertOpen()
    this.owner.queue.setTag(this.runId, { key, value: stringify(value) })
  }

  /** Queues several tags. */
  setTags(tags: Record<string, unknown>): void {
    this.assertOpen()
    this.owner.queue.enqueue(
      this.runId,
      Object.entries(tags).map(([key, value]) => ({ kind: 'tag', tag: { key, value: stringify(value) } })),
    )
  }

  /** Queues the deletion of a tag, after the writes queued before it. */
  deleteTag(key: string): void {
    this.assertOpen()
    this.owner.queue.deleteTag(this.runId, key)
  }

  /** Resolves once every write queued for this run so far is stored; rejects with the first failure. */
  flush(): Promise<void> {
    return this.owner.queue.flush(this.runId)
  }

  /** Flushes, then marks the run terminated with `status` (default FINISHED). */
  end(status: RunStatus = 'FINISHED'): Promise<void> {
    return this.owner.finishRun(this, status)
  }

  private assertOpen(): void {
    if (this.ended) {
      throw new MlflowError('INVALID_STATE', `Run '${this.runId}' has already ended`)
    }
  }
}

function metricPoint(key: string, value: number, options: LogMetricOptions) {
  if (typeof value !== 'number') {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Got invalid value ${String(value)} for metric '${key}'. Please specify value as a number`,
    )
  }
  return { key, value, step: options.step ?? 0, timestamp: options.timestamp ?? Date.now() }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value
  if (value !== null && typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
