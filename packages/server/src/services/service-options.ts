import type { ArtifactSettings } from './artifact-service.js'
import type { WebhookSettings } from './webhook-settings.js'

/** Settings every service reads. */
export interface ServiceOptions {
  /** Truncate long param and run tag values instead of rejecting them (MLFLOW_TRUNCATE_LONG_VALUES, default true). */
  truncateLongValues: boolean
  /** Directory relative artifact locations are resolved against (default: the process's working directory). */
  workingDirectory: string
  /** Artifact storage and the proxy (default: served from `<workingDirectory>/cairn-data/artifacts`). */
  artifacts?: ArtifactSettings
  /** Webhook delivery (default: MLflow's `MLFLOW_WEBHOOK_*` variables, then 30 s timeout, 3 retries). */
  webhooks?: WebhookSettings
}
