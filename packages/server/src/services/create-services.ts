import path from 'node:path'
import { registryStoreOf, type TrackingStore } from '@cairn/store'
import { MLFLOW_COMPATIBLE_VERSION } from '../version.js'
import { ArtifactService } from './artifact-service.js'
import { ExperimentService } from './experiment-service.js'
import { withLoggedModelMetrics } from './logged-model-metrics.js'
import { LoggedModelService } from './logged-model-service.js'
import { MetricService } from './metric-service.js'
import { ModelSourceResolver } from './model-source.js'
import { PromptlabService } from './promptlab-service.js'
import { RegistryService } from './registry-service.js'
import { RunService } from './run-service.js'
import type { ServiceOptions } from './service-options.js'
import { WebhookDispatcher } from './webhook-dispatcher.js'
import { WebhookService } from './webhook-service.js'
import { readWebhookSettings } from './webhook-settings.js'

/** Every service of the tracking API, sharing one store. */
export interface Services {
  experiments: ExperimentService
  runs: RunService
  metrics: MetricService
  artifacts: ArtifactService
  registry: RegistryService
  loggedModels: LoggedModelService
  webhooks: WebhookService
  /** The webhook delivery queue's worker in this process (`idle()` waits for it, `close()` stops it). */
  webhookDispatcher: WebhookDispatcher
  /** Runs of the UI's prompt lab (`runs/create-promptlab-run`). */
  promptlab: PromptlabService
}

export function createServices(store: TrackingStore, options: ServiceOptions): Services {
  const experiments = new ExperimentService(store, options)
  const registryStore = registryStoreOf(store)
  const webhookSettings = options.webhooks ?? readWebhookSettings()
  const webhookDispatcher = new WebhookDispatcher(registryStore, webhookSettings)
  // Deliveries a stopped process left queued are sent from here (the first look finds none on a fresh database).
  webhookDispatcher.start()
  const services: Omit<Services, 'promptlab'> = {
    experiments,
    runs: new RunService(withLoggedModelMetrics(store, registryStore), experiments, options),
    metrics: new MetricService(store),
    artifacts: new ArtifactService(
      store,
      options.artifacts ?? {
        serveArtifacts: true,
        artifactsOnly: false,
        destination: path.join(options.workingDirectory, 'cairn-data', 'artifacts'),
      },
    ),
    registry: new RegistryService(
      registryStore,
      store,
      new ModelSourceResolver(store, registryStore, options.workingDirectory),
      webhookDispatcher,
    ),
    loggedModels: new LoggedModelService(registryStore),
    webhooks: new WebhookService(registryStore, webhookDispatcher, webhookSettings.allowedSchemes),
    webhookDispatcher,
  }
  const promptlab = new PromptlabService(services.runs, services.artifacts, MLFLOW_COMPATIBLE_VERSION)
  return { ...services, promptlab }
}
