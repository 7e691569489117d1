import type {
  DatasetInput,
  Metric,
  ModelInput,
  ModelOutput,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from '@cairn/core'
import {
  DEFAULT_EXPERIMENT_ID,
  invalidParameter,
  MAX_ENTITY_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  parseOrderBy,
  parseSearchFilter,
  pythonRepr,
  SEARCH_RUNS_DEFAULT_MAX_RESULTS,
  TAG_LOG_MODEL_HISTORY,
  TAG_RUN_NAME,
  TAG_USER,
} from '@cairn/core'
import type { TrackingStore } from '@cairn/store'
import type { ExperimentService } from './experiment-service.js'
import { generateRunName } from './generate-run-name.js'
import { offsetFromPageToken, pageTokenFromOffset, validateMaxResults } from './paging.js'
import { pythonJsonDumps } from './python-format.js'
import type { ServiceOptions } from './service-options.js'
import {
  notActiveError,
  parseExperimentId,
  validateBatchLimits,
  validateDatasetInputs,
  validateLengthLimit,
  validateMetric,
  validateModelId,
  validateParam,
  validateParamKeysUnique,
  validateRunId,
  validateRunTag,
} from './validation.js'

export interface CreateRunOptions {
  experimentId?: string
  userId?: string
  runName?: string
  startTime?: number
  tags: Tag[]
}

export interface UpdateRunOptions {
  runId: string
  status?: RunStatus
  endTime?: number
  runName?: string
}

export interface LogBatchOptions {
  runId: string
  metrics: Metric[]
  params: Param[]
  tags: Tag[]
}

export interface SearchRunsOptions {
  experimentIds: string[]
  filter?: string
  viewType?: ViewType
  maxResults?: number
  orderBy?: string[]
  pageToken?: string
}

export interface RunPage {
  runs: Run[]
  nextPageToken?: string
}

const MODEL_JSON_REQUIRED_FIELDS = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'] as const
const MODEL_HISTORY_FIELDS = ['run_id', 'artifact_path', 'utc_time_created', 'model_uuid'] as const

/** Runs: creation, updates, logging and search. */
export class RunService {
  constructor(
    private readonly store: TrackingStore,
    private readonly experiments: ExperimentService,
    private readonly options: ServiceOptions,
  ) {}

  async createRun(input: CreateRunOptions): Promise<Run> {
    const experiment = await this.experiments.getActiveExperiment(input.experimentId || DEFAULT_EXPERIMENT_ID)
    const tags = input.tags.map((tag, index) => {
      validateLengthLimit({ name: `tags[${index}].key`, limit: MAX_ENTITY_KEY_LENGTH, value: tag.key })
      const value = validateLengthLimit({
        name: `tags[${index}].value`,
        limit: MAX_TAG_VALUE_LENGTH,
        value: tag.value,
        truncate: this.options.truncateLongValues,
      })
      return value === tag.value ? tag : { key: tag.key, value }
    })
    const runNameTag = tags.find((tag) => tag.key === TAG_RUN_NAME)?.value
    if (input.runName && runNameTag && input.runName !== runNameTag) {
      throw invalidParameter(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${runNameTag}').`,
      )
    }
    const runName = this.checkRunName(input.runName || runNameTag || generateRunName())
    if (!runNameTag) tags.push({ key: TAG_RUN_NAME, value: runName })
    const userId = input.userId || tags.find((tag) => tag.key === TAG_USER)?.value || 'unknown'
    return this.store.createRun({
      experimentId: experiment.experimentId,
      userId,
      runName,
      startTime: input.startTime ?? Date.now(),
      tags,
    })
  }

  async getRun(runId: string): Promise<Run> {
    return this.store.getRun(runId)
  }

  async updateRun(input: UpdateRunOptions): Promise<RunInfo> {
    await this.getActiveRunInfo(input.runId)
    return this.store.updateRun({
      runId: input.runId,
      status: input.status,
      endTime: input.endTime,
      runName: input.runName ? this.checkRunName(input.runName) : undefined,
    })
  }

  async deleteRun(runId: string): Promise<void> {
    await this.store.deleteRun(runId)
  }

  async restoreRun(runId: string): Promise<void> {
    await this.store.restoreRun(runId)
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    validateMetric(metric)
    await this.getActiveRunInfo(runId)
    await this.store.logBatch({ runId, metrics: [metric], params: [], tags: [] })
  }

  async logParam(runId: string, param: Param): Promise<void> {
    const checked = validateParam(param, '', this.options)
    await this.getActiveRunInfo(runId)
    await this.store.logBatch({ runId, metrics: [], params: [checked], tags: [] })
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    const checked = validateRunTag(tag, '', this.options)
    await this.getActiveRunInfo(runId)
    await this.store.logBatch({ runId, metrics: [], params: [], tags: withoutEmptyRunName([checked]) })
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.getActiveRunInfo(runId)
    await this.store.deleteTag(runId, key)
  }

  async logBatch(input: LogBatchOptions): Promise<void> {
    const { runId, metrics } = input
    validateRunId(runId)
    const checkedKeys = new Set<string>()
    for (let index = 0; index < metrics.length; index++) {
      validateMetric(metrics[index]!, index, checkedKeys)
    }
    const params = input.params.map((param, index) => validateParam(param, `params[${index}]`, this.options))
    const tags = input.tags.map((tag, index) => validateRunTag(tag, `tags[${index}]`, this.options))
    validateBatchLimits({ metrics: metrics.length, params: params.length, tags: tags.length })
    validateParamKeysUnique(params)
    await this.getActiveRunInfo(runId)
    await this.store.logBatch({ runId, metrics, params, tags: withoutEmptyRunName(tags) })
  }

  /** Appends a model's summary to the run's `mlflow.log-model.history` tag. */
  async logModel(runId: string, modelJson: string): Promise<void> {
    let model: unknown
    try {
      model = JSON.parse(modelJson)
    } catch {
      model = undefined
    }
    if (model === null || typeof model !== 'object' || Array.isArray(model)) {
      throw invalidParameter(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`)
    }
    const fields = model as Record<string, unknown>
    const missing = MODEL_JSON_REQUIRED_FIELDS.filter((field) => !(field in fields))
    if (missing.length > 0) {
      throw invalidParameter(
        `Model json is missing mandatory fields: {${missing.map((field) => pythonRepr(field)).join(', ')}}`,
      )
    }
    const entry: Record<string, unknown> = {}
    for (const field of MODEL_HISTORY_FIELDS) {
      if (field in fields || field === 'model_uuid') entry[field] = fields[field] ?? null
    }
    entry.flavors = withoutFlavorConfig(fields.flavors)

    await this.getActiveRunInfo(runId)
    const run = await this.store.getRun(runId)
    const previous = run.data.tags.find((tag) => tag.key === TAG_LOG_MODEL_HISTORY)?.value
    const history = [...parseHistory(previous), entry]
    let value = pythonJsonDumps(history, [', ', ': '])
    // Keep the tag valid JSON within the tag limit by dropping the oldest entries first.
    while (value.length > MAX_TAG_VALUE_LENGTH && history.length > 1) {
      history.shift()
      value = pythonJsonDumps(history, [', ', ': '])
    }
    const tag = validateRunTag({ key: TAG_LOG_MODEL_HISTORY, value }, '', this.options)
    await this.store.logBatch({ runId, metrics: [], params: [], tags: [tag] })
  }

  async logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[]): Promise<void> {
    validateRunId(runId)
    validateDatasetInputs(datasets)
    for (const model of models) validateModelId(model.modelId)
    await this.getActiveRunInfo(runId)
    await this.store.logInputs(runId, datasets, models)
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    for (const model of models) validateModelId(model.modelId)
    await this.getActiveRunInfo(runId)
    await this.store.logOutputs(runId, models)
  }

  async searchRuns(input: SearchRunsOptions): Promise<RunPage> {
    const maxResults = input.maxResults ?? SEARCH_RUNS_DEFAULT_MAX_RESULTS
    validateMaxResults(maxResults)
    const experimentIds: string[] = []
    for (const experimentId of input.experimentIds) {
      const id = parseExperimentId(experimentId)
      if (id !== undefined) experimentIds.push(id)
    }
    const filter = input.filter ? parseSearchFilter(input.filter, 'runs') : undefined
    const orderBy = parseOrderBy(input.orderBy ?? [], 'runs')
    const offset = offsetFromPageToken(input.pageToken)
    if (experimentIds.length === 0) return { runs: [] }
    const page = await this.store.searchRuns({
      experimentIds,
      filter,
      viewType: input.viewType ?? 'ACTIVE_ONLY',
      maxResults,
      orderBy,
      offset,
    })
    return { runs: page.items, nextPageToken: pageTokenFromOffset(page.nextOffset) }
  }

  /** The run name is mirrored in the `mlflow.runName` tag, so it follows the tag value limit. */
  private checkRunName(runName: string): string {
    return validateLengthLimit({
      name: 'run_name',
      limit: MAX_TAG_VALUE_LENGTH,
      value: runName,
      truncate: this.options.truncateLongValues,
    })
  }

  /** A run that may be written to: it exists and is not deleted. */
  async getActiveRunInfo(runId: string): Promise<RunInfo> {
    const info = await this.store.getRunInfo(runId)
    if (info.lifecycleStage !== 'active') throw notActiveError('run', info.runId, info.lifecycleStage)
    return info
  }
}

/**
 * The store keeps the run name and its `mlflow.runName` tag in sync. Setting the tag to `""`
 * changes neither, as in MLflow (an empty name is not a rename).
 */
function withoutEmptyRunName(tags: Tag[]): Tag[] {
  return tags.some((tag) => tag.key === TAG_RUN_NAME && tag.value === '')
    ? tags.filter((tag) => tag.key !== TAG_RUN_NAME || tag.value !== '')
    : tags
}

function withoutFlavorConfig(flavors: unknown): unknown {
  if (flavors === null || typeof flavors !== 'object' || Array.isArray(flavors)) return flavors
  const result: Record<string, unknown> = {}
  for (const [name, config] of Object.entries(flavors)) {
    if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
      const { config: _omitted, ...rest } = config as Record<string, unknown>
      result[name] = rest
    } else {
      result[name] = config
    }
  }
  return result
}

function parseHistory(value: string | undefined): unknown[] {
  if (!value) return []
  try {
    const parsed: unknown = JSON.parse(value)
    return Array.isArray(parsed) ? parsed : []
  } catch {
    return []
  }
}
