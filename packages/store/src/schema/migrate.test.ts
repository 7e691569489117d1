import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { createTrackingStore, migrateToLatest } from '../create-tracking-store.js'
import { openDatabase } from '../dialect/open-database.js'
import { expectMlflowError } from '../test-support/assertions.js'
import {
  createTestDatabase,
  IS_CI,
  POSTGRES_PROBLEM,
  STORE_KINDS,
  type StoreKind,
} from '../test-support/index.js'
import { applyMigrations, MIGRATION_TABLE, type MigrationSet, prepareSchema } from './migrate.js'
import { migrations } from './migrations.js'

const OPTIONS = { defaultArtifactRoot: '/tmp/cairn-artifacts' }

/** The shipped migrations plus one more, as a later Cairn version would have them. */
function withExtraMigration(kind: StoreKind): MigrationSet {
  return {
    ...migrations(kind),
    '9999_test_extra': {
      up: async (db) => {
        await db.schema.createTable('extra_test_table').addColumn('id', 'integer').execute()
      },
    },
  }
}

for (const kind of STORE_KINDS) {
  const skip = kind === 'postgres' && POSTGRES_PROBLEM !== undefined && !IS_CI
  describe.skipIf(skip)(`schema migrations [${kind}]`, () => {
    it('creates the schema and the default experiment in a fresh database, once', async () => {
      const database = await createTestDatabase(kind)
      try {
        const [first, second] = await Promise.all([
          createTrackingStore(database.uri, OPTIONS),
          createTrackingStore(database.uri, OPTIONS),
        ])
        expect((await first.getExperiment('0')).artifactLocation).toBe('/tmp/cairn-artifacts/0')
        const page = await second.searchExperiments({
          viewType: 'ALL',
          maxResults: 10,
          orderBy: [],
          offset: 0,
        })
        expect(page.items.map((experiment) => experiment.name)).toEqual(['Default'])
        await first.close()
        await second.close()
        const again = await createTrackingStore(database.uri, OPTIONS)
        expect((await again.getExperiment('0')).name).toBe('Default')
        await again.close()
      } finally {
        await database.drop()
      }
    })

    it('migrates a fresh database with migrateToLatest and then has nothing left to do', async () => {
      const database = await createTestDatabase(kind)
      try {
        expect(await migrateToLatest(database.uri)).toEqual(Object.keys(migrations(kind)))
        expect(await migrateToLatest(database.uri)).toEqual([])
        const store = await createTrackingStore(database.uri, OPTIONS)
        await store.close()
      } finally {
        await database.drop()
      }
    })

    it('refuses an out-of-date schema with a pointer to `cairn db upgrade`, and opens after the upgrade', async () => {
      const database = await createTestDatabase(kind)
      const db = openDatabase(database.uri)
      try {
        await applyMigrations(db)
        const error = await expectMlflowError(
          prepareSchema(db, 'sqlite:///x.db', withExtraMigration(kind)),
          'INVALID_STATE',
        )
        expect(error.message).toContain('Detected out-of-date database schema')
        expect(error.message).toContain("run 'cairn db upgrade sqlite:///x.db'")
        expect(await applyMigrations(db, withExtraMigration(kind))).toEqual(['9999_test_extra'])
        await prepareSchema(db, 'sqlite:///x.db', withExtraMigration(kind))
      } finally {
        await db.close()
      }
      try {
        // This version does not know 9999_test_extra: the database is newer than the code.
        await expectMlflowError(
          createTrackingStore(database.uri, OPTIONS),
          'INVALID_STATE',
          /newer than this version/,
        )
      } finally {
        await database.drop()
      }
    })

    it('refuses a database with tracking tables that Cairn did not create', async () => {
      const database = await createTestDatabase(kind)
      const db = openDatabase(database.uri)
      try {
        await db.write((session) => session.execute(sql`CREATE TABLE experiments (experiment_id integer)`))
        await expectMlflowError(
          createTrackingStore(database.uri, OPTIONS),
          'INVALID_STATE',
          /not created by Cairn/,
        )
      } finally {
        await db.close()
        await database.drop()
      }
    })

    it('records every applied migration in the migration table', async () => {
      const database = await createTestDatabase(kind)
      const db = openDatabase(database.uri)
      try {
        await applyMigrations(db)
        const rows = await db.read((session) =>
          session.select(sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`),
        )
        expect(rows.map((row) => row.name)).toEqual(Object.keys(migrations(kind)))
      } finally {
        await db.close()
        await database.drop()
      }
    })
  })
}

describe('SQLite files', () => {
  it('creates the parent folder of a new database file', async () => {
    const database = await createTestDatabase('sqlite')
    const uri = database.uri.replace(/cairn\.db$/, 'nested/deeper/cairn.db')
    try {
      const store = await createTrackingStore(uri, OPTIONS)
      expect((await store.getExperiment('0')).name).toBe('Default')
      await store.close()
    } finally {
      await database.drop()
    }
  })

  it('works in memory', async () => {
    const store = await createTrackingStore('sqlite://', OPTIONS)
    expect((await store.getExperiment('0')).name).toBe('Default')
    await store.close()
  })
})
