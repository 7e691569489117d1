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
    Object.defineProperty(store, DATABASE, { value: db })
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

/**
 * The database behind a store `createTrackingStore` opened, so the registry can share it. A property (not a
 * map keyed by the object) so that wrappers such as a `Proxy` of the store still lead to it.
 */
const DATABASE = Symbol('cairn.store.database')
const REGISTRIES = new WeakMap<SqlDatabase, RegistryStore>()

/**
 * The model registry (registered models, versions, logged models, webhooks) on the same database and
 * connections as a tracking store from `createTrackingStore`; closing the tracking store closes both.
 *
 * @example
 * const tracking = await createTrackingStore('sqlite:///cairn.db', { defaultArtifactRoot: './mlruns' })
 * const registry = registryStoreOf(tracking)
 */
export function registryStoreOf(store: TrackingStore): RegistryStore {
  const db = (store as unknown as Record<symbol, SqlDatabase | undefined>)[DATABASE]
  if (!db) throw new Error('registryStoreOf: the tracking store was not opened by createTrackingStore')
  const existing = REGISTRIES.get(db)
  if (existing) return existing
  const registry = new SqlRegistryStore(db)
  REGISTRIES.set(db, registry)
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
