import type { TrackingStore } from '@cairn/store'
import { ExperimentService } from './experiment-service.js'
import { MetricService } from './metric-service.js'
import { RunService } from './run-service.js'
import type { ServiceOptions } from './service-options.js'

/** Every service of the tracking API, sharing one store. */
export interface Services {
  experiments: ExperimentService
  runs: RunService
  metrics: MetricService
}

export function createServices(store: TrackingStore, options: ServiceOptions): Services {
  const experiments = new ExperimentService(store, options)
  return {
    experiments,
    runs: new RunService(store, experiments, options),
    metrics: new MetricService(store),
  }
}
