import { type Expression, type Kysely, sql } from 'kysely'
import type { DialectKind } from '../dialect/dialect.js'

const REGISTRY_TABLES = [
  'webhook_deliveries',
  'webhook_events',
  'webhooks',
  'logged_model_metrics',
  'logged_model_tags',
  'logged_model_params',
  'logged_models',
  'registered_model_aliases',
  'model_version_tags',
  'model_versions',
  'registered_model_tags',
  'registered_models',
]

/**
 * Tables of registered models, model versions, aliases, tags, logged models and webhooks (issue 4).
 * Children reference registered models by name with ON UPDATE CASCADE, so a rename is one UPDATE.
 */
export async function createRegistrySchema(db: Kysely<unknown>, kind: DialectKind): Promise<void> {
  const sqlite = kind === 'sqlite'
  const text: Expression<unknown> | 'text' = sqlite ? 'text' : sql`text collate "C"`

  await db.schema
    .createTable('registered_models')
    .addColumn('name', text, (column) => column.primaryKey())
    .addColumn('creation_time', 'bigint', (column) => column.notNull())
    .addColumn('last_updated_time', 'bigint', (column) => column.notNull())
    .addColumn('description', text)
    .addColumn('user_id', text)
    .execute()
  // Serves `order_by last_updated_timestamp` without sorting.
  await db.schema
    .createIndex('registered_models_updated_idx')
    .on('registered_models')
    .columns(['last_updated_time', 'name'])
    .execute()

  await db.schema
    .createTable('registered_model_tags')
    .addColumn('name', text, (column) =>
      column.notNull().references('registered_models.name').onDelete('cascade').onUpdate('cascade'),
    )
    .addColumn('key', text, (column) => column.notNull())
    .addColumn('value', text, (column) => column.notNull())
    .addPrimaryKeyConstraint('registered_model_tags_pkey', ['name', 'key'])
    .execute()
  await db.schema
    .createIndex('registered_model_tags_key_idx')
    .on('registered_model_tags')
    .columns(['key', 'name'])
    .execute()

  await db.schema
    .createTable('model_versions')
    .addColumn('name', text, (column) =>
      column.notNull().references('registered_models.name').onDelete('cascade').onUpdate('cascade'),
    )
    .addColumn('version', 'integer', (column) => column.notNull())
    .addColumn('creation_time', 'bigint', (column) => column.notNull())
    .addColumn('last_updated_time', 'bigint', (column) => column.notNull())
    .addColumn('description', text)
    .addColumn('user_id', text)
    .addColumn('current_stage', text, (column) => column.notNull())
    .addColumn('source', text, (column) => column.notNull())
    .addColumn('storage_location', text)
    .addColumn('run_id', text)
    .addColumn('run_link', text)
    .addColumn('status', text, (column) => column.notNull())
    .addColumn('status_message', text)
    .addColumn('model_id', text)
    .addPrimaryKeyConstraint('model_versions_pkey', ['name', 'version'])
    .execute()
  await db.schema
    .createIndex('model_versions_updated_idx')
    .on('model_versions')
    .columns(['last_updated_time desc', 'name', 'version desc'])
    .execute()
  // Newest version per stage (latest_versions, get-latest-versions) is an index probe.
  await db.schema
    .createIndex('model_versions_stage_idx')
    .on('model_versions')
    .columns(['name', 'current_stage', 'version'])
    .execute()
  await db.schema.createIndex('model_versions_run_idx').on('model_versions').columns(['run_id']).execute()
  await db.schema.createIndex('model_versions_model_idx').on('model_versions').columns(['model_id']).execute()

  await db.schema
    .createTable('model_version_tags')
    .addColumn('name', text, (column) => column.notNull())
    .addColumn('version', 'integer', (column) => column.notNull())
    .addColumn('key', text, (column) => column.notNull())
    .addColumn('value', text, (column) => column.notNull())
    .addPrimaryKeyConstraint('model_version_tags_pkey', ['name', 'version', 'key'])
    .addForeignKeyConstraint(
      'model_version_tags_version_fkey',
      ['name', 'version'],
      'model_versions',
      ['name', 'version'],
      (constraint) => constraint.onDelete('cascade').onUpdate('cascade'),
    )
    .execute()

  // Finds prompt versions (`mlflow.prompt.is_prompt`) without scanning every tag; values stay out of the
  // index (PostgreSQL b-tree entries are limited to ~2.7 kB).
  await db.schema
    .createIndex('model_version_tags_key_idx')
    .on('model_version_tags')
    .columns(['key', 'name'])
    .execute()

  await db.schema
    .createTable('registered_model_aliases')
    .addColumn('name', text, (column) =>
      column.notNull().references('registered_models.name').onDelete('cascade').onUpdate('cascade'),
    )
    .addColumn('alias', text, (column) => column.notNull())
    .addColumn('version', 'integer', (column) => column.notNull())
    .addPrimaryKeyConstraint('registered_model_aliases_pkey', ['name', 'alias'])
    .execute()

  await db.schema
    .createTable('logged_models')
    .addColumn('model_id', text, (column) => column.primaryKey())
    .addColumn('experiment_id', 'integer', (column) =>
      column.notNull().references('experiments.experiment_id').onDelete('cascade'),
    )
    .addColumn('name', text, (column) => column.notNull())
    .addColumn('artifact_location', text, (column) => column.notNull())
    .addColumn('creation_timestamp_ms', 'bigint', (column) => column.notNull())
    .addColumn('last_updated_timestamp_ms', 'bigint', (column) => column.notNull())
    .addColumn('status', 'integer', (column) => column.notNull())
    .addColumn('lifecycle_stage', text, (column) => column.notNull())
    .addColumn('model_type', text)
    .addColumn('source_run_id', text)
    .addColumn('status_message', text)
    .addCheckConstraint('logged_models_lifecycle_stage_check', sql`lifecycle_stage IN ('active', 'deleted')`)
    .execute()
  await db.schema
    .createIndex('logged_models_experiment_idx')
    .on('logged_models')
    .columns(['experiment_id', 'creation_timestamp_ms', 'model_id'])
    .execute()
  await db.schema
    .createIndex('logged_models_source_run_idx')
    .on('logged_models')
    .columns(['source_run_id'])
    .execute()

  for (const [table, key, value] of [
    ['logged_model_params', 'param_key', 'param_value'],
    ['logged_model_tags', 'tag_key', 'tag_value'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('model_id', text, (column) =>
        column.notNull().references('logged_models.model_id').onDelete('cascade'),
      )
      .addColumn(key, text, (column) => column.notNull())
      .addColumn(value, text, (column) => column.notNull())
      .addPrimaryKeyConstraint(`${table}_pkey`, ['model_id', key])
      .execute()
  }

  await db.schema
    .createTable('logged_model_metrics')
    .addColumn('model_id', text, (column) =>
      column.notNull().references('logged_models.model_id').onDelete('cascade'),
    )
    .addColumn('metric_name', text, (column) => column.notNull())
    .addColumn('metric_timestamp_ms', 'bigint', (column) => column.notNull())
    .addColumn('metric_step', 'bigint', (column) => column.notNull())
    .addColumn('metric_value', 'double precision')
    .addColumn('run_id', text, (column) => column.notNull())
    .addColumn('dataset_name', text)
    .addColumn('dataset_digest', text)
    .addPrimaryKeyConstraint('logged_model_metrics_pkey', [
      'model_id',
      'metric_name',
      'metric_timestamp_ms',
      'metric_step',
      'run_id',
    ])
    .execute()

  await db.schema
    .createTable('webhooks')
    .addColumn('webhook_id', text, (column) => column.primaryKey())
    .addColumn('name', text, (column) => column.notNull())
    .addColumn('description', text)
    .addColumn('url', text, (column) => column.notNull())
    .addColumn('secret', text)
    .addColumn('status', text, (column) => column.notNull())
    .addColumn('creation_timestamp', 'bigint', (column) => column.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (column) => column.notNull())
    .addColumn('deleted_timestamp', 'bigint')
    .execute()

  await db.schema
    .createTable('webhook_events')
    .addColumn('webhook_id', text, (column) =>
      column.notNull().references('webhooks.webhook_id').onDelete('cascade'),
    )
    .addColumn('entity', text, (column) => column.notNull())
    .addColumn('action', text, (column) => column.notNull())
    .addPrimaryKeyConstraint('webhook_events_pkey', ['webhook_id', 'entity', 'action'])
    .execute()
  await db.schema
    .createIndex('webhook_events_event_idx')
    .on('webhook_events')
    .columns(['entity', 'action'])
    .execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('delivery_id', text, (column) => column.primaryKey())
    .addColumn('webhook_id', text, (column) =>
      column.notNull().references('webhooks.webhook_id').onDelete('cascade'),
    )
    .addColumn('entity', text, (column) => column.notNull())
    .addColumn('action', text, (column) => column.notNull())
    .addColumn('state', text, (column) => column.notNull())
    .addColumn('attempts', 'integer', (column) => column.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('error_message', text)
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('last_attempt_at', 'bigint')
    // The delivery queue: the request body to send, when the next attempt is due (NULL once finished) and
    // the process holding the row until `claimed_until` (a lease another process may take over once it lapses).
    .addColumn('body', text)
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('claimed_by', text)
    .addColumn('claimed_until', 'bigint')
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_webhook_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'created_at'])
    .execute()
  // Only unfinished deliveries are in it, so finding due work stays cheap however long the log grows.
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['next_attempt_at'])
    .where(sql.ref('state'), '=', 'pending')
    .execute()
}

export async function dropRegistrySchema(db: Kysely<unknown>): Promise<void> {
  for (const table of REGISTRY_TABLES) await db.schema.dropTable(table).ifExists().execute()
}
