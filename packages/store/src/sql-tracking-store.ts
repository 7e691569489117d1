import { randomUUID } from 'node:crypto'
import {
  type DatasetInput,
  type DatasetSummary,
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  type Experiment,
  type Int64Value,
  type Metric,
  MlflowError,
  type ModelInput,
  type ModelOutput,
  type Param,
  type Run,
  type RunInfo,
  TAG_DATASET_CONTEXT,
  TAG_RUN_NAME,
  type Tag,
  toInt64Value,
} from '@cairn/core'
import { sql } from 'kysely'
import type { BulkInsert, Session, SqlDatabase } from './dialect/dialect.js'
import { getMetricHistoryBuckets } from './metric-buckets.js'
import {
  getMetricHistory,
  getMetricHistoryBulk,
  getMetricHistoryBulkInterval,
  getMetricHistoryJson,
  streamMetricHistory,
  streamMetricHistoryJson,
} from './metric-history.js'
import {
  type ExperimentRow,
  loadRuns,
  RUN_COLUMNS,
  type RunRow,
  sanitizeMetricValue,
  toExperiment,
  toRunInfo,
} from './run-rows.js'
import { buildSearchExperimentsQuery } from './search/experiment-search-sql.js'
import {
  buildOrderDrivenSearchQuery,
  buildSearchRunsQuery,
  countCandidateRuns,
  countValueJoin,
  orderDrivenBoundary,
  orderDrivenSearchApplies,
  type ValueJoin,
  valueJoins,
} from './search/run-search-sql.js'
import {
  experimentNameTaken,
  experimentNotFound,
  type ParamConflict,
  paramsChanged,
  runNotFound,
} from './store-errors.js'
import type {
  CreateExperimentInput,
  CreateRunInput,
  LogBatchInput,
  MetricBucket,
  MetricBucketsInput,
  MetricHistoryBulkInput,
  MetricHistoryBulkIntervalInput,
  MetricHistoryInput,
  MetricHistoryJsonPage,
  MetricHistoryPage,
  Page,
  SearchExperimentsInput,
  SearchRunsInput,
  TrackingStore,
  UpdateRunInput,
} from './tracking-store.js'

const MAX_DATASET_SUMMARIES = 1000
const MAX_INTEGER_ID = 2_147_483_647

const EXPERIMENT_TAGS_UPSERT: BulkInsert = {
  table: 'experiment_tags',
  columns: ['experiment_id', 'key', 'value'],
  pgTypes: ['integer', 'text', 'text'],
  suffix: 'ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value',
}
const TAGS_UPSERT: BulkInsert = {
  table: 'tags',
  columns: ['run_pk', 'key', 'value'],
  pgTypes: ['bigint', 'text', 'text'],
  suffix: 'ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value',
}
const PARAMS_INSERT: BulkInsert = {
  table: 'params',
  columns: ['run_pk', 'key', 'value'],
  pgTypes: ['bigint', 'text', 'text'],
  suffix: 'ON CONFLICT (run_pk, key) DO NOTHING RETURNING key',
}
const METRICS_INSERT: BulkInsert = {
  table: 'metrics',
  columns: ['run_pk', 'key', '"timestamp"', 'step', 'value', 'is_nan'],
  pgTypes: ['bigint', 'text', 'bigint', 'bigint', 'float8', 'smallint'],
  suffix: 'ON CONFLICT DO NOTHING',
}
const LATEST_METRICS_UPSERT: BulkInsert = {
  table: 'latest_metrics',
  columns: ['run_pk', 'key', '"timestamp"', 'step', 'value', 'is_nan', 'min_step', 'step_count'],
  pgTypes: ['bigint', 'text', 'bigint', 'bigint', 'float8', 'smallint', 'bigint', 'bigint'],
  suffix: `ON CONFLICT (run_pk, key) DO UPDATE SET "timestamp" = excluded."timestamp", step = excluded.step,
    value = excluded.value, is_nan = excluded.is_nan, min_step = excluded.min_step, step_count = excluded.step_count`,
}
const INPUT_TAGS_INSERT: BulkInsert = {
  table: 'input_tags',
  columns: ['input_uuid', 'name', 'value'],
  pgTypes: ['text', 'text', 'text'],
  suffix: 'ON CONFLICT (input_uuid, name) DO UPDATE SET value = excluded.value',
}
const RUN_MODELS_INSERT: BulkInsert = {
  table: 'run_models',
  columns: ['run_pk', 'direction', 'model_id', 'step'],
  pgTypes: ['bigint', 'text', 'text', 'bigint'],
  suffix: 'ON CONFLICT (run_pk, direction, model_id) DO NOTHING',
}

/** A metric point as stored: [run_pk, key, timestamp, step, value, is_nan]. */
type PointRow = [number, string, Int64Value, Int64Value, number, number]

/** Joins URI parts with exactly one `/` between them (`mlflow-artifacts:/` + `1` → `mlflow-artifacts:/1`). */
export function appendToUri(base: string, ...parts: string[]): string {
  let result = base
  for (const part of parts) result = `${result.replace(/\/+$/, '')}/${part.replace(/^\/+/, '')}`
  return result
}

/** The integer behind an experiment id, or undefined when the text cannot name a stored experiment. */
function experimentPk(experimentId: string): number | undefined {
  if (!/^\d{1,10}$/.test(experimentId)) return undefined
  const value = Number(experimentId)
  return value <= MAX_INTEGER_ID ? value : undefined
}

function requireExperimentPk(experimentId: string): number {
  const pk = experimentPk(experimentId)
  if (pk === undefined) throw experimentNotFound(experimentId)
  return pk
}

/** Last value per key wins, as repeated tags in one request overwrite each other. */
function lastPerKey(tags: readonly Tag[]): Map<string, string> {
  const byKey = new Map<string, string>()
  for (const tag of tags) byKey.set(tag.key, tag.value)
  return byKey
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The TrackingStore on SQLite or PostgreSQL; see `docs/store.md` next to the package for the design. */
export class SqlTrackingStore implements TrackingStore {
  readonly dialect: 'sqlite' | 'postgres'

  constructor(
    private readonly db: SqlDatabase,
    readonly defaultArtifactRoot: string,
  ) {
    this.dialect = db.kind
  }

  /** Creates experiment 0 unless it exists; safe when several processes open the database at once. */
  async ensureDefaultExperiment(): Promise<void> {
    const now = Date.now()
    await this.db.write((session) =>
      session.execute(
        this.db.kysely
          .insertInto('experiments')
          .values({
            experiment_id: Number(DEFAULT_EXPERIMENT_ID),
            name: DEFAULT_EXPERIMENT_NAME,
            artifact_location: appendToUri(this.defaultArtifactRoot, DEFAULT_EXPERIMENT_ID),
            lifecycle_stage: 'active',
            creation_time: now,
            last_update_time: now,
          })
          .onConflict((conflict) => conflict.doNothing()),
      ),
    )
  }

  // Experiments

  async createExperiment(input: CreateExperimentInput): Promise<string> {
    return this.db.write(async (session) => {
      const now = Date.now()
      let experimentId: number
      try {
        const [row] = await session.select(
          this.db.kysely
            .insertInto('experiments')
            .values({
              name: input.name,
              artifact_location: input.artifactLocation ?? '',
              lifecycle_stage: 'active',
              creation_time: now,
              last_update_time: now,
            })
            .returning('experiment_id'),
        )
        experimentId = row!.experiment_id
      } catch (error) {
        if (this.db.isUniqueViolation(error)) throw experimentNameTaken(input.name, error)
        throw error
      }
      if (!input.artifactLocation) {
        await session.executeRaw('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?', [
          appendToUri(this.defaultArtifactRoot, String(experimentId)),
          experimentId,
        ])
      }
      const tags = lastPerKey(input.tags ?? [])
      if (tags.size > 0) {
        await session.insertMany(
          EXPERIMENT_TAGS_UPSERT,
          [...tags].map(([key, value]) => [experimentId, key, value]),
        )
      }
      return String(experimentId)
    })
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const pk = requireExperimentPk(experimentId)
    return this.db.read(async (session) => {
      const [row] = await session.select(
        this.db.kysely.selectFrom('experiments').selectAll().where('experiment_id', '=', pk),
      )
      if (!row) throw experimentNotFound(experimentId)
      return toExperiment(row, await this.experimentTags(session, [pk]).then((tags) => tags.get(pk) ?? []))
    })
  }

  async findExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.db.read(async (session) => {
      const [row] = await session.select(
        this.db.kysely.selectFrom('experiments').selectAll().where('name', '=', name),
      )
      if (!row) return undefined
      const tags = await this.experimentTags(session, [row.experiment_id])
      return toExperiment(row, tags.get(row.experiment_id) ?? [])
    })
  }

  async searchExperiments(input: SearchExperimentsInput): Promise<Page<Experiment>> {
    const query = buildSearchExperimentsQuery(this.db, input)
    return this.db.read(async (session) => {
      const rows = await session.select<ExperimentRow>(query)
      const page: Page<Experiment> = { items: [] }
      if (rows.length > input.maxResults) {
        rows.length = input.maxResults
        page.nextOffset = input.offset + input.maxResults
      }
      const tags = await this.experimentTags(
        session,
        rows.map((row) => row.experiment_id),
      )
      page.items = rows.map((row) => toExperiment(row, tags.get(row.experiment_id) ?? []))
      return page
    })
  }

  private async experimentTags(session: Session, pks: number[]): Promise<Map<number, Tag[]>> {
    const tags = new Map<number, Tag[]>()
    if (pks.length === 0) return tags
    const rows = await session.select(
      sql<{ experiment_id: number; key: string; value: string }>`SELECT experiment_id, key, value
        FROM experiment_tags WHERE ${this.db.inList(sql.ref('experiment_id'), pks)} ORDER BY experiment_id, key`,
    )
    for (const row of rows) {
      let list = tags.get(row.experiment_id)
      if (!list) {
        list = []
        tags.set(row.experiment_id, list)
      }
      list.push({ key: row.key, value: row.value })
    }
    return tags
  }

  /** The experiment row in a write transaction, locked against concurrent lifecycle changes on PostgreSQL. */
  private async lockExperiment(session: Session, experimentId: string): Promise<ExperimentRow> {
    const pk = requireExperimentPk(experimentId)
    const [row] = await session.select(
      sql<ExperimentRow>`SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
        FROM experiments WHERE experiment_id = ${pk} ${sql.raw(this.db.lockRowSuffix)}`,
    )
    if (!row) throw experimentNotFound(experimentId)
    return row
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.db.write(async (session) => {
      const row = await this.lockExperiment(session, experimentId)
      if (row.lifecycle_stage !== 'active') throw experimentNotFound(experimentId)
      const now = Date.now()
      await session.executeRaw(
        "UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ? WHERE experiment_id = ?",
        [now, row.experiment_id],
      )
      await session.executeRaw(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ?",
        [now, row.experiment_id],
      )
    })
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.db.write(async (session) => {
      const row = await this.lockExperiment(session, experimentId)
      if (row.lifecycle_stage !== 'deleted') throw experimentNotFound(experimentId)
      await session.executeRaw(
        "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ? WHERE experiment_id = ?",
        [Date.now(), row.experiment_id],
      )
      await session.executeRaw(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ?",
        [row.experiment_id],
      )
    })
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.db.write(async (session) => {
      const row = await this.lockExperiment(session, experimentId)
      if (row.lifecycle_stage !== 'active') {
        throw new MlflowError('INVALID_STATE', 'Cannot rename a non-active experiment.')
      }
      try {
        await session.executeRaw(
          'UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?',
          [newName, Date.now(), row.experiment_id],
        )
      } catch (error) {
        if (this.db.isUniqueViolation(error)) throw experimentNameTaken(newName, error)
        throw error
      }
    })
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    await this.db.write(async (session) => {
      const row = await this.lockExperiment(session, experimentId)
      await session.insertMany(EXPERIMENT_TAGS_UPSERT, [[row.experiment_id, tag.key, tag.value]])
    })
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.db.write(async (session) => {
      const row = await this.lockExperiment(session, experimentId)
      const deleted = await session.executeRaw(
        'DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?',
        [row.experiment_id, key],
      )
      if (deleted === 0) {
        throw new MlflowError(
          'RESOURCE_DOES_NOT_EXIST',
          `No tag with name: ${key} in experiment with id ${experimentId}`,
        )
      }
    })
  }

  // Runs

  async createRun(input: CreateRunInput): Promise<Run> {
    const pk = requireExperimentPk(input.experimentId)
    return this.db.write(async (session) => {
      const [experiment] = await session.selectRows(
        'SELECT artifact_location FROM experiments WHERE experiment_id = ?',
        [pk],
      )
      if (!experiment) throw experimentNotFound(input.experimentId)
      const runId = randomUUID().replaceAll('-', '')
      const artifactUri = appendToUri(experiment[0] as string, runId, 'artifacts')
      const [inserted] = await session.selectRows(
        `INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, deleted_time,
           lifecycle_stage, artifact_uri)
         VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, NULL, 'active', ?) RETURNING run_pk`,
        [runId, pk, input.runName, input.userId, input.startTime, artifactUri],
      )
      const runPk = Number(inserted![0])
      const tags = lastPerKey(input.tags)
      tags.set(TAG_RUN_NAME, input.runName)
      const sortedTags = [...tags].sort(([a], [b]) => compareText(a, b))
      await session.insertMany(
        TAGS_UPSERT,
        sortedTags.map(([key, value]) => [runPk, key, value]),
      )
      return {
        info: {
          runId,
          runName: input.runName,
          experimentId: String(pk),
          userId: input.userId,
          status: 'RUNNING',
          startTime: input.startTime,
          artifactUri,
          lifecycleStage: 'active',
        },
        data: { metrics: [], params: [], tags: sortedTags.map(([key, value]) => ({ key, value })) },
        inputs: { datasetInputs: [], modelInputs: [] },
        outputs: { modelOutputs: [] },
      }
    })
  }

  private async findRunRow(session: Session, runId: string, lock = false): Promise<RunRow> {
    const [row] = await session.select(
      sql<RunRow>`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_uuid = ${runId} ${sql.raw(lock ? this.db.lockRowSuffix : '')}`,
    )
    if (!row) throw runNotFound(runId)
    return row
  }

  async getRun(runId: string): Promise<Run> {
    return this.db.read(async (session) => {
      const [run] = await loadRuns(this.db, session, [await this.findRunRow(session, runId)])
      return run!
    })
  }

  async getRunInfo(runId: string): Promise<RunInfo> {
    return this.db.read(async (session) => toRunInfo(await this.findRunRow(session, runId)))
  }

  async updateRun(input: UpdateRunInput): Promise<RunInfo> {
    return this.db.write(async (session) => {
      const row = await this.findRunRow(session, input.runId, true)
      const changes: { status?: string; end_time?: number; name?: string } = {}
      if (input.status !== undefined) changes.status = input.status
      if (input.endTime !== undefined) changes.end_time = input.endTime
      if (input.runName) changes.name = input.runName
      if (Object.keys(changes).length > 0) {
        await session.execute(
          this.db.kysely.updateTable('runs').set(changes).where('run_pk', '=', row.run_pk),
        )
      }
      if (input.runName) await session.insertMany(TAGS_UPSERT, [[row.run_pk, TAG_RUN_NAME, input.runName]])
      return toRunInfo({ ...row, ...changes })
    })
  }

  async deleteRun(runId: string): Promise<void> {
    const changed = await this.db.write((session) =>
      session.executeRaw("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_uuid = ?", [
        Date.now(),
        runId,
      ]),
    )
    if (changed === 0) throw runNotFound(runId)
  }

  async restoreRun(runId: string): Promise<void> {
    const changed = await this.db.write((session) =>
      session.executeRaw(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?",
        [runId],
      ),
    )
    if (changed === 0) throw runNotFound(runId)
  }

  /** Locks the run row (PostgreSQL: one writer per run at a time) and returns its key. */
  private async lockRun(session: Session, runId: string): Promise<number> {
    const [row] = await session.selectRows(
      `SELECT run_pk FROM runs WHERE run_uuid = ? ${this.db.lockRowSuffix}`,
      [runId],
    )
    if (!row) throw runNotFound(runId)
    return Number(row[0])
  }

  async logBatch(input: LogBatchInput): Promise<void> {
    await this.db.write(async (session) => {
      const runPk = await this.lockRun(session, input.runId)
      if (input.params.length > 0) await this.writeParams(session, runPk, input.runId, input.params)
      if (input.metrics.length > 0) await this.writeMetrics(session, runPk, input.metrics)
      if (input.tags.length > 0) {
        const tags = lastPerKey(input.tags)
        await session.insertMany(
          TAGS_UPSERT,
          [...tags].sort(([a], [b]) => compareText(a, b)).map(([key, value]) => [runPk, key, value]),
        )
        const runName = tags.get(TAG_RUN_NAME)
        if (runName !== undefined)
          await session.executeRaw('UPDATE runs SET name = ? WHERE run_pk = ?', [runName, runPk])
      }
    })
  }

  /** Params are write-once: a new value for a logged key fails the whole batch. */
  private async writeParams(
    session: Session,
    runPk: number,
    runId: string,
    params: readonly Param[],
  ): Promise<void> {
    const values = new Map<string, string>()
    const conflicts: ParamConflict[] = []
    for (const param of params) {
      const previous = values.get(param.key)
      if (previous === undefined) values.set(param.key, param.value)
      else if (previous !== param.value)
        conflicts.push({ key: param.key, oldValue: previous, newValue: param.value })
    }
    if (conflicts.length > 0) throw paramsChanged(runId, conflicts)
    const rows = [...values].sort(([a], [b]) => compareText(a, b))
    const inserted = await session.insertMany(
      PARAMS_INSERT,
      rows.map(([key, value]) => [runPk, key, value]),
    )
    if (inserted.length === rows.length) return
    const insertedKeys = new Set(inserted.map((row) => row[0] as string))
    const skipped = rows.filter(([key]) => !insertedKeys.has(key))
    const existing = new Map(
      (
        await session.selectRows(
          `SELECT key, value FROM params WHERE run_pk = ? AND key ${this.db.listSql}`,
          [runPk, this.db.listParameter(skipped.map(([key]) => key))],
        )
      ).map((row) => [row[0] as string, row[1] as string]),
    )
    for (const [key, value] of skipped) {
      const oldValue = existing.get(key)
      if (oldValue !== undefined && oldValue !== value) conflicts.push({ key, oldValue, newValue: value })
    }
    if (conflicts.length > 0) throw paramsChanged(runId, conflicts)
  }

  /**
   * Inserts points (identical ones are ignored) and updates `latest_metrics` in the same transaction:
   * the latest point per key (greatest (step, timestamp, value), NaN comparing as 0 as in MLflow) and the
   * distinct-step statistics. The run lock taken by logBatch makes the read-modify-write safe.
   */
  private async writeMetrics(session: Session, runPk: number, metrics: readonly Metric[]): Promise<void> {
    // Identical points need no filtering here: the INSERT ignores them and they change neither the latest
    // point nor the set of steps.
    const byKey = new Map<string, PointRow[]>()
    for (const metric of metrics) {
      const { value, isNan } = sanitizeMetricValue(metric.value)
      const point: PointRow = [
        runPk,
        metric.key,
        toInt64Value(metric.timestamp),
        toInt64Value(metric.step),
        value,
        isNan,
      ]
      let list = byKey.get(metric.key)
      if (!list) {
        list = []
        byKey.set(metric.key, list)
      }
      list.push(point)
    }
    const keys = [...byKey.keys()].sort(compareText)
    const latest = new Map<string, unknown[]>()
    for (const row of await session.selectRows(
      `SELECT key, "timestamp", step, value, is_nan, min_step, step_count FROM latest_metrics
       WHERE run_pk = ? AND key ${this.db.listSql}`,
      [runPk, this.db.listParameter(keys)],
      { exactIntegers: true },
    )) {
      latest.set(row[0] as string, row)
    }

    const updates: unknown[][] = []
    for (const key of keys) {
      const keyPoints = byKey.get(key)!
      const existing = latest.get(key)
      let best: readonly unknown[] | undefined = existing
        ? [runPk, key, existing[1], existing[2], existing[3], existing[4]]
        : undefined
      let changed = false
      for (const point of keyPoints) {
        if (best === undefined || isLater(point, best)) {
          best = point
          changed = true
        }
      }
      // Canonical Int64Values: equal steps are one Set entry, and `<` compares numbers and bigints exactly.
      const steps = new Set(keyPoints.map((point) => point[3]))
      let minStep = minimum(steps)
      let stepCount = steps.size
      if (existing) {
        const maxStep = existing[2] as Int64Value
        const candidates = [...steps].filter((step) => step <= maxStep)
        if (candidates.length > 0) {
          const present = await session.selectRows(
            `SELECT DISTINCT step FROM metrics WHERE run_pk = ? AND key = ? AND step ${this.db.listSql}`,
            [runPk, key, this.db.listParameter(candidates)],
          )
          stepCount -= present.length
        }
        const existingMinStep = existing[5] as Int64Value
        if (existingMinStep < minStep) minStep = existingMinStep
        stepCount += Number(existing[6])
        if (!changed && stepCount === Number(existing[6]) && minStep === existingMinStep) continue
      }
      updates.push([runPk, key, best![2], best![3], best![4], best![5], minStep, stepCount])
    }
    // Grouped by key, rows land next to each other in the (run, key, timestamp, …) b-tree.
    await session.insertMany(
      METRICS_INSERT,
      keys.flatMap((key) => byKey.get(key)!),
    )
    if (updates.length > 0) await session.insertMany(LATEST_METRICS_UPSERT, updates)
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.db.write(async (session) => {
      const runPk = await this.lockRun(session, runId)
      const deleted = await session.executeRaw('DELETE FROM tags WHERE run_pk = ? AND key = ?', [runPk, key])
      if (deleted === 0) {
        throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No tag with name: ${key} in run with id ${runId}`)
      }
    })
  }

  /**
   * Datasets are shared per experiment by (name, digest); a dataset already linked to the run keeps its
   * original input tags. The first of several inputs with the same (name, digest) wins, as in MLflow.
   */
  async logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[]): Promise<void> {
    await this.db.write(async (session) => {
      const row = await this.findRunRow(session, runId, true)
      const unique = new Map<string, DatasetInput>()
      for (const input of datasets) {
        const identity = `${input.dataset.name}\u0000${input.dataset.digest}`
        if (!unique.has(identity)) unique.set(identity, input)
      }
      for (const input of unique.values()) {
        const datasetUuid = await this.findOrCreateDataset(session, row.experiment_id, input)
        const inputUuid = randomUUID().replaceAll('-', '')
        const created = await session.executeRaw(
          'INSERT INTO inputs (input_uuid, dataset_uuid, run_pk) VALUES (?, ?, ?) ON CONFLICT (run_pk, dataset_uuid) DO NOTHING',
          [inputUuid, datasetUuid, row.run_pk],
        )
        if (created === 0 || input.tags.length === 0) continue
        const tags = lastPerKey(input.tags)
        await session.insertMany(
          INPUT_TAGS_INSERT,
          [...tags].map(([name, value]) => [inputUuid, name, value]),
        )
      }
      const modelIds = [...new Set(models.map((model) => model.modelId))]
      if (modelIds.length > 0) {
        await session.insertMany(
          RUN_MODELS_INSERT,
          modelIds.map((modelId) => [row.run_pk, 'input', modelId, 0]),
        )
      }
    })
  }

  private async findOrCreateDataset(
    session: Session,
    experimentId: number,
    input: DatasetInput,
  ): Promise<string> {
    const { dataset } = input
    const select = 'SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?'
    const [existing] = await session.selectRows(select, [experimentId, dataset.name, dataset.digest])
    if (existing) return existing[0] as string
    const datasetUuid = randomUUID().replaceAll('-', '')
    await session.executeRaw(
      `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source,
         dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
      [
        datasetUuid,
        experimentId,
        dataset.name,
        dataset.digest,
        dataset.sourceType,
        dataset.source,
        dataset.schema ?? null,
        dataset.profile ?? null,
      ],
    )
    // Another transaction may have created it first (PostgreSQL); its row is the one to use.
    const [row] = await session.selectRows(select, [experimentId, dataset.name, dataset.digest])
    return row![0] as string
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    await this.db.write(async (session) => {
      const runPk = await this.lockRun(session, runId)
      const byModel = new Map<string, number>()
      for (const model of models) if (!byModel.has(model.modelId)) byModel.set(model.modelId, model.step)
      if (byModel.size === 0) return
      await session.insertMany(
        RUN_MODELS_INSERT,
        [...byModel].map(([modelId, step]) => [runPk, 'output', modelId, step]),
      )
    })
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    const experimentIds = input.experimentIds.filter((id) => experimentPk(id) !== undefined)
    if (experimentIds.length === 0 || input.maxResults <= 0) return { items: [] }
    const search = { ...input, experimentIds }
    return this.db.read(async (session) => {
      const choice =
        this.db.kind === 'sqlite' ? await chooseSearchDriver(this.db, session, search) : undefined
      const rows =
        (choice && (await searchByOrderIndex(this.db, session, search, choice.count))) ??
        (await session.select<RunRow>(buildSearchRunsQuery(this.db, search, choice?.driver)))
      const items = await loadRuns(this.db, session, rows)
      const page: Page<Run> = { items }
      if (rows.length === input.maxResults) page.nextOffset = input.offset + input.maxResults
      return page
    })
  }

  // Metric history

  getMetricHistory(input: MetricHistoryInput): Promise<MetricHistoryPage> {
    return getMetricHistory(this.db, input)
  }

  getMetricHistoryJson(input: MetricHistoryInput & { maxResults: number }): Promise<MetricHistoryJsonPage> {
    return getMetricHistoryJson(this.db, input)
  }

  streamMetricHistory(runId: string, metricKey: string): AsyncIterable<Metric[]> {
    return streamMetricHistory(this.db, runId, metricKey)
  }

  streamMetricHistoryJson(runId: string, metricKey: string): AsyncIterable<string> {
    return streamMetricHistoryJson(this.db, runId, metricKey)
  }

  getMetricHistoryBulk(input: MetricHistoryBulkInput): Promise<Metric[]> {
    return getMetricHistoryBulk(this.db, input)
  }

  getMetricHistoryBulkInterval(input: MetricHistoryBulkIntervalInput): Promise<Metric[]> {
    return getMetricHistoryBulkInterval(this.db, input)
  }

  getMetricHistoryBuckets(input: MetricBucketsInput): Promise<MetricBucket[]> {
    return getMetricHistoryBuckets(this.db, input)
  }

  async searchDatasets(experimentIds: string[]): Promise<DatasetSummary[]> {
    const pks = experimentIds.map(experimentPk).filter((pk): pk is number => pk !== undefined)
    if (pks.length === 0) return []
    const rows = await this.db.read((session) =>
      session.select(
        sql<{ experiment_id: number; name: string; digest: string; context: string | null }>`
          SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value AS context
          FROM datasets d
          JOIN inputs i ON i.dataset_uuid = d.dataset_uuid
          LEFT JOIN input_tags t ON t.input_uuid = i.input_uuid AND t.name = ${TAG_DATASET_CONTEXT}
          WHERE ${this.db.inList(sql.ref('d.experiment_id'), pks)}
          ORDER BY d.experiment_id, d.name, d.digest, context
          LIMIT ${MAX_DATASET_SUMMARIES}`,
      ),
    )
    return rows.map((row) => {
      const summary: DatasetSummary = {
        experimentId: String(row.experiment_id),
        name: row.name,
        digest: row.digest,
      }
      if (row.context !== null) summary.context = row.context
      return summary
    })
  }

  // Garbage collection

  async listDeletedRunIds(options: { olderThan?: number; experimentIds?: string[] } = {}): Promise<string[]> {
    let query = this.db.kysely
      .selectFrom('runs')
      .select('run_uuid')
      .where('lifecycle_stage', '=', 'deleted')
      .orderBy('run_uuid')
    if (options.olderThan !== undefined)
      query = query.where('deleted_time', '<=', Date.now() - options.olderThan)
    if (options.experimentIds !== undefined) {
      const pks = options.experimentIds.map(experimentPk).filter((pk): pk is number => pk !== undefined)
      if (pks.length === 0) return []
      query = query.where('experiment_id', 'in', pks)
    }
    const rows = await this.db.read((session) => session.select(query))
    return rows.map((row) => row.run_uuid)
  }

  async listDeletedExperimentIds(): Promise<string[]> {
    const rows = await this.db.read((session) =>
      session.select(
        this.db.kysely
          .selectFrom('experiments')
          .select('experiment_id')
          .where('lifecycle_stage', '=', 'deleted')
          .orderBy('experiment_id'),
      ),
    )
    return rows.map((row) => String(row.experiment_id))
  }

  async purgeRun(runId: string): Promise<void> {
    await this.db.write(async (session) => {
      const [row] = await session.selectRows('SELECT run_pk FROM runs WHERE run_uuid = ?', [runId])
      if (!row) throw runNotFound(runId)
      await session.executeRaw('DELETE FROM metrics WHERE run_pk = ?', [row[0]])
      // Params, tags, latest metrics, inputs and model links go by ON DELETE CASCADE.
      await session.executeRaw('DELETE FROM runs WHERE run_pk = ?', [row[0]])
    })
  }

  /** Removes a deleted experiment with whatever is left of its runs, datasets and tags. */
  async purgeExperiment(experimentId: string): Promise<void> {
    await this.db.write(async (session) => {
      const row = await this.lockExperiment(session, experimentId)
      if (row.lifecycle_stage !== 'deleted') throw experimentNotFound(experimentId)
      await session.executeRaw(
        'DELETE FROM metrics WHERE run_pk IN (SELECT run_pk FROM runs WHERE experiment_id = ?)',
        [row.experiment_id],
      )
      await session.executeRaw('DELETE FROM runs WHERE experiment_id = ?', [row.experiment_id])
      await session.executeRaw('DELETE FROM experiments WHERE experiment_id = ?', [row.experiment_id])
    })
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

/** The smallest of several steps (not empty). */
function minimum(steps: Iterable<Int64Value>): Int64Value {
  let smallest: Int64Value | undefined
  for (const step of steps) if (smallest === undefined || step < smallest) smallest = step
  return smallest!
}

/** Whether `point` comes after `latest` in (step, timestamp, value) order; steps and timestamps are Int64Values. */
function isLater(point: readonly unknown[], latest: readonly unknown[]): boolean {
  const step = point[3] as Int64Value
  const latestStep = latest[3] as Int64Value
  if (step !== latestStep) return step > latestStep
  const timestamp = point[2] as Int64Value
  const latestTimestamp = latest[2] as Int64Value
  if (timestamp !== latestTimestamp) return timestamp > latestTimestamp
  return Number(point[4]) > Number(latest[4])
}

const SEARCH_COUNT_CAP = 100_000

/**
 * SQLite has no planner statistics (ANALYZE is too slow to run on a live server), so searchRuns picks the
 * table to start from itself: it counts the rows each top-level value comparison matches and the runs of
 * the experiments, each count stopping as soon as it exceeds the smallest so far, and starts from the
 * smallest. Equality comparisons are counted first since they are usually the most selective.
 */
async function chooseSearchDriver(
  db: SqlDatabase,
  session: Session,
  input: SearchRunsInput,
): Promise<{ driver: number; count: number } | undefined> {
  const joins = valueJoins(input.filter)
  if (joins.length === 0) return undefined
  const rank = (join: ValueJoin) =>
    join.comparison.comparator === '=' || join.comparison.comparator === 'IN' ? 0 : 2
  const candidates: { driver: number; rank: number }[] = [
    ...joins.map((join, index) => ({ driver: index, rank: rank(join) })),
    { driver: -1, rank: 1 },
  ].sort((a, b) => a.rank - b.rank)
  let best = candidates[0]!.driver
  let bestCount = SEARCH_COUNT_CAP
  for (const { driver } of candidates) {
    const query =
      driver < 0 ? countCandidateRuns(input, bestCount) : countValueJoin(db, joins[driver]!, bestCount)
    const [row] = await session.select(query)
    const count = Number(row?.n ?? 0)
    if (count < bestCount) {
      best = driver
      bestCount = count
    }
  }
  return { driver: best, count: bestCount }
}

/**
 * SQLite, ordered by one metric: the page read in the metric's index order, stopping once it is full, over
 * at most `cap` index entries (the row count of the join-driven plan, so the attempt never costs more than
 * that plan). Returns undefined when the answer might not be the true page: too few matches among the
 * entries read (NaN or missing values may follow), or a tie on the metric value at the end of the range
 * read (a run past it could sort first on start time or run id).
 */
async function searchByOrderIndex(
  db: SqlDatabase,
  session: Session,
  input: SearchRunsInput,
  cap: number,
): Promise<RunRow[] | undefined> {
  const wanted = input.offset + input.maxResults
  if (!orderDrivenSearchApplies(db, input) || cap < wanted) return undefined
  const rows = await session.select(buildOrderDrivenSearchQuery(db, input, cap))
  if (rows.length < wanted) return undefined
  const [boundary] = await session.select(orderDrivenBoundary(input, cap))
  if (boundary) {
    const last = rows[rows.length - 1]!.order_value
    const beforeBoundary = input.orderBy[0]!.ascending ? last < boundary.value : last > boundary.value
    if (!beforeBoundary) return undefined
  }
  return rows.slice(input.offset)
}
