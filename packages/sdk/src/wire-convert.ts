import {
  type Dataset,
  type DatasetInput,
  type DatasetInputJson,
  type DatasetJson,
  type DatasetSummary,
  type DatasetSummaryJson,
  decodeDouble,
  type Experiment,
  type ExperimentJson,
  encodeDouble,
  type Int64Value,
  type LifecycleStage,
  type Metric,
  type MetricJson,
  type MetricWithRunIdJson,
  type ModelInput,
  type ModelOutput,
  type Param,
  type Run,
  type RunInfo,
  type RunInfoJson,
  type RunJson,
  type RunStatus,
  type Tag,
  toInt64Value,
  type WireInt64,
} from '@cairn/core'

/*
 * The one place where wire JSON (snake_case, proto JSON rules: unset fields omitted, int64 possibly
 * as strings, NaN/±Infinity as strings) meets the SDK's camelCase domain objects. Readers are lenient
 * (defaults for omitted fields) so that MLflow's own server, which omits more, works too.
 */

/** A key/value pair on the wire; proto JSON may omit an empty value. */
export interface WireTag {
  key: string
  value?: string
}

type Lenient<T> = { [K in keyof T]?: T[K] | undefined }
/** An experiment as a server may send it (every field but the id may be missing). */
export type WireExperiment = Lenient<ExperimentJson> & { experiment_id: string }
/** A metric point as a server may send it. */
export type WireMetric = Lenient<MetricJson & MetricWithRunIdJson> & { key: string }
/** Run info as a server may send it. */
export type WireRunInfo = Lenient<RunInfoJson>
/** A run as a server may send it. */
export type WireRun = { info: WireRunInfo } & Lenient<Omit<RunJson, 'info'>>

function int(value: number | string | undefined | null, fallback = 0): number {
  if (value === null) return fallback
  if (value === undefined || value === '') return fallback
  return typeof value === 'number' ? value : Number(value)
}

/** An int64 kept exactly (metric steps and timestamps): a bigint beyond ±2^53, which `parseExactJson` decodes. */
function int64(value: WireInt64 | string | undefined | null): Int64Value {
  if (value === undefined || value === null || value === '') return 0
  return toInt64Value(value)
}

/** A wire tag/param as a domain `Tag`. */
export function toTag(wire: WireTag): Tag {
  return { key: wire.key, value: wire.value ?? '' }
}

/** A domain tag/param as wire JSON. */
export function fromTag(tag: Tag): { key: string; value: string } {
  return { key: tag.key, value: tag.value }
}

/** A wire experiment as a domain `Experiment`. */
export function toExperiment(wire: WireExperiment): Experiment {
  return {
    experimentId: String(wire.experiment_id),
    name: wire.name ?? '',
    artifactLocation: wire.artifact_location ?? '',
    lifecycleStage: (wire.lifecycle_stage ?? 'active') as LifecycleStage,
    creationTime: int(wire.creation_time),
    lastUpdateTime: int(wire.last_update_time),
    tags: (wire.tags ?? []).map(toTag),
  }
}

/** A wire metric point as a domain `Metric` (NaN strings decoded). */
export function toMetric(wire: WireMetric): Metric {
  const metric: Metric = {
    key: wire.key,
    value: wire.value === undefined ? Number.NaN : decodeDouble(wire.value),
    timestamp: int64(wire.timestamp),
    step: int64(wire.step),
  }
  if (wire.dataset_name !== undefined) metric.datasetName = wire.dataset_name
  if (wire.dataset_digest !== undefined) metric.datasetDigest = wire.dataset_digest
  if (wire.model_id !== undefined) metric.modelId = wire.model_id
  if (wire.run_id !== undefined) metric.runId = wire.run_id
  return metric
}

/** A domain metric point as wire JSON (NaN and infinities as strings). */
export function fromMetric(metric: Metric): MetricJson {
  const wire: MetricJson = {
    key: metric.key,
    value: encodeDouble(metric.value),
    timestamp: metric.timestamp,
    step: metric.step,
  }
  if (metric.datasetName !== undefined) wire.dataset_name = metric.datasetName
  if (metric.datasetDigest !== undefined) wire.dataset_digest = metric.datasetDigest
  if (metric.modelId !== undefined) wire.model_id = metric.modelId
  return wire
}

/** Wire run info as a domain `RunInfo`. */
export function toRunInfo(wire: WireRunInfo): RunInfo {
  const info: RunInfo = {
    runId: wire.run_id ?? wire.run_uuid ?? '',
    runName: wire.run_name ?? '',
    experimentId: String(wire.experiment_id ?? ''),
    userId: wire.user_id ?? '',
    status: (wire.status ?? 'RUNNING') as RunStatus,
    startTime: int(wire.start_time),
    artifactUri: wire.artifact_uri ?? '',
    lifecycleStage: (wire.lifecycle_stage ?? 'active') as LifecycleStage,
  }
  if (wire.end_time !== undefined && wire.end_time !== null) info.endTime = int(wire.end_time)
  return info
}

/** A wire dataset as a domain `Dataset`. */
export function toDataset(wire: DatasetJson): Dataset {
  const dataset: Dataset = {
    name: wire.name,
    digest: wire.digest,
    sourceType: wire.source_type ?? '',
    source: wire.source ?? '',
  }
  if (wire.schema !== undefined) dataset.schema = wire.schema
  if (wire.profile !== undefined) dataset.profile = wire.profile
  return dataset
}

/** A domain dataset as wire JSON. */
export function fromDataset(dataset: Dataset): DatasetJson {
  const wire: DatasetJson = {
    name: dataset.name,
    digest: dataset.digest,
    source_type: dataset.sourceType,
    source: dataset.source,
  }
  if (dataset.schema !== undefined) wire.schema = dataset.schema
  if (dataset.profile !== undefined) wire.profile = dataset.profile
  return wire
}

/** A wire dataset input as a domain `DatasetInput`. */
export function toDatasetInput(wire: DatasetInputJson): DatasetInput {
  return { dataset: toDataset(wire.dataset), tags: (wire.tags ?? []).map(toTag) }
}

/** A domain dataset input as wire JSON. */
export function fromDatasetInput(input: DatasetInput): DatasetInputJson {
  return { dataset: fromDataset(input.dataset), tags: input.tags.map(fromTag) }
}

/** A model input as wire JSON. */
export function fromModelInput(input: ModelInput): { model_id: string } {
  return { model_id: input.modelId }
}

/** A model output as wire JSON. */
export function fromModelOutput(output: ModelOutput): { model_id: string; step: number } {
  return { model_id: output.modelId, step: output.step }
}

/** A wire run as a domain `Run`. */
export function toRun(wire: WireRun): Run {
  return {
    info: toRunInfo(wire.info),
    data: {
      metrics: (wire.data?.metrics ?? []).map(toMetric),
      params: (wire.data?.params ?? []).map(toTag) as Param[],
      tags: (wire.data?.tags ?? []).map(toTag),
    },
    inputs: {
      datasetInputs: (wire.inputs?.dataset_inputs ?? []).map(toDatasetInput),
      modelInputs: (wire.inputs?.model_inputs ?? []).map((model) => ({ modelId: model.model_id })),
    },
    outputs: {
      modelOutputs: (wire.outputs?.model_outputs ?? []).map((model) => ({
        modelId: model.model_id,
        step: int(model.step),
      })),
    },
  }
}

/** A wire dataset summary as a domain `DatasetSummary`. */
export function toDatasetSummary(wire: DatasetSummaryJson): DatasetSummary {
  const summary: DatasetSummary = {
    experimentId: String(wire.experiment_id),
    name: wire.name,
    digest: wire.digest,
  }
  if (wire.context !== undefined && wire.context !== '') summary.context = wire.context
  return summary
}
