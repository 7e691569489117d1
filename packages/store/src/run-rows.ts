import type {
  DatasetInput,
  Experiment,
  Int64Value,
  LifecycleStage,
  Metric,
  ModelInput,
  ModelOutput,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
} from '@cairn/core'
import { sql } from 'kysely'
import type { Session, SqlDatabase } from './dialect/dialect.js'

export const RUN_COLUMNS = sql.raw(
  'r.run_pk, r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.lifecycle_stage, r.artifact_uri',
)

export interface RunRow {
  run_pk: number
  run_uuid: string
  experiment_id: number
  name: string
  user_id: string
  status: string
  start_time: number
  end_time: number | null
  lifecycle_stage: string
  artifact_uri: string
}

export interface ExperimentRow {
  experiment_id: number
  name: string
  artifact_location: string
  lifecycle_stage: string
  creation_time: number
  last_update_time: number
}

export function toRunInfo(row: RunRow): RunInfo {
  const info: RunInfo = {
    runId: row.run_uuid,
    runName: row.name,
    experimentId: String(row.experiment_id),
    userId: row.user_id,
    status: row.status as RunStatus,
    startTime: row.start_time,
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
  }
  if (row.end_time !== null) info.endTime = row.end_time
  return info
}

export function toExperiment(row: ExperimentRow, tags: Tag[]): Experiment {
  return {
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    creationTime: row.creation_time,
    lastUpdateTime: row.last_update_time,
    tags,
  }
}

/** A stored metric value back as a number: NaN is kept as a flag next to a 0. */
export function storedValue(value: number, isNan: number | boolean): number {
  return isNan ? Number.NaN : value
}

/** What goes into the value column: NaN → 0 (+ flag), ±inf → ±Number.MAX_VALUE. */
export function sanitizeMetricValue(value: number): { value: number; isNan: number } {
  if (Number.isNaN(value)) return { value: 0, isNan: 1 }
  if (value === Number.POSITIVE_INFINITY) return { value: Number.MAX_VALUE, isNan: 0 }
  if (value === Number.NEGATIVE_INFINITY) return { value: -Number.MAX_VALUE, isNan: 0 }
  return { value, isNan: 0 }
}

interface RunData {
  params: Param[]
  metrics: Metric[]
  tags: Tag[]
  datasetInputs: DatasetInput[]
  modelInputs: ModelInput[]
  modelOutputs: ModelOutput[]
}

/**
 * Loads params, latest metrics, tags, dataset inputs and model links of many runs with a fixed number of
 * queries (six), whatever the number of runs.
 */
export async function loadRuns(db: SqlDatabase, session: Session, rows: RunRow[]): Promise<Run[]> {
  if (rows.length === 0) return []
  const data = new Map<number, RunData>()
  for (const row of rows) {
    data.set(row.run_pk, {
      params: [],
      metrics: [],
      tags: [],
      datasetInputs: [],
      modelInputs: [],
      modelOutputs: [],
    })
  }
  const pks = rows.map((row) => row.run_pk)
  const inRuns = (column: string) => db.inList(sql.ref(column), pks)
  const entry = (pk: unknown) => data.get(Number(pk))!

  const [params, metrics, tags, inputs, inputTags, models] = await Promise.all([
    session.select(
      sql<{ run_pk: number; key: string; value: string }>`SELECT run_pk, key, value FROM params
        WHERE ${inRuns('run_pk')} ORDER BY run_pk, key`,
    ),
    session.select(
      sql<{
        run_pk: number
        key: string
        value: number
        timestamp: Int64Value
        step: Int64Value
        is_nan: number
      }>`SELECT run_pk, key, value, "timestamp", step, is_nan FROM latest_metrics
        WHERE ${inRuns('run_pk')} ORDER BY run_pk, key`,
      { exactIntegers: true },
    ),
    session.select(
      sql<{ run_pk: number; key: string; value: string }>`SELECT run_pk, key, value FROM tags
        WHERE ${inRuns('run_pk')} ORDER BY run_pk, key`,
    ),
    session.select(
      sql<{
        run_pk: number
        input_uuid: string
        name: string
        digest: string
        dataset_source_type: string
        dataset_source: string
        dataset_schema: string | null
        dataset_profile: string | null
      }>`SELECT i.run_pk, i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source,
          d.dataset_schema, d.dataset_profile
        FROM inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
        WHERE ${inRuns('i.run_pk')} ORDER BY i.run_pk, d.name, d.digest`,
    ),
    session.select(
      sql<{ input_uuid: string; name: string; value: string }>`SELECT t.input_uuid, t.name, t.value
        FROM input_tags t JOIN inputs i ON i.input_uuid = t.input_uuid
        WHERE ${inRuns('i.run_pk')} ORDER BY t.input_uuid, t.name`,
    ),
    session.select(
      sql<{ run_pk: number; direction: string; model_id: string; step: number }>`
        SELECT run_pk, direction, model_id, step FROM run_models
        WHERE ${inRuns('run_pk')} ORDER BY run_pk, direction, model_id`,
    ),
  ])

  for (const row of params) entry(row.run_pk).params.push({ key: row.key, value: row.value })
  for (const row of metrics) {
    entry(row.run_pk).metrics.push({
      key: row.key,
      value: storedValue(row.value, row.is_nan),
      timestamp: row.timestamp,
      step: row.step,
    })
  }
  for (const row of tags) entry(row.run_pk).tags.push({ key: row.key, value: row.value })
  const tagsByInput = new Map<string, Tag[]>()
  for (const row of inputTags) {
    let list = tagsByInput.get(row.input_uuid)
    if (!list) {
      list = []
      tagsByInput.set(row.input_uuid, list)
    }
    list.push({ key: row.name, value: row.value })
  }
  for (const row of inputs) {
    const dataset: DatasetInput['dataset'] = {
      name: row.name,
      digest: row.digest,
      sourceType: row.dataset_source_type,
      source: row.dataset_source,
    }
    if (row.dataset_schema !== null) dataset.schema = row.dataset_schema
    if (row.dataset_profile !== null) dataset.profile = row.dataset_profile
    entry(row.run_pk).datasetInputs.push({ dataset, tags: tagsByInput.get(row.input_uuid) ?? [] })
  }
  for (const row of models) {
    if (row.direction === 'input') entry(row.run_pk).modelInputs.push({ modelId: row.model_id })
    else entry(row.run_pk).modelOutputs.push({ modelId: row.model_id, step: row.step })
  }

  return rows.map((row) => {
    const runData = data.get(row.run_pk)!
    return {
      info: toRunInfo(row),
      data: { metrics: runData.metrics, params: runData.params, tags: runData.tags },
      inputs: { datasetInputs: runData.datasetInputs, modelInputs: runData.modelInputs },
      outputs: { modelOutputs: runData.modelOutputs },
    }
  })
}
