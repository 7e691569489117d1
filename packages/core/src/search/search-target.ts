import { invalidParameter, type MlflowError } from '../errors.js'
import type { Comparator, Comparison, SearchEntity } from './ast.js'
import { parsePythonInt, pythonList, pythonSet, pythonTuple } from './python-literals.js'

/** Which search endpoint a filter or order_by belongs to; each accepts different entities, keys and comparators. */
export type SearchTarget = 'runs' | 'experiments' | 'registered_models' | 'model_versions'

/** An identifier as written: `[entity.]key`, with the quotes around each part removed. */
export interface RawIdentifier {
  /** The identifier exactly as written, for error messages. */
  text: string
  /** The entity prefix, absent for a bare key. Backticks are removed, other quotes kept (MLflow rejects them). */
  entity?: string
  key: string
}

/** A value as written, before the target decides what it may be. */
export type RawValue =
  | { kind: 'string'; text: string; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'bare'; text: string }
  | { kind: 'list'; text: string; items?: string[]; error?: string }
  | { kind: 'none'; text: string }

/** A comparison whose identifier is resolved but whose comparator and value are not yet checked. */
export interface PendingComparison {
  entity: SearchEntity
  /** Canonical key (`created` → `start_time`). */
  key: string
  /** The key as written, quotes removed: MLflow's messages quote it this way. */
  writtenKey: string
  /** Upper-cased, single-spaced comparator as written; may be one no target accepts (`<>`, `NOT LIKE`). */
  comparator: string
  value: RawValue
}

/** What an order_by item refers to. */
export interface OrderByField {
  entity: Exclude<SearchEntity, 'dataset'>
  key: string
}

/**
 * Everything that differs between search endpoints. Checks run in MLflow's order: identifiers and
 * value types while parsing (`resolveIdentifier`, `checkValue`), comparators afterwards (`finish`).
 */
export interface TargetRules {
  resolveIdentifier(identifier: RawIdentifier): { entity: SearchEntity; key: string; writtenKey: string }
  checkValue(comparison: PendingComparison): void
  finish(comparison: PendingComparison): Comparison
  resolveOrderBy(identifier: RawIdentifier): OrderByField
  /** Runs and the registry reject an order_by naming the same field twice; experiments do not. */
  rejectsDuplicateOrderBy: boolean
}

const MLFLOW_ENTITY_NAME: Record<SearchEntity, string> = {
  metric: 'metric',
  param: 'parameter',
  tag: 'tag',
  attribute: 'attribute',
  dataset: 'dataset',
}

const NUMERIC_COMPARATORS = ['>', '>=', '!=', '=', '<', '<='] as const
const PARAM_TAG_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'] as const
const STRING_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'] as const
const REGISTRY_TAG_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE'] as const

function allowedComparator(comparator: string, allowed: readonly Comparator[]): Comparator | undefined {
  return (allowed as readonly string[]).includes(comparator) ? (comparator as Comparator) : undefined
}

function notQuoted(text: string): MlflowError {
  return invalidParameter(
    `Parameter value is either not quoted or unidentified quote types used for string value ${text}. ` +
      'Use either single or double quotes.',
  )
}

function listItems(value: Extract<RawValue, { kind: 'list' }>): string[] {
  if (value.error !== undefined || value.items === undefined)
    throw invalidParameter(value.error ?? 'Invalid list')
  return value.items
}

/** Run ids are lowercase hex; MLflow drops IN-list values with uppercase letters (MySQL's IN ignores case). */
function dropUppercase(items: string[]): string[] {
  return items.filter((item) => item === item.toLowerCase())
}

/** A list value only goes with IN / NOT IN (the grammar already requires a list after IN). */
function checkListComparator(comparison: PendingComparison, comparator: Comparator): void {
  const isList = comparison.value.kind === 'list'
  const wantsList = comparator === 'IN' || comparator === 'NOT IN'
  if (isList && !wantsList) {
    throw invalidParameter(`Invalid comparator '${comparator}' for a list of values. Use IN or NOT IN.`)
  }
}

function stringValue(comparison: PendingComparison): string | string[] {
  const { value } = comparison
  if (value.kind === 'string') return value.value
  if (value.kind === 'list') return listItems(value)
  throw invalidParameter(`Expected a string value for '${comparison.writtenKey}'. Got value ${value.text}`)
}

function numberValue(value: RawValue): number {
  if (value.kind !== 'number') throw invalidParameter(`Expected a numeric value. Got value ${value.text}`)
  return Number(value.text)
}

function isIntegerLiteral(text: string): boolean {
  return /^-?\d+$/.test(text)
}

function comparison(
  pending: PendingComparison,
  comparator: Comparator,
  value: Comparison['value'],
): Comparison {
  return { kind: 'comparison', entity: pending.entity, key: pending.key, comparator, value }
}

// runs

const RUN_ENTITIES: Record<string, SearchEntity> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'param',
  parameters: 'param',
  param: 'param',
  params: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
}

const RUN_ATTRIBUTES: Record<string, string> = {
  run_id: 'run_id',
  run_name: 'run_name',
  user_id: 'user_id',
  status: 'status',
  start_time: 'start_time',
  end_time: 'end_time',
  artifact_uri: 'artifact_uri',
  created: 'start_time',
  Created: 'start_time',
  'run name': 'run_name',
  'Run name': 'run_name',
  'Run Name': 'run_name',
}
const RUN_NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time'])
const DATASET_KEYS = ['name', 'digest', 'context']

function resolveRunIdentifier(identifier: RawIdentifier) {
  const written = identifier.entity
  const entity =
    written === undefined
      ? 'attribute'
      : Object.hasOwn(RUN_ENTITIES, written)
        ? RUN_ENTITIES[written]
        : undefined
  if (entity === undefined) {
    throw invalidParameter(
      `Invalid entity type '${written}'. Valid values are ${pythonList(['metric', 'parameter', 'tag', 'attribute', 'dataset'])}`,
    )
  }
  const { key } = identifier
  if (entity === 'attribute') {
    const canonical = Object.hasOwn(RUN_ATTRIBUTES, key) ? RUN_ATTRIBUTES[key] : undefined
    if (canonical === undefined) {
      throw invalidParameter(
        `Invalid attribute key '${key}' specified. Valid keys are '${pythonSet(Object.keys(RUN_ATTRIBUTES))}'`,
      )
    }
    return { entity, key: canonical, writtenKey: key }
  }
  if (entity === 'dataset' && !DATASET_KEYS.includes(key)) {
    throw invalidParameter(
      `Invalid dataset key '${key}' specified. Valid keys are '${pythonSet(DATASET_KEYS)}'`,
    )
  }
  return { entity, key, writtenKey: key }
}

const RUNS: TargetRules = {
  resolveIdentifier: resolveRunIdentifier,

  checkValue(pending) {
    const { entity, key, writtenKey, value } = pending
    if (value.kind === 'none') {
      if (entity !== 'tag' && entity !== 'param') {
        throw invalidParameter(
          `IS NULL / IS NOT NULL is only supported for tags and params, not for '${MLFLOW_ENTITY_NAME[entity]}' '${writtenKey}'`,
        )
      }
      return
    }
    if (entity === 'metric') {
      if (value.kind !== 'number') {
        throw invalidParameter(`Expected numeric value type for metric. Found ${value.text}`)
      }
    } else if (entity === 'param' || entity === 'tag') {
      if (value.kind === 'bare') throw notQuoted(value.text)
      if (value.kind !== 'string') {
        throw invalidParameter(
          `Expected a quoted string value for ${MLFLOW_ENTITY_NAME[entity]} (e.g. 'my-value'). Got value ${value.text}`,
        )
      }
    } else if (entity === 'attribute' && RUN_NUMERIC_ATTRIBUTES.has(key)) {
      if (value.kind !== 'number') {
        throw invalidParameter(
          `Expected numeric value type for numeric attribute: ${writtenKey}. Found ${value.text}`,
        )
      }
    } else if (entity === 'attribute') {
      if (value.kind === 'bare') throw notQuoted(value.text)
      if (value.kind === 'list') {
        if (key !== 'run_id') {
          throw invalidParameter(
            `Only ${pythonList(['run_id'])} attributes support comparison with a list of quoted string values.`,
          )
        }
        listItems(value)
      } else if (value.kind !== 'string') {
        throw invalidParameter(`Expected a quoted string value for attributes. Got value ${value.text}`)
      }
    } else {
      if (value.kind === 'bare') throw notQuoted(value.text)
      if (value.kind === 'list') listItems(value)
      else if (value.kind !== 'string') {
        throw invalidParameter(
          `Expected a quoted string value for dataset attributes. Got value ${value.text}`,
        )
      }
    }
  },

  finish(pending) {
    const { entity, key } = pending
    const allowed =
      entity === 'metric' || (entity === 'attribute' && RUN_NUMERIC_ATTRIBUTES.has(key))
        ? NUMERIC_COMPARATORS
        : entity === 'param' || entity === 'tag'
          ? PARAM_TAG_COMPARATORS
          : STRING_COMPARATORS
    const comparator = allowedComparator(pending.comparator, allowed)
    if (comparator === undefined) {
      throw invalidParameter(`Invalid comparator '${pending.comparator}' not one of '${pythonSet(allowed)}'`)
    }
    checkListComparator(pending, comparator)
    if (pending.value.kind === 'none') return comparison(pending, comparator, null)
    if (allowed === NUMERIC_COMPARATORS) return comparison(pending, comparator, numberValue(pending.value))
    const value = stringValue(pending)
    return comparison(
      pending,
      comparator,
      Array.isArray(value) && key === 'run_id' ? dropUppercase(value) : value,
    )
  },

  resolveOrderBy(identifier) {
    const { entity, key } = resolveRunIdentifier(identifier)
    if (entity === 'dataset') throw invalidParameter(`Invalid identifier type '${entity}'`)
    return { entity, key }
  },

  rejectsDuplicateOrderBy: true,
}

// experiments, registered models and model versions share one identifier syntax

const REGISTRY_ENTITY_TYPES = ['attribute', 'tag', 'tags']

function resolveNamedIdentifier(identifier: RawIdentifier, attributes: readonly string[]) {
  const written = identifier.entity
  if (written !== undefined && !REGISTRY_ENTITY_TYPES.includes(written)) {
    throw invalidParameter(
      `Invalid entity type '${written}'. Valid entity types are ${pythonTuple(REGISTRY_ENTITY_TYPES)}`,
    )
  }
  const entity: SearchEntity = written === 'tag' || written === 'tags' ? 'tag' : 'attribute'
  const { key } = identifier
  if (entity === 'attribute' && !attributes.includes(key)) {
    throw invalidParameter(
      `Invalid attribute key '${key}' specified. Valid keys are '${pythonSet(attributes)}'`,
    )
  }
  return { entity, key, writtenKey: key }
}

function checkRegistryTagValue(value: RawValue): void {
  if (value.kind === 'none') return
  if (value.kind === 'bare') throw notQuoted(value.text)
  if (value.kind !== 'string') {
    throw invalidParameter(
      `Expected a quoted string value for tag (e.g. 'my-value'). Got value ${value.text}`,
    )
  }
}

function finishRegistryTag(pending: PendingComparison): Comparison {
  const comparator = allowedComparator(pending.comparator, REGISTRY_TAG_COMPARATORS)
  if (comparator === undefined) throw invalidParameter(`Invalid comparator for tag: ${pending.comparator}`)
  return comparison(pending, comparator, stringValue(pending))
}

function orderByAttribute(field: { entity: SearchEntity; key: string }): OrderByField {
  if (field.entity !== 'attribute') throw invalidParameter(`Invalid order_by entity: ${field.entity}`)
  return { entity: 'attribute', key: field.key }
}

// experiments

const EXPERIMENT_ATTRIBUTES = ['name', 'experiment_id', 'creation_time', 'last_update_time']
const EXPERIMENT_NUMERIC_ATTRIBUTES = new Set(['creation_time', 'last_update_time'])
const EXPERIMENT_ID_COMPARATORS = ['=', '!=', 'IN', 'NOT IN'] as const
const EXPERIMENT_NAME_COMPARATORS = ['=', '!=', 'LIKE', 'ILIKE'] as const

function canonicalExperimentId(value: string): string {
  const parsed = parsePythonInt(value)
  if (parsed === undefined) {
    throw invalidParameter(`Invalid experiment ID '${value}'. Experiment ID must be a valid integer.`)
  }
  return parsed.toString()
}

const EXPERIMENTS: TargetRules = {
  resolveIdentifier: (identifier) => resolveNamedIdentifier(identifier, EXPERIMENT_ATTRIBUTES),

  checkValue({ entity, key, writtenKey, value }) {
    if (entity === 'tag') return checkRegistryTagValue(value)
    if (value.kind === 'none') {
      throw invalidParameter(
        `IS NULL / IS NOT NULL is only supported for tags, not for attribute '${writtenKey}'`,
      )
    }
    if (EXPERIMENT_NUMERIC_ATTRIBUTES.has(key)) {
      if (value.kind !== 'number') {
        throw invalidParameter(
          `Expected numeric value type for numeric attribute: ${writtenKey}. Found ${value.text}`,
        )
      }
      return
    }
    if (value.kind === 'bare') throw notQuoted(value.text)
    if (value.kind === 'list') {
      if (key !== 'experiment_id') {
        throw invalidParameter(
          `Only ${pythonList(['experiment_id'])} attributes support comparison with a list of quoted string values.`,
        )
      }
      listItems(value)
    } else if (value.kind !== 'string') {
      throw invalidParameter(`Expected a quoted string value for attributes. Got value ${value.text}`)
    }
  },

  finish(pending) {
    const { entity, key, value } = pending
    if (entity === 'tag') {
      const comparator = allowedComparator(pending.comparator, PARAM_TAG_COMPARATORS)
      if (comparator === undefined)
        throw invalidParameter(`Invalid comparator for tag: ${pending.comparator}`)
      return comparison(pending, comparator, value.kind === 'none' ? null : stringValue(pending))
    }
    if (EXPERIMENT_NUMERIC_ATTRIBUTES.has(key)) {
      const comparator = allowedComparator(pending.comparator, NUMERIC_COMPARATORS)
      if (comparator === undefined) {
        throw invalidParameter(`Invalid comparator for numeric attribute: ${pending.comparator}`)
      }
      if (!isIntegerLiteral(value.text)) {
        throw invalidParameter(`Invalid value for numeric attribute '${key}': '${value.text}'`)
      }
      return comparison(pending, comparator, numberValue(value))
    }
    if (key === 'experiment_id') {
      const comparator = allowedComparator(pending.comparator, EXPERIMENT_ID_COMPARATORS)
      if (comparator === undefined)
        throw invalidParameter(`Invalid comparator for experiment_id: ${pending.comparator}`)
      checkListComparator(pending, comparator)
      const ids = stringValue(pending)
      return comparison(
        pending,
        comparator,
        Array.isArray(ids) ? ids.map(canonicalExperimentId) : canonicalExperimentId(ids),
      )
    }
    const comparator = allowedComparator(pending.comparator, EXPERIMENT_NAME_COMPARATORS)
    if (comparator === undefined)
      throw invalidParameter(`Invalid comparator for string attribute: ${pending.comparator}`)
    return comparison(pending, comparator, stringValue(pending))
  },

  resolveOrderBy: (identifier) => orderByAttribute(resolveNamedIdentifier(identifier, EXPERIMENT_ATTRIBUTES)),

  rejectsDuplicateOrderBy: false,
}

// registered models

const REGISTERED_MODEL_ORDER_BY_KEYS: Record<string, string> = {
  name: 'name',
  timestamp: 'last_updated_timestamp',
  last_updated_timestamp: 'last_updated_timestamp',
}

const REGISTERED_MODELS: TargetRules = {
  resolveIdentifier: (identifier) => resolveNamedIdentifier(identifier, ['name']),

  checkValue({ entity, value }) {
    if (entity === 'tag' || value.kind === 'none') return checkRegistryTagValue(value)
    if (value.kind === 'bare') throw notQuoted(value.text)
    if (value.kind === 'list') listItems(value)
    else if (value.kind !== 'string') {
      throw invalidParameter(
        `Expected a quoted string value or a list of quoted string values for attributes. Got value ${value.text}`,
      )
    }
  },

  finish(pending) {
    if (pending.entity === 'tag') return finishRegistryTag(pending)
    const comparator = allowedComparator(pending.comparator, STRING_COMPARATORS)
    if (comparator === undefined)
      throw invalidParameter(`Invalid comparator for attribute: ${pending.comparator}`)
    checkListComparator(pending, comparator)
    return comparison(pending, comparator, stringValue(pending))
  },

  resolveOrderBy(identifier) {
    const written = identifier.entity
    const key =
      written === undefined || written === 'attribute'
        ? Object.hasOwn(REGISTERED_MODEL_ORDER_BY_KEYS, identifier.key)
          ? REGISTERED_MODEL_ORDER_BY_KEYS[identifier.key]
          : undefined
        : undefined
    if (key === undefined) {
      throw invalidParameter(
        `Invalid order by key '${identifier.text}' specified. Valid keys are '${pythonSet(['name', 'timestamp'])}'`,
      )
    }
    return { entity: 'attribute', key }
  },

  rejectsDuplicateOrderBy: true,
}

// model versions

const MODEL_VERSION_ATTRIBUTES = ['name', 'version_number', 'run_id', 'source_path']
const MODEL_VERSION_ORDER_BY_KEYS = ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']
const MODEL_VERSION_NUMERIC_ATTRIBUTES = ['version_number', 'creation_timestamp', 'last_updated_timestamp']
const MODEL_VERSION_LIST_KEYS = ['name', 'run_id']

function versionNumber(value: RawValue, key: string): number {
  if (value.kind === 'number') {
    if (!isIntegerLiteral(value.text))
      throw invalidParameter(`Invalid value for numeric attribute '${key}': ${value.text}`)
    return Number(value.text)
  }
  const parsed = value.kind === 'string' ? parsePythonInt(value.value) : undefined
  if (parsed === undefined)
    throw invalidParameter(`Invalid value for numeric attribute '${key}': ${value.text}`)
  return Number(parsed)
}

const MODEL_VERSIONS: TargetRules = {
  resolveIdentifier: (identifier) => resolveNamedIdentifier(identifier, MODEL_VERSION_ATTRIBUTES),

  checkValue({ entity, key, value }) {
    if (entity === 'tag' || value.kind === 'none') return checkRegistryTagValue(value)
    if (value.kind === 'bare') throw notQuoted(value.text)
    if (value.kind === 'list') {
      if (!MODEL_VERSION_LIST_KEYS.includes(key)) {
        throw invalidParameter(
          `Only ${pythonList(MODEL_VERSION_LIST_KEYS)} attributes support comparison with a list of quoted string values.`,
        )
      }
      listItems(value)
    } else if (value.kind === 'number' && !MODEL_VERSION_NUMERIC_ATTRIBUTES.includes(key)) {
      throw invalidParameter(
        `Only the '${pythonSet(MODEL_VERSION_NUMERIC_ATTRIBUTES)}' attributes support comparison with numeric values.`,
      )
    }
  },

  finish(pending) {
    const { entity, key } = pending
    if (entity === 'tag') return finishRegistryTag(pending)
    if (key === 'version_number') {
      const comparator = allowedComparator(pending.comparator, NUMERIC_COMPARATORS)
      if (comparator === undefined) {
        throw invalidParameter(`Invalid comparator for attribute ${key}: ${pending.comparator}`)
      }
      return comparison(pending, comparator, versionNumber(pending.value, key))
    }
    const comparator = allowedComparator(pending.comparator, STRING_COMPARATORS)
    if (
      comparator === undefined ||
      ((comparator === 'IN' || comparator === 'NOT IN') && !MODEL_VERSION_LIST_KEYS.includes(key))
    ) {
      throw invalidParameter(`Invalid comparator for attribute: ${pending.comparator}`)
    }
    checkListComparator(pending, comparator)
    const value = stringValue(pending)
    return comparison(
      pending,
      comparator,
      Array.isArray(value) && key === 'run_id' ? dropUppercase(value) : value,
    )
  },

  resolveOrderBy: (identifier) =>
    orderByAttribute(resolveNamedIdentifier(identifier, MODEL_VERSION_ORDER_BY_KEYS)),

  rejectsDuplicateOrderBy: true,
}

export const TARGET_RULES: Record<SearchTarget, TargetRules> = {
  runs: RUNS,
  experiments: EXPERIMENTS,
  registered_models: REGISTERED_MODELS,
  model_versions: MODEL_VERSIONS,
}

/** Throws unless `target` is one of the four search targets (callers may pass unchecked strings). */
export function rulesFor(target: SearchTarget): TargetRules {
  const rules = Object.hasOwn(TARGET_RULES, target) ? TARGET_RULES[target] : undefined
  if (!rules) throw new TypeError(`Unknown search target '${String(target)}'`)
  return rules
}
