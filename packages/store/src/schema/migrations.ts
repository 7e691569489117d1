import {
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Expression,
  type Kysely,
  type Migration,
  sql,
} from 'kysely'
import type { DialectKind } from '../dialect/dialect.js'
import { createGatewaySchema, dropGatewaySchema } from './gateway-schema.js'
import { createRegistrySchema, dropRegistrySchema } from './registry-schema.js'

/**
 * The schema, one migration set for both dialects. Differences are limited to:
 * auto-increment columns, text collation (PostgreSQL uses "C" so that comparisons and ordering are binary,
 * as on SQLite), `WITHOUT ROWID` tables on SQLite, and value indexes on params/tags (SQLite only: PostgreSQL
 * b-tree entries are limited to ~2.7 kB and tag values may be 8000 characters).
 *
 * Never edit a migration that has shipped; add a new one (names sort in execution order).
 */
export function migrations(kind: DialectKind): Record<string, Migration> {
  return {
    '0001_initial': {
      up: (db) => createInitialSchema(db, kind),
      down: async (db) => {
        for (const table of [
          'run_models',
          'input_tags',
          'inputs',
          'datasets',
          'latest_metrics',
          'metrics',
          'tags',
          'params',
          'runs',
          'experiment_tags',
          'experiments',
        ]) {
          await db.schema.dropTable(table).ifExists().execute()
        }
      },
    },
    '0002_registry': {
      up: (db) => createRegistrySchema(db, kind),
      down: (db) => dropRegistrySchema(db),
    },
    '0003_gateway': {
      up: (db) => createGatewaySchema(db, kind),
      down: (db) => dropGatewaySchema(db),
    },
  }
}

async function createInitialSchema(db: Kysely<unknown>, kind: DialectKind): Promise<void> {
  const sqlite = kind === 'sqlite'
  const text: Expression<unknown> | 'text' = sqlite ? 'text' : sql`text collate "C"`
  /** Clustered on the primary key: one b-tree instead of a rowid table plus a key index. */
  const withoutRowid = <T extends string, C extends string>(table: CreateTableBuilder<T, C>) =>
    sqlite ? table.modifyEnd(sql`without rowid`) : table
  const cascade = (column: ColumnDefinitionBuilder) => column.onDelete('cascade')

  await db.schema
    .createTable('experiments')
    .addColumn('experiment_id', 'integer', (column) =>
      sqlite ? column.primaryKey().autoIncrement() : column.primaryKey().generatedByDefaultAsIdentity(),
    )
    .addColumn('name', text, (column) => column.notNull())
    .addColumn('artifact_location', text, (column) => column.notNull())
    .addColumn('lifecycle_stage', text, (column) => column.notNull())
    .addColumn('creation_time', 'bigint', (column) => column.notNull())
    .addColumn('last_update_time', 'bigint', (column) => column.notNull())
    .addUniqueConstraint('experiments_name_key', ['name'])
    .addCheckConstraint('experiments_lifecycle_stage_check', sql`lifecycle_stage IN ('active', 'deleted')`)
    .execute()

  await withoutRowid(
    db.schema
      .createTable('experiment_tags')
      .addColumn('experiment_id', 'integer', (column) =>
        cascade(column.notNull().references('experiments.experiment_id')),
      )
      .addColumn('key', text, (column) => column.notNull())
      .addColumn('value', text, (column) => column.notNull())
      .addPrimaryKeyConstraint('experiment_tags_pkey', ['experiment_id', 'key']),
  ).execute()

  await db.schema
    .createTable('runs')
    .addColumn('run_pk', sqlite ? 'integer' : 'bigint', (column) =>
      sqlite ? column.primaryKey() : column.primaryKey().generatedAlwaysAsIdentity(),
    )
    .addColumn('run_uuid', text, (column) => column.notNull())
    .addColumn('experiment_id', 'integer', (column) =>
      column.notNull().references('experiments.experiment_id'),
    )
    .addColumn('name', text, (column) => column.notNull())
    .addColumn('user_id', text, (column) => column.notNull())
    .addColumn('status', text, (column) => column.notNull())
    .addColumn('start_time', 'bigint', (column) => column.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('deleted_time', 'bigint')
    .addColumn('lifecycle_stage', text, (column) => column.notNull())
    .addColumn('artifact_uri', text, (column) => column.notNull())
    .addUniqueConstraint('runs_run_uuid_key', ['run_uuid'])
    .addCheckConstraint('runs_lifecycle_stage_check', sql`lifecycle_stage IN ('active', 'deleted')`)
    .addCheckConstraint(
      'runs_status_check',
      sql`status IN ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')`,
    )
    .execute()
  // Serves the default search order (start_time DESC, run_uuid ASC) of one experiment without sorting.
  await db.schema
    .createIndex('runs_experiment_order_idx')
    .on('runs')
    .columns(['experiment_id', 'lifecycle_stage', 'start_time desc', 'run_uuid'])
    .execute()
  await db.schema
    .createIndex('runs_deleted_time_idx')
    .on('runs')
    .columns(['lifecycle_stage', 'deleted_time'])
    .execute()

  for (const table of ['params', 'tags'] as const) {
    await withoutRowid(
      db.schema
        .createTable(table)
        .addColumn('run_pk', 'bigint', (column) => cascade(column.notNull().references('runs.run_pk')))
        .addColumn('key', text, (column) => column.notNull())
        .addColumn('value', text, (column) => column.notNull())
        .addPrimaryKeyConstraint(`${table}_pkey`, ['run_pk', 'key']),
    ).execute()
    // Search filters start from the (key, value) pairs they name.
    if (sqlite)
      await db.schema.createIndex(`${table}_key_value_idx`).on(table).columns(['key', 'value']).execute()
    else await db.schema.createIndex(`${table}_key_idx`).on(table).columns(['key']).execute()
  }

  // History points; no foreign key (checked once per batch, deleted explicitly by purgeRun) to keep inserts cheap.
  await withoutRowid(
    db.schema
      .createTable('metrics')
      .addColumn('run_pk', 'bigint', (column) => column.notNull())
      .addColumn('key', text, (column) => column.notNull())
      .addColumn('timestamp', 'bigint', (column) => column.notNull())
      .addColumn('step', 'bigint', (column) => column.notNull())
      .addColumn('value', 'double precision', (column) => column.notNull())
      .addColumn('is_nan', 'smallint', (column) => column.notNull())
      .addPrimaryKeyConstraint('metrics_pkey', ['run_pk', 'key', 'timestamp', 'step', 'value', 'is_nan']),
  ).execute()
  // Step-range reads (bulk-interval sampling).
  await db.schema.createIndex('metrics_step_idx').on('metrics').columns(['run_pk', 'key', 'step']).execute()

  await withoutRowid(
    db.schema
      .createTable('latest_metrics')
      .addColumn('run_pk', 'bigint', (column) => cascade(column.notNull().references('runs.run_pk')))
      .addColumn('key', text, (column) => column.notNull())
      .addColumn('timestamp', 'bigint', (column) => column.notNull())
      .addColumn('step', 'bigint', (column) => column.notNull())
      .addColumn('value', 'double precision', (column) => column.notNull())
      .addColumn('is_nan', 'smallint', (column) => column.notNull())
      // Distinct-step statistics of the key's history (its max step is `step`), kept by logBatch; when
      // max - min + 1 = step_count the steps are contiguous and bulk-interval sampling needs no scan.
      .addColumn('min_step', 'bigint', (column) => column.notNull())
      .addColumn('step_count', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('latest_metrics_pkey', ['run_pk', 'key']),
  ).execute()
  // Metric filters (`key = ? AND is_nan = 0 AND value > ?`) are index ranges, covering with run_pk.
  await db.schema
    .createIndex('latest_metrics_key_value_idx')
    .on('latest_metrics')
    .columns(['key', 'is_nan', 'value', 'run_pk'])
    .execute()

  await db.schema
    .createTable('datasets')
    .addColumn('dataset_uuid', text, (column) => column.primaryKey())
    .addColumn('experiment_id', 'integer', (column) =>
      cascade(column.notNull().references('experiments.experiment_id')),
    )
    .addColumn('name', text, (column) => column.notNull())
    .addColumn('digest', text, (column) => column.notNull())
    .addColumn('dataset_source_type', text, (column) => column.notNull())
    .addColumn('dataset_source', text, (column) => column.notNull())
    .addColumn('dataset_schema', text)
    .addColumn('dataset_profile', text)
    .addUniqueConstraint('datasets_experiment_name_digest_key', ['experiment_id', 'name', 'digest'])
    .execute()

  await db.schema
    .createTable('inputs')
    .addColumn('input_uuid', text, (column) => column.primaryKey())
    .addColumn('dataset_uuid', text, (column) =>
      cascade(column.notNull().references('datasets.dataset_uuid')),
    )
    .addColumn('run_pk', 'bigint', (column) => cascade(column.notNull().references('runs.run_pk')))
    .addUniqueConstraint('inputs_run_dataset_key', ['run_pk', 'dataset_uuid'])
    .execute()
  await db.schema.createIndex('inputs_dataset_idx').on('inputs').columns(['dataset_uuid']).execute()

  await withoutRowid(
    db.schema
      .createTable('input_tags')
      .addColumn('input_uuid', text, (column) => cascade(column.notNull().references('inputs.input_uuid')))
      .addColumn('name', text, (column) => column.notNull())
      .addColumn('value', text, (column) => column.notNull())
      .addPrimaryKeyConstraint('input_tags_pkey', ['input_uuid', 'name']),
  ).execute()

  await withoutRowid(
    db.schema
      .createTable('run_models')
      .addColumn('run_pk', 'bigint', (column) => cascade(column.notNull().references('runs.run_pk')))
      .addColumn('direction', text, (column) => column.notNull())
      .addColumn('model_id', text, (column) => column.notNull())
      .addColumn('step', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('run_models_pkey', ['run_pk', 'direction', 'model_id'])
      .addCheckConstraint('run_models_direction_check', sql`direction IN ('input', 'output')`),
  ).execute()
}
