import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'

/**
 * Writes runs straight into an MLflow SQLite database, in MLflow's own schema, as MLflow's SQL store would after
 * runs/create (status RUNNING, source_type UNKNOWN, an `mlflow.runName` tag) plus log-batch (a `metrics` row and a
 * `latest_metrics` row per metric). The experiment must already exist (created through MLflow's REST API).
 */
export function insertMlflowRuns({
  dbPath,
  experimentId,
  artifactLocation,
  count,
  runData,
  userId = 'bench',
}) {
  const db = new Database(dbPath, { timeout: 30_000 })
  try {
    const insertRun = db.prepare(
      `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time,
         end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
       VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, '', 'active', ?, ?, NULL)`,
    )
    const insertTag = db.prepare('INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)')
    const insertParam = db.prepare('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)')
    const insertMetric = db.prepare(
      'INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)',
    )
    const insertLatest = db.prepare(
      'INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)',
    )
    const runIds = []
    const insertAll = db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const data = runData(i)
        const runId = randomUUID().replaceAll('-', '')
        runIds.push(runId)
        insertRun.run(
          runId,
          data.runName,
          userId,
          data.startTime,
          `${artifactLocation}/${runId}/artifacts`,
          experimentId,
        )
        for (const tag of data.tags) insertTag.run(tag.key, tag.value, runId)
        insertTag.run('mlflow.runName', data.runName, runId)
        for (const param of data.params) insertParam.run(param.key, param.value, runId)
        for (const metric of data.metrics) {
          insertMetric.run(metric.key, metric.value, metric.timestamp, runId, metric.step)
          insertLatest.run(metric.key, metric.value, metric.timestamp, metric.step, runId)
        }
      }
    })
    insertAll()
    return runIds
  } finally {
    db.close()
  }
}

/** Appends `points` history points of one metric key to an existing MLflow run. */
export function insertMlflowHistory({ dbPath, runId, key, points, pointAt }) {
  const db = new Database(dbPath, { timeout: 30_000 })
  try {
    const insertMetric = db.prepare(
      'INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)',
    )
    const upsertLatest = db.prepare(
      `INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)
       ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp,
         step = excluded.step`,
    )
    let last
    db.transaction(() => {
      for (let i = 0; i < points; i++) {
        last = pointAt(i)
        insertMetric.run(key, last.value, last.timestamp, runId, last.step)
      }
      upsertLatest.run(key, last.value, last.timestamp, last.step, runId)
    })()
  } finally {
    db.close()
  }
}
