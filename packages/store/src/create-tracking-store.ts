import { openDatabase, redactUri } from './dialect/open-database.js'
import { applyMigrations, prepareSchema } from './schema/migrate.js'
import { SqlTrackingStore } from './sql-tracking-store.js'
import type { TrackingStore } from './tracking-store.js'

export interface CreateTrackingStoreOptions {
  /** Root of experiment artifact locations: `mlflow-artifacts:/`, a local path or e.g. `s3://bucket/prefix`. */
  defaultArtifactRoot: string
}

/**
 * Opens the tracking store at `uri` (`sqlite:///path.db`, `sqlite:////abs/path.db`, `sqlite://` for memory,
 * `postgresql://…`, `postgres://…`, `postgresql+psycopg2://…`). A fresh database gets the schema and the
 * default experiment; a database with an older schema is refused until `cairn db upgrade` has run.
 */
export async function createTrackingStore(
  uri: string,
  options: CreateTrackingStoreOptions,
): Promise<TrackingStore> {
  const db = openDatabase(uri)
  try {
    await prepareSchema(db, redactUri(uri))
    const store = new SqlTrackingStore(db, options.defaultArtifactRoot)
    await store.ensureDefaultExperiment()
    return store
  } catch (error) {
    await db.close().catch(() => {})
    throw error
  }
}

/** Brings the schema of the database at `uri` to the latest version in place; resolves with the migrations applied. */
export async function migrateToLatest(uri: string): Promise<string[]> {
  const db = openDatabase(uri)
  try {
    return await applyMigrations(db)
  } finally {
    await db.close()
  }
}
