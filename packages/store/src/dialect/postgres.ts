import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Int64Value, MlflowError } from '@cairn/core'
import { type Expression, Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Tables } from '../schema/tables.js'
import {
  type BulkInsert,
  compileQuery,
  type ListValue,
  normalizeLikePattern,
  type Query,
  type Session,
  type SqlDatabase,
} from './dialect.js'

const INT8_OID = 20
const WRITE_ATTEMPTS = 5
/** Deadlock and serialization failure: the transaction can simply run again. */
const RETRYABLE_CODES = new Set(['40P01', '40001'])
/** Connection-level failures, answered as TEMPORARILY_UNAVAILABLE. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

type Queryable = pg.Pool | pg.PoolClient

/** int8 exactly: a number when safe (counts, ids, ms timestamps), a bigint beyond ±2^53 (int64 steps). */
function parseInt8(text: string): Int64Value {
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : BigInt(text)
}

/** int8 as `Int64Value`s (pg binds bigint parameters as their digits); float8 NaN/Infinity keep pg's default parsing. */
const TYPES = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID) return parseInt8
    return pg.types.getTypeParser(oid, format as 'text')
  },
} as pg.CustomTypesConfig

export function openPostgres(connectionString: string): SqlDatabase {
  // extra_float_digits > 0: float8 prints in shortest exact (round-trip) form whatever the server default.
  const pool = new pg.Pool({ connectionString, types: TYPES, max: 10, options: '-c extra_float_digits=3' })
  // An idle connection that dies (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) })
  const rawText = new Map<string, { text: string; name: string }>()
  const insertText = new WeakMap<BulkInsert, { text: string; name: string }>()

  /** Raw SQL with `?` becomes a named (server-side prepared) statement with `$n` placeholders. */
  const prepared = (sqlText: string) => {
    let entry = rawText.get(sqlText)
    if (!entry) {
      let position = 0
      const text = sqlText.replace(/\?/g, () => `$${++position}`)
      entry = { text, name: statementName(text) }
      rawText.set(sqlText, entry)
    }
    return entry
  }

  const bulkStatement = (spec: BulkInsert) => {
    let entry = insertText.get(spec)
    if (!entry) {
      const arrays = spec.pgTypes.map((type, index) => `$${index + 1}::${type}[]`).join(', ')
      const text = `INSERT INTO ${spec.table} (${spec.columns.join(', ')}) SELECT * FROM unnest(${arrays})${
        spec.suffix ? ` ${spec.suffix}` : ''
      }`
      entry = { text, name: statementName(text) }
      insertText.set(spec, entry)
    }
    return entry
  }

  const sessionFor = (client: Queryable): Session => ({
    async select<TRow>(query: Query<TRow>) {
      const compiled = compileQuery(kysely, query)
      const result = await client.query(compiled.sql, compiled.parameters as unknown[])
      return result.rows as TRow[]
    },
    async execute(query) {
      const compiled = compileQuery(kysely, query)
      const result = await client.query(compiled.sql, compiled.parameters as unknown[])
      return result.rowCount ?? 0
    },
    async selectRows(sqlText, parameters) {
      const { text, name } = prepared(sqlText)
      const result = await client.query({ name, text, values: parameters as unknown[], rowMode: 'array' })
      return result.rows as unknown[][]
    },
    async executeRaw(sqlText, parameters) {
      const { text, name } = prepared(sqlText)
      const result = await client.query({ name, text, values: parameters as unknown[] })
      return result.rowCount ?? 0
    },
    async insertMany(spec, rows) {
      if (rows.length === 0) return []
      const columns = spec.columns.map((_, column) => rows.map((row) => row[column]))
      const { text, name } = bulkStatement(spec)
      const result = await client.query({ name, text, values: columns, rowMode: 'array' })
      return result.rows as unknown[][]
    },
  })

  const poolSession = sessionFor(pool)

  return {
    kind: 'postgres',
    kysely,
    async read(work) {
      try {
        return await work(poolSession)
      } catch (error) {
        throw translateError(error)
      }
    },
    async write(work) {
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient
        try {
          client = await pool.connect()
        } catch (error) {
          throw translateError(error)
        }
        let broken = false
        try {
          await client.query('BEGIN')
          const result = await work(sessionFor(client))
          await client.query('COMMIT')
          return result
        } catch (error) {
          try {
            await client.query('ROLLBACK')
          } catch {
            broken = true
          }
          const code = (error as { code?: unknown }).code
          if (attempt < WRITE_ATTEMPTS && typeof code === 'string' && RETRYABLE_CODES.has(code)) {
            await sleep(Math.random() * 10 * attempt)
            continue
          }
          throw translateError(error)
        } finally {
          client.release(broken)
        }
      }
    },
    migrate: (work) => work(),
    like: (column: Expression<unknown>, pattern: string) =>
      sql<boolean>`${column} LIKE ${normalizeLikePattern(pattern)}`,
    ilike: (column: Expression<unknown>, pattern: string) =>
      sql<boolean>`${column} ILIKE ${normalizeLikePattern(pattern)}`,
    inList: (column: Expression<unknown>, values: readonly ListValue[]) =>
      sql<boolean>`${column} = ANY(${values})`,
    listSql: '= ANY(?)',
    bigintListSql: 'IN (SELECT unnest(?::bigint[]))',
    listParameter: (values: readonly ListValue[]) => values,
    metricJsonAggregate: undefined,
    noLimit: null,
    lockRowSuffix: 'FOR NO KEY UPDATE',
    isUniqueViolation: (error: unknown) => (error as { code?: unknown } | undefined)?.code === '23505',
    async close() {
      await pool.end()
    },
  }
}

function statementName(text: string): string {
  return `cairn_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`
}

function translateError(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) {
    return new MlflowError(
      'TEMPORARILY_UNAVAILABLE',
      `The database is unavailable: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  return error
}
