import { MlflowError } from '@cairn/core'
import { Migrator, sql } from 'kysely'
import type { SqlDatabase } from '../dialect/dialect.js'
import { migrations } from './migrations.js'

export const MIGRATION_TABLE = 'cairn_migration'
export const MIGRATION_LOCK_TABLE = 'cairn_migration_lock'

export type MigrationSet = ReturnType<typeof migrations>

function createMigrator(db: SqlDatabase, all: MigrationSet): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => all },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  })
}

/** Applies every pending migration (serialised by Kysely's migration lock) and returns their names. */
export async function applyMigrations(
  db: SqlDatabase,
  all: MigrationSet = migrations(db.kind),
): Promise<string[]> {
  const { error, results } = await db.migrate(() => createMigrator(db, all).migrateToLatest())
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName
    throw new MlflowError(
      'INTERNAL_ERROR',
      `Database migration${failed ? ` ${failed}` : ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}

/**
 * Makes the schema usable when a store opens: a fresh database gets the whole schema; a database whose
 * schema is older (or newer) than this version is refused with instructions, as MLflow does.
 */
export async function prepareSchema(
  db: SqlDatabase,
  redactedUri: string,
  all: MigrationSet = migrations(db.kind),
): Promise<void> {
  const tables = new Set((await db.kysely.introspection.getTables()).map((table) => table.name))
  if (!tables.has(MIGRATION_TABLE)) {
    if (tables.has('experiments') || tables.has('runs')) {
      throw new MlflowError(
        'INVALID_STATE',
        `The database ${redactedUri} has tracking tables but no Cairn schema version; it was not created by Cairn ` +
          '(an MLflow database cannot be opened directly).',
      )
    }
    await applyMigrations(db, all)
    return
  }
  const executed = (
    await db.read((session) =>
      session.select(sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`),
    )
  ).map((row) => row.name)
  // Another process may be creating the schema right now: its migration lock makes us wait for it.
  if (executed.length === 0) {
    await applyMigrations(db, all)
    return
  }
  const known = Object.keys(all).sort()
  const unknown = executed.filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    throw new MlflowError(
      'INVALID_STATE',
      `The database schema (version ${executed.at(-1)}) is newer than this version of Cairn supports ` +
        `(${known.at(-1)}). Upgrade Cairn to use this database.`,
    )
  }
  if (executed.length < known.length) {
    throw new MlflowError(
      'INVALID_STATE',
      `Detected out-of-date database schema (found version ${executed.at(-1)}, but expected ${known.at(-1)}). ` +
        `Take a backup of your database, then run 'cairn db upgrade ${redactedUri}' to migrate your database ` +
        'to the latest schema. NOTE: schema migration may result in database downtime - please consult your ' +
        "database's documentation for more detail.",
    )
  }
}
