import type { LogBatchInput, RegistryStore, TrackingStore } from '@cairn/store'

/**
 * The tracking store, with metrics that name a `model_id` also recorded against that logged model (as
 * MLflow's `log_batch` does), after the run's own write succeeded. Metrics without a model cost nothing.
 */
export function withLoggedModelMetrics(tracking: TrackingStore, registry: RegistryStore): TrackingStore {
  const logBatch = async (input: LogBatchInput): Promise<void> => {
    await tracking.logBatch(input)
    const linked = input.metrics.filter((metric) => metric.modelId)
    if (linked.length === 0) return
    await registry.logLoggedModelMetrics(
      linked.map((metric) => ({ ...metric, modelId: metric.modelId!, runId: input.runId })),
    )
  }
  return new Proxy(tracking, {
    get(target, property, receiver) {
      if (property === 'logBatch') return logBatch
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
