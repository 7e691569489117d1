import { compareInt64, type Int64Value, invalidParameter, type Metric, toInt64Value } from '@cairn/core'
import type { ReadOptions, Session, SqlDatabase } from './dialect/dialect.js'
import { storedValue } from './run-rows.js'
import { runNotFound } from './store-errors.js'
import type {
  MetricHistoryBulkInput,
  MetricHistoryBulkIntervalInput,
  MetricHistoryCursor,
  MetricHistoryInput,
  MetricHistoryJsonPage,
  MetricHistoryPage,
} from './tracking-store.js'

/** Points per chunk of a streamed history. */
export const HISTORY_CHUNK_SIZE = 10_000
/**
 * Points per chunk of a history streamed as JSON: ~80 kB of text, small enough that neither the text nor
 * its encoded bytes land in V8's large-object space, so chunks die young instead of piling up until a
 * full collection (a 1M-point answer is 80 MB).
 */
export const HISTORY_JSON_CHUNK_SIZE = 1000
/** Rows per query where JavaScript renders the JSON from text columns (PostgreSQL). */
const TEXT_SLICE_ROWS = 2500
/** Points per run that bulk-interval returns at most (MLflow's MAX_RESULTS_GET_METRIC_HISTORY). */
export const BULK_INTERVAL_POINTS_PER_RUN = 25_000

const HISTORY_ORDER = '"timestamp", step, value, is_nan'
const HISTORY_PAGE_SQL = `SELECT "timestamp", step, value, is_nan FROM metrics WHERE run_pk = ? AND key = ?
  ORDER BY ${HISTORY_ORDER} LIMIT ? OFFSET ?`
const FIRST_CHUNK_SQL = `SELECT "timestamp", step, value, is_nan FROM metrics WHERE run_pk = ? AND key = ?
  ORDER BY ${HISTORY_ORDER} LIMIT ?`
const NEXT_CHUNK_SQL = `SELECT "timestamp", step, value, is_nan FROM metrics WHERE run_pk = ? AND key = ?
  AND ("timestamp", step, value, is_nan) > (?, ?, ?, ?) ORDER BY ${HISTORY_ORDER} LIMIT ?`
const SLICE_END_SQL = `SELECT "timestamp", step, value, is_nan FROM metrics WHERE run_pk = ? AND key = ?
  AND ("timestamp", step, value, is_nan) > (?, ?, ?, ?) ORDER BY ${HISTORY_ORDER} LIMIT ? OFFSET ?`
/** Ordered by the table's columns, not the text output columns of the same names. */
const TEXT_SLICE_SQL = `SELECT m."timestamp"::text AS timestamp_text, m.step::text AS step_text, m.value::text AS value_text,
    m.is_nan FROM metrics m WHERE m.run_pk = ? AND m.key = ? AND (m."timestamp", m.step, m.value, m.is_nan) > (?, ?, ?, ?)
  ORDER BY m."timestamp", m.step, m.value, m.is_nan LIMIT ? OFFSET ?`
const RUN_PK_SQL = 'SELECT run_pk FROM runs WHERE run_uuid = ?'
/** Steps and timestamps are int64s: read them exactly. */
const EXACT: ReadOptions = { exactIntegers: true }

type HistoryRow = [timestamp: Int64Value, step: Int64Value, value: number, isNan: number]
/** Keyset position before the first point (smaller than any timestamp, including negative ones). */
const BEFORE_FIRST: HistoryRow = [Number.MIN_SAFE_INTEGER, 0, 0, 0]

export async function findRunPk(session: Session, runId: string): Promise<number | undefined> {
  const rows = await session.selectRows(RUN_PK_SQL, [runId])
  return rows.length > 0 ? Number(rows[0]![0]) : undefined
}

async function getRunPk(db: SqlDatabase, runId: string): Promise<number> {
  const runPk = await db.read((session) => findRunPk(session, runId))
  if (runPk === undefined) throw runNotFound(runId)
  return runPk
}

function toMetric(key: string, row: unknown[]): Metric {
  return {
    key,
    value: storedValue(row[2] as number, row[3] as number),
    timestamp: row[0] as Int64Value,
    step: row[1] as Int64Value,
  }
}

export async function getMetricHistory(
  db: SqlDatabase,
  input: MetricHistoryInput,
): Promise<MetricHistoryPage> {
  const after = input.after
  if (after !== undefined && !isCursor(after))
    throw invalidParameter('Invalid page token: bad metric history position')
  return db.read(async (session) => {
    const runPk = await findRunPk(session, input.runId)
    if (runPk === undefined) throw runNotFound(input.runId)
    const limit = input.maxResults === undefined ? db.noLimit : input.maxResults + 1
    const rows = after
      ? await session.selectRows(NEXT_CHUNK_SQL, [runPk, input.metricKey, ...after, limit], EXACT)
      : await session.selectRows(HISTORY_PAGE_SQL, [runPk, input.metricKey, limit, input.offset], EXACT)
    const page: MetricHistoryPage = { items: [] }
    if (input.maxResults !== undefined && rows.length > input.maxResults) {
      rows.length = input.maxResults
      page.nextOffset = input.offset + input.maxResults
      const last = rows[rows.length - 1]!
      page.nextCursor = [
        last[0] as Int64Value,
        last[1] as Int64Value,
        Number(last[2]),
        Number(last[3]) ? 1 : 0,
      ]
    }
    page.items = rows.map((row) => toMetric(input.metricKey, row))
    return page
  })
}

function isCursor(value: unknown): value is MetricHistoryCursor {
  const isInteger = (part: unknown) => typeof part === 'bigint' || Number.isInteger(part)
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    isInteger(value[0]) &&
    isInteger(value[1]) &&
    Number.isFinite(value[2]) &&
    (value[3] === 0 || value[3] === 1)
  )
}

/** Keyset pagination over the primary key: each chunk is one short query, the connection is never held. */
export async function* streamMetricHistory(
  db: SqlDatabase,
  runId: string,
  metricKey: string,
): AsyncGenerator<Metric[]> {
  for await (const rows of streamHistoryRows(db, runId, metricKey))
    yield rows.map((row) => toMetric(metricKey, row))
}

async function* streamHistoryRows(
  db: SqlDatabase,
  runId: string,
  metricKey: string,
): AsyncGenerator<unknown[][]> {
  const runPk = await getRunPk(db, runId)
  let rows = await db.read((session) =>
    session.selectRows(FIRST_CHUNK_SQL, [runPk, metricKey, HISTORY_CHUNK_SIZE], EXACT),
  )
  while (rows.length > 0) {
    yield rows
    if (rows.length < HISTORY_CHUNK_SIZE) return
    const last = rows[rows.length - 1]!
    rows = await db.read((session) =>
      session.selectRows(
        NEXT_CHUNK_SQL,
        [runPk, metricKey, last[0], last[1], last[2], last[3], HISTORY_CHUNK_SIZE],
        EXACT,
      ),
    )
  }
}

/** One slice of a history rendered as wire JSON, and the position of its last point when it is full. */
interface JsonSlice {
  /** Comma-separated metric objects ('' for none). */
  text: string
  count: number
  /** The slice's last point, when `limit` points were rendered and more may follow. */
  last?: MetricHistoryCursor
  /** Whether a point follows the slice (known only when asked for). */
  more: boolean
}

function toCursor(row: readonly unknown[]): MetricHistoryCursor {
  return [row[0] as Int64Value, row[1] as Int64Value, Number(row[2]), Number(row[3]) ? 1 : 0]
}

/**
 * Renders up to `limit` points after `after` (skipping `offset` more) as wire JSON. SQLite renders in SQL
 * and finds the slice's end with one more indexed query; PostgreSQL returns the columns as text (float8 in
 * shortest round-trip form), which JavaScript only concatenates. With `lookAhead`, says whether more follow.
 */
async function renderJsonSlice(
  db: SqlDatabase,
  session: Session,
  runPk: number,
  metricKey: string,
  after: readonly unknown[],
  offset: number,
  limit: number,
  lookAhead: boolean,
): Promise<JsonSlice> {
  if (db.metricJsonAggregate === undefined) {
    // Read in small slices: the driver's row arrays then die young instead of piling up in the old space.
    const key = JSON.stringify(metricKey)
    const texts: string[] = []
    let count = 0
    let position = after
    let skip = offset
    for (;;) {
      const wanted = Math.min(TEXT_SLICE_ROWS, limit - count)
      const last = count + wanted === limit
      const rows = await session.selectRows(TEXT_SLICE_SQL, [
        runPk,
        metricKey,
        ...position,
        last && lookAhead ? wanted + 1 : wanted,
        skip,
      ])
      const more = rows.length > wanted
      if (more) rows.length = wanted
      if (rows.length > 0) {
        texts.push(
          rows
            .map(
              (row) =>
                `{"key":${key},"value":${row[3] === 1 ? '"NaN"' : row[2]},"timestamp":${row[0]},"step":${row[1]}}`,
            )
            .join(','),
        )
      }
      count += rows.length
      const end = rows.length === wanted ? rows[wanted - 1] : undefined
      if (!end) return { text: texts.join(','), count, more: false }
      const cursor: MetricHistoryCursor = [
        toInt64Value(end[0] as string),
        toInt64Value(end[1] as string),
        Number(end[2]),
        Number(end[3]) ? 1 : 0,
      ]
      if (last) return { text: texts.join(','), count, more, last: cursor }
      position = cursor
      skip = 0
    }
  }
  const [row] = await session.selectRows(jsonSliceSql(db.metricJsonAggregate), [
    metricKey,
    runPk,
    metricKey,
    ...after,
    limit,
    offset,
  ])
  const count = Number(row?.[1] ?? 0)
  const text = (row?.[0] as string | null) ?? ''
  if (count < limit) return { text, count, more: false }
  const ends = await session.selectRows(
    SLICE_END_SQL,
    [runPk, metricKey, ...after, lookAhead ? 2 : 1, offset + limit - 1],
    EXACT,
  )
  return { text, count, last: ends[0] && toCursor(ends[0]), more: ends.length > 1 }
}

const jsonSliceSql = (
  aggregate: string,
) => `SELECT ${aggregate}, count(*) FROM (SELECT "timestamp", step, value,
    is_nan FROM metrics WHERE run_pk = ? AND key = ? AND ("timestamp", step, value, is_nan) > (?, ?, ?, ?)
    ORDER BY ${HISTORY_ORDER} LIMIT ? OFFSET ?) page`

/**
 * The history as MLflow's wire JSON, rendered by the database: each chunk is comma-separated
 * `{"key":…,"value":…,"timestamp":…,"step":…}` objects (NaN as `"NaN"`), ready to be joined with `,`.
 */
export async function* streamMetricHistoryJson(
  db: SqlDatabase,
  runId: string,
  metricKey: string,
): AsyncGenerator<string> {
  const runPk = await getRunPk(db, runId)
  let after: readonly unknown[] = BEFORE_FIRST
  for (;;) {
    const position = after
    const slice = await db.read((session) =>
      renderJsonSlice(db, session, runPk, metricKey, position, 0, HISTORY_JSON_CHUNK_SIZE, false),
    )
    if (slice.count > 0) yield slice.text
    if (!slice.last) return
    after = slice.last
  }
}

/** `getMetricHistory` with a page size, rendered as wire JSON by the database instead of as objects. */
export async function getMetricHistoryJson(
  db: SqlDatabase,
  input: MetricHistoryInput & { maxResults: number },
): Promise<MetricHistoryJsonPage> {
  const after = input.after
  if (after !== undefined && !isCursor(after))
    throw invalidParameter('Invalid page token: bad metric history position')
  return db.read(async (session) => {
    const runPk = await findRunPk(session, input.runId)
    if (runPk === undefined) throw runNotFound(input.runId)
    const slice = await renderJsonSlice(
      db,
      session,
      runPk,
      input.metricKey,
      after ?? BEFORE_FIRST,
      after ? 0 : input.offset,
      input.maxResults,
      true,
    )
    const page: MetricHistoryJsonPage = { json: slice.text, count: slice.count }
    if (slice.more && slice.last) {
      page.nextOffset = input.offset + input.maxResults
      page.nextCursor = slice.last
    }
    return page
  })
}

export async function getMetricHistoryBulk(
  db: SqlDatabase,
  input: MetricHistoryBulkInput,
): Promise<Metric[]> {
  return db.read(async (session) => {
    const runs = await resolveRunPks(db, session, input.runIds)
    const metrics: Metric[] = []
    for (const runId of [...runs.keys()].sort()) {
      const remaining = input.maxResults - metrics.length
      if (remaining <= 0) break
      const rows = await session.selectRows(
        HISTORY_PAGE_SQL,
        [runs.get(runId), input.metricKey, remaining, 0],
        EXACT,
      )
      for (const row of rows) metrics.push({ ...toMetric(input.metricKey, row), runId })
    }
    return metrics
  })
}

async function resolveRunPks(
  db: SqlDatabase,
  session: Session,
  runIds: readonly string[],
): Promise<Map<string, number>> {
  const unique = [...new Set(runIds)]
  if (unique.length === 0) return new Map()
  const rows = await session.selectRows(`SELECT run_uuid, run_pk FROM runs WHERE run_uuid ${db.listSql}`, [
    db.listParameter(unique),
  ])
  return new Map(rows.map((row) => [row[0] as string, Number(row[1])]))
}

/** Sorted distinct steps, as far as sampling needs to see them. */
export interface StepSet {
  /** How many steps are smaller than `value`. */
  countBelow(value: Int64Value): number
  /** The step at `index` in ascending order. */
  at(index: number): Int64Value
  readonly size: number
}

export function arrayStepSet(sortedDistinct: readonly Int64Value[]): StepSet {
  return {
    size: sortedDistinct.length,
    at: (index) => sortedDistinct[index]!,
    countBelow(value) {
      let low = 0
      let high = sortedDistinct.length
      while (low < high) {
        const middle = (low + high) >>> 1
        if (sortedDistinct[middle]! < value) low = middle + 1
        else high = middle
      }
      return low
    },
  }
}

/** The union of contiguous step ranges [min, max] (one per run whose steps have no gaps), all safe integers. */
export function rangeStepSet(ranges: readonly { min: number; max: number }[]): StepSet {
  const merged: { min: number; max: number }[] = []
  for (const range of [...ranges].sort((a, b) => a.min - b.min)) {
    const last = merged[merged.length - 1]
    if (last && range.min <= last.max + 1) last.max = Math.max(last.max, range.max)
    else merged.push({ ...range })
  }
  const size = merged.reduce((total, range) => total + range.max - range.min + 1, 0)
  return {
    size,
    countBelow(value) {
      let count = 0
      for (const range of merged) {
        if (value <= range.min) break
        count += (value <= range.max ? Number(value) : range.max + 1) - range.min
      }
      return count
    },
    at(index) {
      let remaining = index
      for (const range of merged) {
        const length = range.max - range.min + 1
        if (remaining < length) return range.min + remaining
        remaining -= length
      }
      throw new RangeError(`step index ${index} out of range`)
    },
  }
}

/**
 * MLflow's bulk-interval step sampling (`get_metric_history_bulk_interval_impl` and
 * `_get_sampled_steps_from_steps`), quirks included: positions `start + trunc(i * n / max)` are kept only
 * while below `n`, the range's last step is always kept, and so are each run's first and last steps
 * that fall in the range.
 */
export function sampleSteps(options: {
  steps: StepSet
  runRanges: readonly { min: Int64Value; max: Int64Value }[]
  startStep?: Int64Value
  endStep?: Int64Value
  maxResults: number
}): Int64Value[] {
  const { steps } = options
  const { startStep, endStep } = sampleRange(options, steps.size > 0 ? steps.at(steps.size - 1) : 0)
  const indices = sampledIndices(
    steps.countBelow(startStep),
    steps.countBelow(typeof endStep === 'bigint' ? endStep + 1n : endStep + 1),
    options.maxResults,
  )
  return withRunEnds(
    indices.map((index) => steps.at(index)),
    options.runRanges,
    startStep,
    endStep,
  )
}

/** The requested step range, or MLflow's default (0 to the last step) when either end is missing. */
function sampleRange(
  options: { startStep?: Int64Value; endStep?: Int64Value },
  lastStep: Int64Value,
): { startStep: Int64Value; endStep: Int64Value } {
  if (options.startStep === undefined || options.endStep === undefined)
    return { startStep: 0, endStep: lastStep }
  return { startStep: options.startStep, endStep: options.endStep }
}

/** Positions (in the sorted distinct steps) that sampling keeps of those in [startIndex, endIndex). */
function sampledIndices(startIndex: number, endIndex: number, maxResults: number): number[] {
  const indices: number[] = []
  if (endIndex - startIndex <= maxResults) {
    for (let index = startIndex; index < endIndex; index++) indices.push(index)
    return indices
  }
  const count = endIndex - startIndex
  const interval = count / maxResults
  for (let i = 0; i < maxResults; i++) {
    const index = startIndex + Math.trunc(i * interval)
    // MLflow compares with the count, not the end position.
    if (index < count) indices.push(index)
  }
  indices.push(endIndex - 1)
  return indices
}

/** The sampled steps plus each run's first and last step inside the range, sorted and distinct. */
function withRunEnds(
  steps: readonly Int64Value[],
  runRanges: readonly { min: Int64Value; max: Int64Value }[],
  startStep: Int64Value,
  endStep: Int64Value,
): Int64Value[] {
  // Steps are canonical Int64Values, so equal steps are the same Set entry.
  const sampled = new Set<Int64Value>(steps)
  for (const range of runRanges) {
    if (range.min >= startStep && range.min <= endStep) sampled.add(range.min)
    if (range.max >= startStep && range.max <= endStep) sampled.add(range.max)
  }
  return [...sampled].sort(compareInt64)
}

export async function getMetricHistoryBulkInterval(
  db: SqlDatabase,
  input: MetricHistoryBulkIntervalInput,
): Promise<Metric[]> {
  return db.read(async (session) => {
    const runs = await resolveRunPks(db, session, input.runIds)
    for (const runId of input.runIds) if (!runs.has(runId)) throw runNotFound(runId)
    const pks = [...new Set(runs.values())]
    if (pks.length === 0) return []
    const statistics = await session.selectRows(
      `SELECT run_pk, min_step, step, step_count FROM latest_metrics WHERE key = ? AND run_pk ${db.listSql}`,
      [input.metricKey, db.listParameter(pks)],
      EXACT,
    )
    const runRanges = statistics.map((row) => ({
      min: row[1] as Int64Value,
      max: row[2] as Int64Value,
      count: Number(row[3]),
    }))
    const safeRanges = runRanges.filter(
      (range): range is { min: number; max: number; count: number } =>
        typeof range.min === 'number' && typeof range.max === 'number',
    )
    const contiguous =
      safeRanges.length === runRanges.length &&
      safeRanges.every((range) => range.max - range.min + 1 === range.count)
    let steps: StepSet
    if (contiguous) {
      steps = rangeStepSet(safeRanges)
    } else {
      const rows = await session.selectRows(
        `SELECT DISTINCT step FROM metrics WHERE key = ? AND run_pk ${db.listSql} ORDER BY step`,
        [input.metricKey, db.listParameter(pks)],
        EXACT,
      )
      steps = arrayStepSet(rows.map((row) => row[0] as Int64Value))
    }
    const sampled = sampleSteps({
      steps,
      runRanges,
      startStep: input.startStep,
      endStep: input.endStep,
      maxResults: input.maxResults,
    })
    if (sampled.length === 0) return []
    const metrics: Metric[] = []
    const pointsSql = `SELECT "timestamp", step, value, is_nan FROM metrics WHERE run_pk = ? AND key = ?
      AND step ${db.bigintListSql} ORDER BY step, "timestamp", value LIMIT ?`
    for (const runId of input.runIds) {
      const rows = await session.selectRows(
        pointsSql,
        [runs.get(runId), input.metricKey, db.listParameter(sampled), BULK_INTERVAL_POINTS_PER_RUN],
        EXACT,
      )
      for (const row of rows) metrics.push({ ...toMetric(input.metricKey, row), runId })
    }
    return metrics
  })
}
