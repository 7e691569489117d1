import type { Run } from '@cairn/core'

/** A run flattened for the table: key → value lookups without scanning lists. */
export interface RunRecord {
  id: string
  run: Run
  params: Record<string, string>
  metrics: Record<string, number>
  tags: Record<string, string>
  parentId?: string
}

export type CellValue = string | number | undefined

/** Attribute columns, by the names the search grammar uses. */
export const ATTRIBUTE_COLUMNS = [
  'attributes.run_name',
  'attributes.status',
  'attributes.start_time',
  'attributes.duration',
  'attributes.user_id',
  'attributes.experiment_id',
  'attributes.run_id',
] as const

export const ATTRIBUTE_LABELS: Record<string, string> = {
  'attributes.run_name': 'Run name',
  'attributes.status': 'Status',
  'attributes.start_time': 'Started',
  'attributes.duration': 'Duration',
  'attributes.user_id': 'User',
  'attributes.experiment_id': 'Experiment',
  'attributes.run_id': 'Run ID',
}

export const PARENT_TAG = 'mlflow.parentRunId'

export function indexRun(run: Run): RunRecord {
  const params: Record<string, string> = {}
  for (const param of run.data.params) params[param.key] = param.value
  const metrics: Record<string, number> = {}
  for (const metric of run.data.metrics) metrics[metric.key] = metric.value
  const tags: Record<string, string> = {}
  for (const tag of run.data.tags) tags[tag.key] = tag.value
  const record: RunRecord = { id: run.info.runId, run, params, metrics, tags }
  const parentId = tags[PARENT_TAG]
  if (parentId) record.parentId = parentId
  return record
}

/** `metrics.loss` → ['metrics', 'loss'] (keys may contain dots). */
export function splitColumn(column: string): [string, string] {
  const dot = column.indexOf('.')
  return dot === -1 ? ['attributes', column] : [column.slice(0, dot), column.slice(dot + 1)]
}

export function columnLabel(column: string): string {
  return ATTRIBUTE_LABELS[column] ?? column
}

export function cellValue(record: RunRecord, column: string): CellValue {
  const [kind, key] = splitColumn(column)
  switch (kind) {
    case 'metrics':
      return record.metrics[key]
    case 'params':
      return record.params[key]
    case 'tags':
      return record.tags[key]
    default:
      return attributeValue(record, key)
  }
}

function attributeValue(record: RunRecord, key: string): CellValue {
  const info = record.run.info
  switch (key) {
    case 'run_name':
      return info.runName
    case 'status':
      return info.status
    case 'start_time':
      return info.startTime
    case 'end_time':
      return info.endTime
    case 'duration':
      return info.endTime === undefined ? undefined : info.endTime - info.startTime
    case 'user_id':
      return info.userId
    case 'experiment_id':
      return info.experimentId
    case 'run_id':
      return info.runId
    default:
      return undefined
  }
}

/** Numbers by value (params that parse as numbers too), then text; missing values last either way. */
export function compareValues(left: CellValue, right: CellValue): number {
  if (left === undefined) return right === undefined ? 0 : 1
  if (right === undefined) return -1
  const leftNumber = typeof left === 'number' ? left : numeric(left)
  const rightNumber = typeof right === 'number' ? right : numeric(right)
  if (leftNumber !== undefined && rightNumber !== undefined) {
    if (Number.isNaN(leftNumber)) return Number.isNaN(rightNumber) ? 0 : 1
    if (Number.isNaN(rightNumber)) return -1
    return leftNumber - rightNumber
  }
  return String(left) < String(right) ? -1 : String(left) > String(right) ? 1 : 0
}

function numeric(text: string): number | undefined {
  if (text.trim() === '') return undefined
  const value = Number(text)
  return Number.isNaN(value) ? undefined : value
}

export interface SortSpec {
  column: string
  descending: boolean
}

export function sortRecords(records: readonly RunRecord[], sort: SortSpec | undefined): RunRecord[] {
  const sorted = [...records]
  if (!sort) return sorted
  const direction = sort.descending ? -1 : 1
  // Missing values (and NaN) stay last in both directions.
  const missing = (value: CellValue) =>
    value === undefined || (typeof value === 'number' && Number.isNaN(value))
  sorted.sort((a, b) => {
    const left = cellValue(a, sort.column)
    const right = cellValue(b, sort.column)
    if (missing(left) || missing(right)) return Number(missing(left)) - Number(missing(right))
    return direction * compareValues(left, right)
  })
  return sorted
}

export interface KeySets {
  params: string[]
  metrics: string[]
  tags: string[]
}

export function collectKeys(records: readonly RunRecord[]): KeySets {
  const params = new Set<string>()
  const metrics = new Set<string>()
  const tags = new Set<string>()
  for (const record of records) {
    for (const key in record.params) params.add(key)
    for (const key in record.metrics) metrics.add(key)
    for (const key in record.tags) tags.add(key)
  }
  const sorted = (set: Set<string>) => [...set].sort()
  return { params: sorted(params), metrics: sorted(metrics), tags: sorted(tags) }
}

export interface Aggregate {
  min: number
  mean: number
  max: number
  count: number
}

export type DisplayRow =
  | { kind: 'run'; record: RunRecord; depth: number; childCount: number; folded: boolean }
  | {
      kind: 'group'
      key: string
      column: string
      value: string
      count: number
      folded: boolean
      aggregates: Record<string, Aggregate>
    }

export interface RowOptions {
  sort?: SortSpec
  /** Group by this param/tag column. */
  groupBy?: string
  /** Nest child runs under their parents. */
  tree?: boolean
  /** Folded parents (run ids) and groups (`g:<value>`). */
  folded?: ReadonlySet<string>
  /** Numeric columns to aggregate in group rows. */
  aggregateColumns?: readonly string[]
}

/** The rows the table shows: sorted, optionally nested as a tree and grouped with aggregate rows. */
export function buildRows(records: readonly RunRecord[], options: RowOptions = {}): DisplayRow[] {
  const folded = options.folded ?? new Set<string>()
  const sorted = sortRecords(records, options.sort)
  if (!options.groupBy) return options.tree ? treeRows(sorted, folded) : sorted.map(flatRow)

  const groups = new Map<string, RunRecord[]>()
  for (const record of sorted) {
    const value = cellValue(record, options.groupBy)
    const key = value === undefined ? '' : String(value)
    const members = groups.get(key)
    if (members) members.push(record)
    else groups.set(key, [record])
  }
  const rows: DisplayRow[] = []
  const keys = [...groups.keys()].sort((a, b) =>
    compareValues(a === '' ? undefined : a, b === '' ? undefined : b),
  )
  for (const value of keys) {
    const members = groups.get(value)!
    const key = `g:${value}`
    const isFolded = folded.has(key)
    rows.push({
      kind: 'group',
      key,
      column: options.groupBy,
      value,
      count: members.length,
      folded: isFolded,
      aggregates: aggregate(members, options.aggregateColumns ?? []),
    })
    if (!isFolded) rows.push(...(options.tree ? treeRows(members, folded) : members.map(flatRow)))
  }
  return rows
}

function flatRow(record: RunRecord): DisplayRow {
  return { kind: 'run', record, depth: 0, childCount: 0, folded: false }
}

function treeRows(sorted: readonly RunRecord[], folded: ReadonlySet<string>): DisplayRow[] {
  const present = new Set(sorted.map((record) => record.id))
  const children = new Map<string, RunRecord[]>()
  const roots: RunRecord[] = []
  for (const record of sorted) {
    if (record.parentId && present.has(record.parentId) && record.parentId !== record.id) {
      const list = children.get(record.parentId)
      if (list) list.push(record)
      else children.set(record.parentId, [record])
    } else {
      roots.push(record)
    }
  }
  const rows: DisplayRow[] = []
  const seen = new Set<string>()
  const visit = (record: RunRecord, depth: number) => {
    if (seen.has(record.id)) return
    seen.add(record.id)
    const kids = children.get(record.id) ?? []
    const isFolded = folded.has(record.id)
    rows.push({ kind: 'run', record, depth, childCount: kids.length, folded: isFolded })
    for (const child of kids) {
      if (isFolded) hide(child)
      else visit(child, depth + 1)
    }
  }
  const hide = (record: RunRecord) => {
    if (seen.has(record.id)) return
    seen.add(record.id)
    for (const child of children.get(record.id) ?? []) hide(child)
  }
  for (const root of roots) visit(root, 0)
  // Runs in a parent cycle have no root: show them at the top level.
  for (const record of sorted) if (!seen.has(record.id)) visit(record, 0)
  return rows
}

export function aggregate(
  records: readonly RunRecord[],
  columns: readonly string[],
): Record<string, Aggregate> {
  const result: Record<string, Aggregate> = {}
  for (const column of columns) {
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    let sum = 0
    let count = 0
    for (const record of records) {
      const value = cellValue(record, column)
      const number =
        typeof value === 'number' ? value : typeof value === 'string' ? numeric(value) : undefined
      if (number === undefined || Number.isNaN(number)) continue
      if (number < min) min = number
      if (number > max) max = number
      sum += number
      count++
    }
    if (count > 0) result[column] = { min, max, mean: sum / count, count }
  }
  return result
}
