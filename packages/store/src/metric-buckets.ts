import { type Int64Value, invalidParameter } from '@cairn/core'
import type { ReadOptions, Session, SqlDatabase } from './dialect/dialect.js'
import { bucketThreadCount, computeBucketsInWorker } from './sqlite-bucket-workers.js'
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
  if (db.kind === 'sqlite' && bucketThreadCount() > 0) {
    // Three short holds of the store's connection; the long part (the scans) runs on worker threads between them.
    const plan = await db.read((session) => planBuckets(db, session, input))
    if (!plan) return []
    const rowsByRun = await readBucketRowsOnWorkers(db, input.metricKey, plan)
    return db.read((session) => assembleBuckets(db, session, input.metricKey, plan, rowsByRun))
  }
  // One hold of the connection for the whole request, so a request's answer never waits behind other requests' scans.
  return db.read(async (session) => {
    const plan = await planBuckets(db, session, input)
    if (!plan) return []
    const rowsByRun = new Map<string, unknown[][]>()
    for (const [runId, runPk] of plan.runPks) {
      rowsByRun.set(runId, await readRunRows(db, session, input.metricKey, plan, runPk))
    }
    return assembleBuckets(db, session, input.metricKey, plan, rowsByRun)
  })
}

/** The answer: each run's bucket rows completed with their first and last points. */
async function assembleBuckets(
  db: SqlDatabase,
  session: Session,
  metricKey: string,
  plan: BucketPlan,
  rowsByRun: ReadonlyMap<string, unknown[][]>,
): Promise<MetricBucket[]> {
  const buckets: MetricBucket[] = []
  for (const [runId, runPk] of plan.runPks) {
    const rows = rowsByRun.get(runId) ?? []
    if (rows.length === 0) continue
    const edges = await readEdgePoints(db, session, {
      runPk,
      metricKey,
      steps: rows.flatMap((row) => [row[4] as Int64Value, row[5] as Int64Value]),
    })
    for (const row of rows) {
      const minStep = row[4] as Int64Value
      const maxStep = row[5] as Int64Value
      const first = edges.get(String(minStep))
      const last = edges.get(String(maxStep))
      // A point deleted between the two reads (a purged run): leave its bucket out rather than fail.
      if (!first || !last) continue
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
}

interface BucketPlan {
  /** Runs in request order (duplicates removed) with their primary keys. */
  runPks: Map<string, number>
  start: number
  end: number
  width: number
  /** The SQLite database file, when the store is one ('' for an in-memory database). */
  sqliteFile?: string
}

/** Resolves the runs (RESOURCE_DOES_NOT_EXIST for an unknown one), the step range and the bucket width. */
async function planBuckets(
  db: SqlDatabase,
  session: Session,
  input: MetricBucketsInput,
): Promise<BucketPlan | undefined> {
  const unique = [...new Set(input.runIds)]
  if (unique.length === 0) return undefined
  const pkRows = await session.selectRows(`SELECT run_uuid, run_pk FROM runs WHERE run_uuid ${db.listSql}`, [
    db.listParameter(unique),
  ])
  const found = new Map(pkRows.map((row) => [row[0] as string, Number(row[1])]))
  const runPks = new Map<string, number>()
  for (const runId of unique) {
    const runPk = found.get(runId)
    if (runPk === undefined) throw runNotFound(runId)
    runPks.set(runId, runPk)
  }
  let start = input.startStep
  let end = input.endStep
  if (start === undefined || end === undefined) {
    const [range] = await session.selectRows(
      RANGE_SQL(db.listSql),
      [input.metricKey, db.listParameter([...runPks.values()])],
      EXACT,
    )
    if (!range || range[0] === null || range[1] === null) return undefined
    start = Number(range[0] as Int64Value)
    end = Number(range[1] as Int64Value)
  }
  const width = Math.max(1, Math.ceil((end - start + 1) / input.buckets))
  let sqliteFile: string | undefined
  if (db.kind === 'sqlite') {
    const [file] = await session.selectRows(`SELECT file FROM pragma_database_list WHERE name = 'main'`, [])
    sqliteFile = typeof file?.[0] === 'string' ? file[0] : ''
  }
  return { runPks, start, end, width, sqliteFile }
}

/** One run's bucket rows on the store's connection: one grouped statement on PostgreSQL, index scans on SQLite. */
function readRunRows(
  db: SqlDatabase,
  session: Session,
  metricKey: string,
  plan: BucketPlan,
  runPk: number,
): Promise<unknown[][]> {
  const { start, end, width } = plan
  return db.kind === 'postgres'
    ? session.selectRows(PG_BUCKETS_SQL, [start, width, runPk, metricKey, start, end], EXACT)
    : sqliteBuckets(session, { runPk, metricKey, start, end, width })
}

/**
 * Each run's bucket rows from a SQLite file, read on worker threads (`sqlite-bucket-workers.ts`): the store's
 * connection stays free for other requests meanwhile and, with cores to spare, several runs are read at once. An
 * in-memory database, or a worker that cannot read the file (say, a read-only folder without the WAL's
 * shared-memory file), leaves a run to the store's connection.
 */
async function readBucketRowsOnWorkers(
  db: SqlDatabase,
  metricKey: string,
  plan: BucketPlan,
): Promise<Map<string, unknown[][]>> {
  const { start, end, width } = plan
  const entries = [...plan.runPks]
  const rows = await Promise.all(
    entries.map(async ([, runPk]) => {
      const fromWorker =
        plan.sqliteFile === ''
          ? undefined
          : await computeBucketsInWorker({
              filename: plan.sqliteFile!,
              runPk,
              metricKey,
              start,
              end,
              width,
            }).catch(() => undefined)
      return fromWorker ?? db.read((session) => readRunRows(db, session, metricKey, plan, runPk))
    }),
  )
  return new Map(entries.map(([runId], index) => [runId, rows[index]!]))
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
