import type { SqlDatabase } from './dialect/dialect.js'
import { openDatabase, redactUri } from './dialect/open-database.js'
import type { RegistryStore } from './registry/registry-store.js'
import { SqlRegistryStore } from './registry/sql-registry-store.js'
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
    DATABASES.set(store, db)
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

/** The database behind each store `createTrackingStore` opened, so the registry can share it. */
const DATABASES = new WeakMap<TrackingStore, SqlDatabase>()
const REGISTRIES = new WeakMap<TrackingStore, RegistryStore>()

/**
 * The model registry (registered models, versions, logged models, webhooks) on the same database and
 * connections as a tracking store from `createTrackingStore`; closing the tracking store closes both.
 *
 * @example
 * const tracking = await createTrackingStore('sqlite:///cairn.db', { defaultArtifactRoot: './mlruns' })
 * const registry = registryStoreOf(tracking)
 */
export function registryStoreOf(store: TrackingStore): RegistryStore {
  const existing = REGISTRIES.get(store)
  if (existing) return existing
  const db = DATABASES.get(store)
  if (!db) throw new Error('registryStoreOf: the tracking store was not opened by createTrackingStore')
  const registry = new SqlRegistryStore(db)
  REGISTRIES.set(store, registry)
  return registry
}

/** Both stores on one database: what the server runs on. */
export interface Stores {
  tracking: TrackingStore
  registry: RegistryStore
}

/** Opens the tracking store at `uri` and the registry on the same database (see `createTrackingStore`). */
export async function createStores(uri: string, options: CreateTrackingStoreOptions): Promise<Stores> {
  const tracking = await createTrackingStore(uri, options)
  return { tracking, registry: registryStoreOf(tracking) }
}
