import type {
  DatasetInput,
  DatasetInputJson,
  DatasetSummary,
  DatasetSummaryJson,
  Experiment,
  ExperimentJson,
  Metric,
  MetricJson,
  MetricWithRunIdJson,
  Run,
  RunDataJson,
  RunInfo,
  RunInfoJson,
  RunInputsJson,
  RunJson,
  RunOutputsJson,
} from '@cairn/core'
import { encodeDouble } from '@cairn/core'

/**
 * Domain entities → wire JSON (snake_case). Empty lists are left out, as proto JSON does.
 */

export function toExperimentJson(experiment: Experiment): ExperimentJson {
  const json: ExperimentJson = {
    experiment_id: experiment.experimentId,
    name: experiment.name,
    artifact_location: experiment.artifactLocation,
    lifecycle_stage: experiment.lifecycleStage,
    last_update_time: experiment.lastUpdateTime,
    creation_time: experiment.creationTime,
  }
  if (experiment.tags.length > 0) json.tags = experiment.tags.map(({ key, value }) => ({ key, value }))
  return json
}

export function toMetricJson(metric: Metric): MetricJson {
  const json: MetricJson = {
    key: metric.key,
    value: encodeDouble(metric.value),
    timestamp: metric.timestamp,
    step: metric.step,
  }
  if (metric.datasetName !== undefined) json.dataset_name = metric.datasetName
  if (metric.datasetDigest !== undefined) json.dataset_digest = metric.datasetDigest
  if (metric.modelId !== undefined) json.model_id = metric.modelId
  if (metric.runId !== undefined) json.run_id = metric.runId
  return json
}

/** A metric point of a bulk answer; `runId` must be set by the store. */
export function toMetricWithRunIdJson(metric: Metric): MetricWithRunIdJson {
  return {
    key: metric.key,
    value: encodeDouble(metric.value),
    timestamp: metric.timestamp,
    step: metric.step,
    run_id: metric.runId ?? '',
  }
}

export function toRunInfoJson(info: RunInfo): RunInfoJson {
  const json: RunInfoJson = {
    run_id: info.runId,
    run_uuid: info.runId,
    run_name: info.runName,
    experiment_id: info.experimentId,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime,
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
  }
  if (info.endTime !== undefined && info.endTime !== null) json.end_time = info.endTime
  return json
}

function toDatasetInputJson(input: DatasetInput): DatasetInputJson {
  const { dataset } = input
  const json: DatasetInputJson = {
    dataset: {
      name: dataset.name,
      digest: dataset.digest,
      source_type: dataset.sourceType,
      source: dataset.source,
    },
  }
  if (dataset.schema !== undefined) json.dataset.schema = dataset.schema
  if (dataset.profile !== undefined) json.dataset.profile = dataset.profile
  if (input.tags.length > 0) json.tags = input.tags.map(({ key, value }) => ({ key, value }))
  return json
}

export function toRunJson(run: Run): RunJson {
  const data: RunDataJson = {}
  if (run.data.metrics.length > 0) data.metrics = run.data.metrics.map(toMetricJson)
  if (run.data.params.length > 0) data.params = run.data.params.map(({ key, value }) => ({ key, value }))
  if (run.data.tags.length > 0) data.tags = run.data.tags.map(({ key, value }) => ({ key, value }))
  const inputs: RunInputsJson = {}
  if (run.inputs.datasetInputs.length > 0)
    inputs.dataset_inputs = run.inputs.datasetInputs.map(toDatasetInputJson)
  if (run.inputs.modelInputs.length > 0) {
    inputs.model_inputs = run.inputs.modelInputs.map(({ modelId }) => ({ model_id: modelId }))
  }
  const outputs: RunOutputsJson = {}
  if (run.outputs.modelOutputs.length > 0) {
    outputs.model_outputs = run.outputs.modelOutputs.map(({ modelId, step }) => ({ model_id: modelId, step }))
  }
  return { info: toRunInfoJson(run.info), data, inputs, outputs }
}

export function toDatasetSummaryJson(summary: DatasetSummary): DatasetSummaryJson {
  const json: DatasetSummaryJson = {
    experiment_id: summary.experimentId,
    name: summary.name,
    digest: summary.digest,
  }
  if (summary.context !== undefined) json.context = summary.context
  return json
}
