import { type Experiment, MlflowError, type RunStatus } from '@cairn/core'
import type { ActiveRun, LogMetricOptions } from './active-run.js'
import type { CairnClient } from './cairn-client.js'
import { type StartRunOptions, Tracker, type TrackerOptions } from './tracker.js'

let options: TrackerOptions = {}
let tracker: Tracker | undefined

/** The tracker behind the module-level functions, created on first use from the environment. */
export function getTracker(): Tracker {
  tracker ??= new Tracker(options)
  return tracker
}

/**
 * Sets the options of the default tracker (tracking URI, auth, flush interval…). Fails with
 * `INVALID_STATE` while a run is active.
 *
 * @example
 * configure({ trackingUri: 'http://mlflow.internal:5000', token: process.env.TOKEN })
 */
export function configure(next: TrackerOptions): void {
  const active = tracker?.activeRun()
  if (active) {
    throw new MlflowError(
      'INVALID_STATE',
      `Cannot change the tracking configuration while run ${active.runId} is active`,
    )
  }
  options = { ...options, ...next }
  tracker = undefined
}

/** Points the module-level functions at another tracking server. */
export function setTrackingUri(trackingUri: string): void {
  configure({ trackingUri })
}

/** The tracking server the module-level functions talk to. */
export function getTrackingUri(): string {
  return getTracker().client.trackingUri
}

/** The REST client of the default tracker. */
export function getClient(): CairnClient {
  return getTracker().client
}

/** Makes the named experiment the active one, creating it when absent. See `Tracker.setExperiment`. */
export function setExperiment(
  experiment: string | { experimentName?: string; experimentId?: string },
): Promise<Experiment> {
  return getTracker().setExperiment(experiment)
}

/**
 * Starts a run on the default tracker. See `Tracker.startRun`.
 *
 * @example
 * const run = await startRun({ experimentName: 'fraud', runName: 'baseline' })
 * logParam('lr', 0.01)
 * logMetric('loss', 0.3, { step: 1 })
 * await endRun()
 */
export function startRun(runOptions: StartRunOptions = {}): Promise<ActiveRun> {
  return getTracker().startRun(runOptions)
}

/** The innermost active run of the default tracker. */
export function activeRun(): ActiveRun | undefined {
  return tracker?.activeRun()
}

/** Flushes and ends the active run (default status FINISHED). */
export function endRun(status: RunStatus = 'FINISHED'): Promise<void> {
  return tracker ? tracker.endRun(status) : Promise.resolve()
}

/** Runs `fn` in a new run, ended FINISHED, or FAILED when `fn` throws. See `Tracker.withRun`. */
export function withRun<T>(runOptions: StartRunOptions, fn: (run: ActiveRun) => T | Promise<T>): Promise<T> {
  return getTracker().withRun(runOptions, fn)
}

/** Queues a param on the active run. */
export function logParam(key: string, value: unknown): void {
  getTracker().logParam(key, value)
}

/** Queues params on the active run. */
export function logParams(params: Record<string, unknown>): void {
  getTracker().logParams(params)
}

/** Queues a metric point on the active run. */
export function logMetric(key: string, value: number, metricOptions?: LogMetricOptions): void {
  getTracker().logMetric(key, value, metricOptions)
}

/** Queues metric points sharing a step and timestamp on the active run. */
export function logMetrics(metrics: Record<string, number>, metricOptions?: LogMetricOptions): void {
  getTracker().logMetrics(metrics, metricOptions)
}

/** Queues a tag on the active run. */
export function setTag(key: string, value: unknown): void {
  getTracker().setTag(key, value)
}

/** Queues tags on the active run. */
export function setTags(tags: Record<string, unknown>): void {
  getTracker().setTags(tags)
}

/** Queues the deletion of a tag of the active run. */
export function deleteTag(key: string): void {
  getTracker().deleteTag(key)
}

/** Resolves once every queued write is stored; rejects with the first failure. */
export function flush(): Promise<void> {
  return tracker ? tracker.flush() : Promise.resolve()
}
