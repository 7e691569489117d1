import type { DatasetInput, Metric, Param, Tag } from '@cairn/core'
import {
  invalidParameter,
  MAX_DATASET_DIGEST_LENGTH,
  MAX_DATASET_NAME_LENGTH,
  MAX_DATASET_PROFILE_LENGTH,
  MAX_DATASET_SCHEMA_LENGTH,
  MAX_DATASET_SOURCE_LENGTH,
  MAX_ENTITIES_PER_BATCH,
  MAX_ENTITY_KEY_LENGTH,
  MAX_EXPERIMENT_NAME_LENGTH,
  MAX_EXPERIMENT_TAG_KEY_LENGTH,
  MAX_EXPERIMENT_TAG_VALUE_LENGTH,
  MAX_INPUT_TAG_KEY_LENGTH,
  MAX_INPUT_TAG_VALUE_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_TAG_VALUE_LENGTH,
  type MlflowError,
  pythonRepr,
} from '@cairn/core'
import {
  codePointLength,
  posixNormpath,
  pythonFloatRepr,
  pythonJsonDumps,
  truncateCodePoints,
} from './python-format.js'

/** `Invalid value <json> for parameter '<path>' supplied[: <detail>]`, as MLflow words it. */
export function invalidValueMessage(path: string, value: unknown, detail?: string): string {
  const formatted = pythonJsonDumps(value)
  return detail
    ? `Invalid value ${formatted} for parameter '${path}' supplied: ${detail}`
    : `Invalid value ${formatted} for parameter '${path}' supplied.`
}

export function missingValueMessage(path: string): string {
  return `Missing value for required parameter '${path}'.`
}

export function exceedsMaximumLengthMessage(path: string, limit: number): string {
  return `'${path}' exceeds the maximum length of ${limit} characters`
}

function joinPath(path: string, field: string): string {
  return path ? `${path}.${field}` : field
}

// Python's `\w` is Unicode-aware; `$` also matches before one trailing newline.
const KEY_PATTERN = /^[/\p{L}\p{N}_.\- :]*\n?$/u
const RUN_ID_PATTERN = /^[a-zA-Z0-9][\w-]{0,255}$/
const BAD_CHARACTERS_MESSAGE =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).'

function pathNotUnique(name: string): boolean {
  // Without a slash, normpath changes nothing but '' and '.'; this is the common case.
  if (!name.includes('/')) return name === '' || name === '.' || name.startsWith('..')
  const normalised = posixNormpath(name)
  return (
    normalised !== name || normalised === '.' || normalised.startsWith('..') || normalised.startsWith('/')
  )
}

function badPathMessage(name: string): string {
  return `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pythonRepr(posixNormpath(name))}`
}

/** Checks a metric, param or tag key: allowed characters, and no path that normalises to another name. */
export function validateKeyName(name: string, path: string): void {
  if (!KEY_PATTERN.test(name)) throw invalidParameter(invalidValueMessage(path, name, BAD_CHARACTERS_MESSAGE))
  if (pathNotUnique(name)) throw invalidParameter(invalidValueMessage(path, name, badPathMessage(name)))
}

/** Options of value checks that MLflow reads from the environment. */
export interface ValidationOptions {
  /** Truncate params and run tags that are too long instead of rejecting them (MLFLOW_TRUNCATE_LONG_VALUES). */
  truncateLongValues: boolean
}

/**
 * MLflow's `_validate_length_limit`: returns the value, truncated when allowed, or throws
 * `'<name>' exceeds the maximum length of <limit> characters`.
 */
export function validateLengthLimit(options: {
  name: string
  limit: number
  value: string
  truncate?: boolean
}): string {
  const { name, limit, value } = options
  if (value.length <= limit) return value
  if (codePointLength(value) <= limit) return value
  if (options.truncate) return truncateCodePoints(value, limit)
  throw invalidParameter(exceedsMaximumLengthMessage(name, limit))
}

function metricPath(index: number | undefined): string {
  return index === undefined ? '' : `metrics[${index}]`
}

/**
 * MLflow's `_validate_metric`. `index` is the metric's place in a batch (`metrics[<i>]` in
 * messages), absent for `log-metric`. `checkedKeys` remembers keys already found valid, as a batch
 * repeats a few keys many times.
 */
export function validateMetric(metric: Metric, index?: number, checkedKeys?: Set<string>): void {
  const keyChecked = checkedKeys?.has(metric.key) ?? false
  if (!keyChecked) validateKeyName(metric.key, joinPath(metricPath(index), 'name'))
  if (metric.timestamp < 0) {
    throw invalidParameter(
      invalidValueMessage(
        joinPath(metricPath(index), 'timestamp'),
        metric.timestamp,
        `metric '${metric.key}' (value=${pythonFloatRepr(metric.value)}). Timestamp must be a nonnegative long (64-bit integer) `,
      ),
    )
  }
  if (keyChecked) return
  validateLengthLimit({ name: 'Metric name', limit: MAX_ENTITY_KEY_LENGTH, value: metric.key })
  checkedKeys?.add(metric.key)
}

/** MLflow's `_validate_param`: returns the param with its value truncated when allowed. */
export function validateParam(param: Param, path: string, options: ValidationOptions): Param {
  validateKeyName(param.key, joinPath(path, 'key'))
  validateLengthLimit({ name: 'Param key', limit: MAX_ENTITY_KEY_LENGTH, value: param.key })
  const value = validateLengthLimit({
    name: 'Param value',
    limit: MAX_PARAM_VALUE_LENGTH,
    value: param.value,
    truncate: options.truncateLongValues,
  })
  return value === param.value ? param : { key: param.key, value }
}

/** MLflow's `_validate_tag` for run tags: returns the tag with its value truncated when allowed. */
export function validateRunTag(tag: Tag, path: string, options: ValidationOptions): Tag {
  validateKeyName(tag.key, joinPath(path, 'key'))
  validateLengthLimit({ name: joinPath(path, 'key'), limit: MAX_ENTITY_KEY_LENGTH, value: tag.key })
  const value = validateLengthLimit({
    name: joinPath(path, 'value'),
    limit: MAX_TAG_VALUE_LENGTH,
    value: tag.value,
    truncate: options.truncateLongValues,
  })
  return value === tag.value ? tag : { key: tag.key, value }
}

/** MLflow's `_validate_experiment_tag`: too long keys or values are rejected, never truncated. */
export function validateExperimentTag(tag: Tag): void {
  validateKeyName(tag.key, 'key')
  validateLengthLimit({ name: 'key', limit: MAX_EXPERIMENT_TAG_KEY_LENGTH, value: tag.key })
  validateLengthLimit({ name: 'value', limit: MAX_EXPERIMENT_TAG_VALUE_LENGTH, value: tag.value })
}

/** MLflow's `_validate_experiment_name`. */
export function validateExperimentName(name: string): void {
  if (name === '') throw invalidParameter(`Invalid experiment name: '${name}'`)
  validateLengthLimit({ name: 'name', limit: MAX_EXPERIMENT_NAME_LENGTH, value: name })
}

/** MLflow's `_validate_run_id` (log-batch and log-inputs check it). */
export function validateRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) throw invalidParameter(invalidValueMessage('run_id', runId))
}

const EXPERIMENT_ID_PATTERN = /^\s*[-+]?\d+\s*$/
const MAX_SQL_ID = 2 ** 31 - 1

/**
 * SQL stores number experiments; MLflow rejects ids that are not integers. Returns the canonical
 * id, or `undefined` when it is an integer no SQL store can hold (so nothing can match it).
 */
export function parseExperimentId(experimentId: string): string | undefined {
  if (!EXPERIMENT_ID_PATTERN.test(experimentId)) {
    throw invalidParameter(`Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`)
  }
  const value = Number(experimentId.trim())
  if (value < 0 || value > MAX_SQL_ID) return undefined
  return String(value)
}

function batchLimitMessage(entityName: string, limit: number, length: number): string {
  return `A batch logging request can contain at most ${limit} ${entityName}. Got ${length} ${entityName}. Please split up ${entityName} across multiple requests and try again.`
}

/** MLflow's `_validate_batch_log_limits`. */
export function validateBatchLimits(counts: { metrics: number; params: number; tags: number }): void {
  const check = (entityName: string, limit: number, length: number) => {
    if (length > limit) throw invalidParameter(batchLimitMessage(entityName, limit, length))
  }
  check('metrics', MAX_METRICS_PER_BATCH, counts.metrics)
  check('params', MAX_PARAMS_TAGS_PER_BATCH, counts.params)
  check('tags', MAX_PARAMS_TAGS_PER_BATCH, counts.tags)
  check('metrics, params, and tags', MAX_ENTITIES_PER_BATCH, counts.metrics + counts.params + counts.tags)
}

/** MLflow's `_validate_param_keys_unique`: one value per key in a batch. */
export function validateParamKeysUnique(params: Param[]): void {
  if (params.length < 2) return
  const seen = new Set<string>()
  const duplicates: string[] = []
  for (const param of params) {
    if (seen.has(param.key)) duplicates.push(param.key)
    else seen.add(param.key)
  }
  if (duplicates.length > 0) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${duplicates.map(pythonRepr).join(', ')}]. Please ensure the request contains only one param value per param key.`,
    )
  }
}

/** MLflow's `_validate_dataset_inputs`: dataset and input tag sizes. */
export function validateDatasetInputs(datasetInputs: DatasetInput[]): void {
  for (const { dataset, tags } of datasetInputs) {
    validateLengthLimit({ name: 'name', limit: MAX_DATASET_NAME_LENGTH, value: dataset.name })
    validateLengthLimit({ name: 'digest', limit: MAX_DATASET_DIGEST_LENGTH, value: dataset.digest })
    validateLengthLimit({ name: 'source', limit: MAX_DATASET_SOURCE_LENGTH, value: dataset.source })
    if (dataset.schema !== undefined) {
      validateLengthLimit({ name: 'schema', limit: MAX_DATASET_SCHEMA_LENGTH, value: dataset.schema })
    }
    if (dataset.profile !== undefined) {
      validateLengthLimit({ name: 'profile', limit: MAX_DATASET_PROFILE_LENGTH, value: dataset.profile })
    }
    for (const tag of tags) {
      validateLengthLimit({ name: 'key', limit: MAX_INPUT_TAG_KEY_LENGTH, value: tag.key })
      validateLengthLimit({ name: 'value', limit: MAX_INPUT_TAG_VALUE_LENGTH, value: tag.value })
    }
  }
}

/** Logged model ids look like `m-<32 hex>`; anything much longer cannot name one. */
const MAX_MODEL_ID_LENGTH = 255

export function validateModelId(modelId: string): void {
  validateLengthLimit({ name: 'model_id', limit: MAX_MODEL_ID_LENGTH, value: modelId })
}

/** Thrown by services when an entity is not in the `active` stage. */
export function notActiveError(kind: 'run' | 'experiment', id: string, stage: string): MlflowError {
  return invalidParameter(`The ${kind} ${id} must be in the 'active' state. Current state is ${stage}.`)
}
