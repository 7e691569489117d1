import { type Expression, type Kysely, sql } from 'kysely'
import type { DialectKind } from '../dialect/dialect.js'

const GATEWAY_TABLES = ['gateway_usage', 'gateway_counters', 'gateway_api_keys']

/**
 * Tables of the LLM gateway (issue 7): API keys (only the SHA-256 of the secret), limit counters shared by
 * replicas (one row per counter and window, updated by atomic conditional upserts), and per-call usage.
 */
export async function createGatewaySchema(db: Kysely<unknown>, kind: DialectKind): Promise<void> {
  const sqlite = kind === 'sqlite'
  const text: Expression<unknown> | 'text' = sqlite ? 'text' : sql`text collate "C"`

  await db.schema
    .createTable('gateway_api_keys')
    .addColumn('key_id', text, (column) => column.primaryKey())
    .addColumn('name', text, (column) => column.notNull())
    .addColumn('key_hash', text, (column) => column.notNull())
    .addColumn('key_prefix', text, (column) => column.notNull())
    .addColumn('creation_time', 'bigint', (column) => column.notNull())
    // JSON list of endpoint names; empty means every endpoint.
    .addColumn('endpoints', text, (column) => column.notNull())
    .addColumn('requests_per_minute', 'bigint')
    .addColumn('tokens_per_minute', 'bigint')
    .addColumn('budget_usd', 'double precision')
    .addColumn('budget_period', text)
    .addUniqueConstraint('gateway_api_keys_hash_key', ['key_hash'])
    .addCheckConstraint(
      'gateway_api_keys_budget_period_check',
      sql`budget_period IN ('day', 'month', 'total')`,
    )
    .execute()

  await db.schema
    .createTable('gateway_counters')
    .addColumn('counter', text, (column) => column.notNull())
    .addColumn('window_start', 'bigint', (column) => column.notNull())
    .addColumn('value', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('gateway_counters_pkey', ['counter', 'window_start'])
    .execute()

  await db.schema
    .createTable('gateway_usage')
    .addColumn('request_id', text, (column) => column.primaryKey())
    .addColumn('timestamp', 'bigint', (column) => column.notNull())
    .addColumn('endpoint', text, (column) => column.notNull())
    .addColumn('provider', text, (column) => column.notNull())
    .addColumn('model', text, (column) => column.notNull())
    .addColumn('key_id', text)
    .addColumn('input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('output_tokens', 'bigint', (column) => column.notNull())
    .addColumn('latency_ms', 'double precision', (column) => column.notNull())
    .addColumn('status', 'integer', (column) => column.notNull())
    .addColumn('cost_usd', 'double precision', (column) => column.notNull())
    .addColumn('stream', 'smallint', (column) => column.notNull())
    .addColumn('request_body', text)
    .addColumn('response_body', text)
    .addColumn('error_message', text)
    .execute()
  await db.schema
    .createIndex('gateway_usage_timestamp_idx')
    .on('gateway_usage')
    .columns(['timestamp'])
    .execute()
  await db.schema
    .createIndex('gateway_usage_endpoint_idx')
    .on('gateway_usage')
    .columns(['endpoint', 'timestamp'])
    .execute()
  await db.schema
    .createIndex('gateway_usage_key_idx')
    .on('gateway_usage')
    .columns(['key_id', 'timestamp'])
    .execute()
}

export async function dropGatewaySchema(db: Kysely<unknown>): Promise<void> {
  for (const table of GATEWAY_TABLES) await db.schema.dropTable(table).ifExists().execute()
}
