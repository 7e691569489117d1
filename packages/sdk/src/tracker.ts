import {
  DEFAULT_EXPERIMENT_ID,
  type Experiment,
  MlflowError,
  type RunStatus,
  TAG_NOTE,
  TAG_PARENT_RUN_ID,
  TAG_SOURCE_TYPE,
  TAG_USER,
} from '@cairn/core'
import { ActiveRun, type LogMetricOptions, type RunOwner } from './active-run.js'
import { CairnClient, type CairnClientOptions } from './cairn-client.js'
import { isNode, readEnv } from './environment.js'
import { LogQueue } from './log-queue.js'
import type { NodeRuntime } from './node-runtime.js'

/** Options of `startRun`. */
export interface StartRunOptions {
  /** Experiment of the new run. Default: `experimentName`, else `setExperiment`'s, else `MLFLOW_EXPERIMENT_ID`/`_NAME`, else the parent's, else `0`. */
  experimentId?: string
  /** Experiment of the new run by name, created when absent. */
  experimentName?: string
  /** Resumes this existing run (sets it RUNNING again) instead of creating one. */
  runId?: string
  /** Name of the new run; the server generates one when absent. */
  runName?: string
  /** User tags; they override the system tags (`mlflow.user`, `mlflow.source.*`). */
  tags?: Record<string, string>
  /** Start a child of the active run instead of failing because a run is active. */
  nested?: boolean
  /** Parent run id, tagged as `mlflow.parentRunId`. Default: the active run when `nested`. */
  parentRunId?: string
  /** Run description, stored as the `mlflow.note.content` tag. */
  description?: string
  /** Log CPU, memory, disk and network metrics every interval (Node only). Default `MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING`. */
  logSystemMetrics?: boolean
  /** Seconds between system metric samples. Default `MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL` or 10. */
  systemMetricsIntervalSeconds?: number
}

/** Options of a `Tracker`. */
export interface TrackerOptions extends CairnClientOptions {
  /** Use this client instead of creating one from the other options. */
  client?: CairnClient
  /** How long a queued write may wait before it is sent. Default 1000 ms. */
  flushIntervalMs?: number
  /**
   * In Node, flush and end active runs before the process exits (`beforeExit`: FINISHED;
   * SIGINT/SIGTERM: KILLED, best effort). Default true.
   */
  exitHooks?: boolean
}

/**
 * The fluent tracking API, like MLflow's `mlflow` module: a stack of active runs, an active
 * experiment, and a queue that batches writes. The module-level functions (`startRun`, `logMetric`
 * …) use a default instance; create your own for separate servers or tests.
 *
 * @example
 * const tracker = new Tracker({ trackingUri: 'http://127.0.0.1:5000' })
 * await tracker.setExperiment('fraud')
 * await tracker.withRun({ runName: 'baseline' }, async (run) => {
 *   run.logParams({ lr: 0.01, depth: 6 })
 *   for (let step = 0; step < 100; step++) run.logMetric('loss', 1 / (step + 1), { step })
 * })
 */
export class Tracker implements RunOwner {
  /** The REST client runs are created and ended with. */
  readonly client: CairnClient
  /** The queue that batches the writes of every run of this tracker. */
  readonly queue: LogQueue
  private readonly stack: ActiveRun[] = []
  private activeExperimentId: string | undefined
  private readonly exitHooks: boolean
  private runtime: Promise<NodeRuntime | undefined> | undefined

  constructor(options: TrackerOptions = {}) {
    this.client = options.client ?? new CairnClient(options)
    this.queue = new LogQueue({ client: this.client, flushIntervalMs: options.flushIntervalMs })
    this.exitHooks = options.exitHooks ?? true
  }

  /**
   * Makes the named experiment the active one, creating it when absent; later runs go there.
   * A deleted experiment of that name fails with `INVALID_PARAMETER_VALUE`.
   */
  async setExperiment(
    experiment: string | { experimentName?: string; experimentId?: string },
  ): Promise<Experiment> {
    const options = typeof experiment === 'string' ? { experimentName: experiment } : experiment
    let found: Experiment
    if (options.experimentId !== undefined) {
      found = await this.client.getExperiment(options.experimentId)
      if (found.lifecycleStage === 'deleted') throw deletedExperiment(found)
    } else if (options.experimentName !== undefined) {
      found = await this.getOrCreateExperiment(options.experimentName)
    } else {
      throw new MlflowError('INVALID_PARAMETER_VALUE', 'setExperiment needs an experiment name or id')
    }
    this.activeExperimentId = found.experimentId
    return found
  }

  /** The innermost active run, if any. */
  activeRun(): ActiveRun | undefined {
    return this.stack.at(-1)
  }

  /**
   * Starts (or resumes) a run and makes it the active one. Fails if a run is active unless
   * `nested` is set, in which case the new run is tagged as a child of the active one.
   */
  async startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
    const active = this.activeRun()
    if (active && !options.nested) {
      throw new MlflowError(
        'INVALID_STATE',
        `Run with UUID ${active.runId} is already active. To start a new run, first end the current run with endRun(). To start a nested run, call startRun with nested: true`,
      )
    }
    if (options.parentRunId !== undefined && active && options.parentRunId !== active.runId) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Current run with UUID ${active.runId} does not match the specified parent run id ${options.parentRunId}`,
      )
    }
    const parentRunId = options.parentRunId ?? (options.nested ? active?.runId : undefined)
    const runtime = await this.loadRuntime()
    let run: ActiveRun
    if (options.runId !== undefined) {
      run = await this.resumeRun(options.runId, options)
    } else {
      if (parentRunId !== undefined && options.parentRunId !== undefined) {
        await this.client.getRun(parentRunId)
      }
      const experimentId = await this.resolveExperimentId(options, active)
      const systemTags = runtime ? await runtime.resolveSystemTags() : { [TAG_SOURCE_TYPE]: 'LOCAL' }
      const tags: Record<string, string> = { ...systemTags }
      if (parentRunId !== undefined) tags[TAG_PARENT_RUN_ID] = parentRunId
      if (options.description !== undefined) tags[TAG_NOTE] = options.description
      Object.assign(tags, options.tags)
      const created = await this.client.createRun({
        experimentId,
        runName: options.runName,
        tags,
        userId: tags[TAG_USER],
      })
      run = new ActiveRun(this, created, parentRunId)
    }
    this.stack.push(run)
    if (runtime && this.exitHooks) runtime.registerExitHooks(this)
    const systemMetrics =
      options.logSystemMetrics ?? readEnv('MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING')?.toLowerCase() === 'true'
    if (systemMetrics) {
      if (!runtime) throw new MlflowError('NOT_IMPLEMENTED', 'System metrics are only available in Node')
      const envInterval = Number(readEnv('MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL'))
      run.monitor = runtime.startSystemMetrics({
        intervalSeconds: options.systemMetricsIntervalSeconds ?? (envInterval > 0 ? envInterval : 10),
        nodeId: readEnv('MLFLOW_SYSTEM_METRICS_NODE_ID'),
        onSample: (metrics, step) => {
          const timestamp = Date.now()
          this.queue.enqueue(
            run.runId,
            Object.entries(metrics).map(([key, value]) => ({
              kind: 'metric',
              metric: { key, value, step, timestamp },
            })),
          )
        },
      })
    }
    return run
  }

  /**
   * Ends the active run: flushes its queued writes, stops its system metrics, and sets its status
   * and end time. Does nothing without an active run. Rejects with the first failed write, after
   * the run has been ended all the same.
   */
  async endRun(status: RunStatus = 'FINISHED'): Promise<void> {
    const run = this.activeRun()
    if (run) await this.finishRun(run, status)
  }

  /**
   * Runs `fn` inside a new run, ending it FINISHED when `fn` resolves and FAILED when it throws
   * (the error is rethrown). Answers what `fn` answers.
   *
   * @example
   * const auc = await tracker.withRun({ experimentName: 'fraud' }, async (run) => {
   *   run.logParam('model', 'gbm')
   *   return train()
   * })
   */
  async withRun<T>(options: StartRunOptions, fn: (run: ActiveRun) => T | Promise<T>): Promise<T> {
    const run = await this.startRun(options)
    let result: T
    try {
      result = await fn(run)
    } catch (error) {
      try {
        await this.finishRun(run, 'FAILED')
      } catch {
        // The caller's error says more than a failed write during clean-up.
      }
      throw error
    }
    await this.finishRun(run, 'FINISHED')
    return result
  }

  /** Queues a param on the active run. */
  logParam(key: string, value: unknown): void {
    this.requireActiveRun().logParam(key, value)
  }

  /** Queues params on the active run. */
  logParams(params: Record<string, unknown>): void {
    this.requireActiveRun().logParams(params)
  }

  /** Queues a metric point on the active run. */
  logMetric(key: string, value: number, options?: LogMetricOptions): void {
    this.requireActiveRun().logMetric(key, value, options)
  }

  /** Queues metric points sharing a step and timestamp on the active run. */
  logMetrics(metrics: Record<string, number>, options?: LogMetricOptions): void {
    this.requireActiveRun().logMetrics(metrics, options)
  }

  /** Queues a tag on the active run. */
  setTag(key: string, value: unknown): void {
    this.requireActiveRun().setTag(key, value)
  }

  /** Queues tags on the active run. */
  setTags(tags: Record<string, unknown>): void {
    this.requireActiveRun().setTags(tags)
  }

  /** Queues the deletion of a tag of the active run. */
  deleteTag(key: string): void {
    this.requireActiveRun().deleteTag(key)
  }

  /** Resolves once every write queued so far (all runs) is stored; rejects with the first failure. */
  flush(): Promise<void> {
    return this.queue.flush()
  }

  /** Whether runs are active or writes are still queued. */
  get busy(): boolean {
    return this.stack.length > 0 || this.queue.busy
  }

  /** Ends every active run with `status` and flushes the queue; used by the exit hooks. */
  async shutdown(status: RunStatus): Promise<void> {
    const errors: unknown[] = []
    for (const run of [...this.stack].reverse()) {
      await this.finishRun(run, status).catch((error: unknown) => errors.push(error))
    }
    await this.queue.flush().catch((error: unknown) => errors.push(error))
    this.queue.close()
    if (errors.length > 0) throw errors[0]
  }

  /** @internal Ends a run; see `endRun`. */
  async finishRun(run: ActiveRun, status: RunStatus): Promise<void> {
    if (run.ended) return
    run.ended = true
    const index = this.stack.indexOf(run)
    if (index >= 0) this.stack.splice(index, 1)
    let failure: unknown
    try {
      await run.monitor?.stop()
    } catch (error) {
      failure = error
    }
    try {
      await this.queue.flush(run.runId)
    } catch (error) {
      failure ??= error
    }
    try {
      await this.client.updateRun({ runId: run.runId, status, endTime: Date.now() })
    } catch (error) {
      failure ??= error
    }
    if (failure !== undefined) throw failure
  }

  private requireActiveRun(): ActiveRun {
    const run = this.activeRun()
    if (!run) throw new MlflowError('INVALID_STATE', 'No active run. Call startRun() first')
    return run
  }

  private async resumeRun(runId: string, options: StartRunOptions): Promise<ActiveRun> {
    const existing = await this.client.getRun(runId)
    if (existing.info.lifecycleStage === 'deleted') {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Cannot start run with ID ${runId} because it is in the deleted state.`,
      )
    }
    const info = await this.client.updateRun({ runId, status: 'RUNNING', runName: options.runName })
    const resumed = { ...existing, info: { ...info } }
    delete resumed.info.endTime
    const parentTag = existing.data.tags.find((tag) => tag.key === TAG_PARENT_RUN_ID)?.value
    const run = new ActiveRun(this, resumed, parentTag)
    if (options.tags) run.setTags(options.tags)
    return run
  }

  private async resolveExperimentId(
    options: StartRunOptions,
    parent: ActiveRun | undefined,
  ): Promise<string> {
    if (options.experimentId !== undefined) return options.experimentId
    if (options.experimentName !== undefined) {
      return (await this.getOrCreateExperiment(options.experimentName)).experimentId
    }
    if (this.activeExperimentId !== undefined) return this.activeExperimentId
    const envId = readEnv('MLFLOW_EXPERIMENT_ID')
    if (envId !== undefined) return envId
    const envName = readEnv('MLFLOW_EXPERIMENT_NAME')
    if (envName !== undefined) return (await this.getOrCreateExperiment(envName)).experimentId
    return parent?.experimentId ?? DEFAULT_EXPERIMENT_ID
  }

  private async getOrCreateExperiment(name: string): Promise<Experiment> {
    const existing = await this.client.findExperimentByName(name)
    if (existing) {
      if (existing.lifecycleStage === 'deleted') throw deletedExperiment(existing)
      return existing
    }
    try {
      const experimentId = await this.client.createExperiment({ name })
      return await this.client.getExperiment(experimentId)
    } catch (error) {
      // Another process may have created it between the lookup and the create.
      if ((error as { code?: unknown }).code === 'RESOURCE_ALREADY_EXISTS') {
        return this.client.getExperimentByName(name)
      }
      throw error
    }
  }

  private loadRuntime(): Promise<NodeRuntime | undefined> {
    this.runtime ??= isNode()
      ? import('./node-runtime.js').then((module) => module.nodeRuntime)
      : Promise.resolve(undefined)
    return this.runtime
  }
}

function deletedExperiment(experiment: Experiment): MlflowError {
  return new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Cannot set a deleted experiment '${experiment.name}' as the active experiment. You can restore the experiment, or permanently delete the experiment to create a new one.`,
  )
}
