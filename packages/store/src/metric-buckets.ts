import { type Int64Value, invalidParameter } from '@cairn/core'
import type { ReadOptions, Session, SqlDatabase } from './dialect/dialect.js'
import { runNotFound } from './store-errors.js'
import type { MetricBucket, MetricBucketsInput } from './tracking-store.js'

/** Most buckets one request may ask for (a 4K screen is narrower). */
export const MAX_METRIC_BUCKETS = 5000

const EXACT: ReadOptions = { exactIntegers: true }

/**
 * Buckets of equal integer step width: bucket i holds steps [start + i·width, start + (i+1)·width). PostgreSQL
 * groups the range in one statement. SQLite would sort every row of the range to group them (a temp B-tree), so
 * there each bucket is its own seek and scan of the covering (run_pk, key, step) index, which reads the rows in
 * order and sorts nothing. NaN points are left out.
 */
const PG_BUCKETS_SQL = `SELECT (step - ?) / ? AS b, count(*), min(value), max(value), min(step), max(step)
  FROM metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step <= ? AND is_nan = 0 GROUP BY b ORDER BY b`
const SQLITE_BUCKET_SQL = `SELECT count(*), min(value), max(value)
  FROM metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step < ? AND is_nan = 0`
/** The last step of a bucket, by one backwards seek. */
const SQLITE_LAST_STEP_SQL = `SELECT step FROM metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step < ?
  AND is_nan = 0 ORDER BY step DESC LIMIT 1`
/** The next step with a point at or after a position (to skip empty stretches in one seek). */
const SQLITE_NEXT_STEP_SQL = `SELECT step FROM metrics WHERE run_pk = ? AND key = ? AND step >= ? AND step <= ?
  AND is_nan = 0 ORDER BY step LIMIT 1`

const RANGE_SQL = (listSql: string) =>
  `SELECT min(min_step), max(step) FROM latest_metrics WHERE key = ? AND run_pk ${listSql}`

/**
 * Downsamples a metric of several runs for a chart: the step range (default: every step the runs
 * logged) is cut into `buckets` equal slices, and each non-empty slice answers its point count, min
 * and max value, and its first and last point. Plotting first → min → max → last per slice keeps
 * every spike of a series visible whatever its length, which sampling (or LTTB alone) does not.
 */
export async function getMetricHistoryBuckets(
  db: SqlDatabase,
  input: MetricBucketsInput,
): Promise<MetricBucket[]> {
  if (!Number.isInteger(input.buckets) || input.buckets < 1 || input.buckets > MAX_METRIC_BUCKETS) {
    throw invalidParameter(
      `buckets must be an integer between 1 and ${MAX_METRIC_BUCKETS}, got ${input.buckets}`,
    )
  }
  if ((input.startStep === undefined) !== (input.endStep === undefined)) {
    throw invalidParameter('Give both min_step and max_step, or neither.')
  }
  if (input.startStep !== undefined && input.endStep !== undefined && input.startStep > input.endStep) {
    throw invalidParameter(
      `min_step (${input.startStep}) must not be greater than max_step (${input.endStep}).`,
    )
  }
  return db.read(async (session) => {
    const unique = [...new Set(input.runIds)]
    if (unique.length === 0) return []
    const pkRows = await session.selectRows(
      `SELECT run_uuid, run_pk FROM runs WHERE run_uuid ${db.listSql}`,
      [db.listParameter(unique)],
    )
    const runPks = new Map(pkRows.map((row) => [row[0] as string, Number(row[1])]))
    for (const runId of unique) if (!runPks.has(runId)) throw runNotFound(runId)

    let start = input.startStep
    let end = input.endStep
    if (start === undefined || end === undefined) {
      const [range] = await session.selectRows(
        RANGE_SQL(db.listSql),
        [input.metricKey, db.listParameter([...runPks.values()])],
        EXACT,
      )
      if (!range || range[0] === null || range[1] === null) return []
      start = Number(range[0] as Int64Value)
      end = Number(range[1] as Int64Value)
    }
    const width = Math.max(1, Math.ceil((end - start + 1) / input.buckets))
    const buckets: MetricBucket[] = []
    for (const runId of unique) {
      const runPk = runPks.get(runId)!
      const rows =
        db.kind === 'postgres'
          ? await session.selectRows(
              PG_BUCKETS_SQL,
              [start, width, runPk, input.metricKey, start, end],
              EXACT,
            )
          : await sqliteBuckets(session, { runPk, metricKey: input.metricKey, start, end, width })
      if (rows.length === 0) continue
      const edges = await readEdgePoints(db, session, {
        runPk,
        metricKey: input.metricKey,
        steps: rows.flatMap((row) => [row[4] as Int64Value, row[5] as Int64Value]),
      })
      for (const row of rows) {
        const minStep = row[4] as Int64Value
        const maxStep = row[5] as Int64Value
        const first = edges.get(String(minStep))!
        const last = edges.get(String(maxStep))!
        buckets.push({
          runId,
          bucket: Number(row[0]),
          count: Number(row[1]),
          min: Number(row[2]),
          max: Number(row[3]),
          firstStep: minStep,
          firstValue: first.firstValue,
          firstTimestamp: first.firstTimestamp,
          lastStep: maxStep,
          lastValue: last.lastValue,
          lastTimestamp: last.lastTimestamp,
        })
      }
    }
    return buckets
  })
}

/** Rows [bucket, count, min, max, minStep, maxStep] of the non-empty buckets, by per-bucket index scans. */
async function sqliteBuckets(
  session: Session,
  query: { runPk: number; metricKey: string; start: number; end: number; width: number },
): Promise<unknown[][]> {
  const { runPk, metricKey, start, end, width } = query
  const rows: unknown[][] = []
  let position = start
  while (position <= end) {
    const [next] = await session.selectRows(SQLITE_NEXT_STEP_SQL, [runPk, metricKey, position, end], EXACT)
    if (!next) break
    const bucket = Math.floor((Number(next[0]) - start) / width)
    const from = start + bucket * width
    const [row] = await session.selectRows(SQLITE_BUCKET_SQL, [runPk, metricKey, from, from + width], EXACT)
    const [last] = await session.selectRows(
      SQLITE_LAST_STEP_SQL,
      [runPk, metricKey, from, from + width],
      EXACT,
    )
    rows.push([bucket, ...row!, next[0], last![0]])
    position = from + width
  }
  return rows
}

interface EdgePoint {
  firstValue: number
  firstTimestamp: Int64Value
  lastValue: number
  lastTimestamp: Int64Value
}

/** For each step: its earliest and its latest (by timestamp) non-NaN point. */
async function readEdgePoints(
  db: SqlDatabase,
  session: Session,
  query: { runPk: number; metricKey: string; steps: Int64Value[] },
): Promise<Map<string, EdgePoint>> {
  const steps = [...new Map(query.steps.map((step) => [String(step), step])).values()]
  const rows = await session.selectRows(
    `SELECT step, "timestamp", value FROM metrics WHERE run_pk = ? AND key = ? AND is_nan = 0
      AND step ${db.bigintListSql} ORDER BY step, "timestamp", value`,
    [query.runPk, query.metricKey, db.listParameter(steps)],
    EXACT,
  )
  const edges = new Map<string, EdgePoint>()
  for (const row of rows) {
    const step = String(row[0] as Int64Value)
    const timestamp = row[1] as Int64Value
    const value = Number(row[2])
    const edge = edges.get(step)
    if (edge) {
      edge.lastValue = value
      edge.lastTimestamp = timestamp
    } else {
      edges.set(step, {
        firstValue: value,
        firstTimestamp: timestamp,
        lastValue: value,
        lastTimestamp: timestamp,
      })
    }
  }
  return edges
}
