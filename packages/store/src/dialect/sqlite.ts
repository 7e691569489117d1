import { mkdirSync, realpathSync } from 'node:fs'
import { dirname } from 'node:path'
import { MlflowError, stringifyExactJson, toInt64Value } from '@cairn/core'
import Database from 'better-sqlite3'
import { type Expression, Kysely, SqliteDialect, sql } from 'kysely'
import type { Tables } from '../schema/tables.js'
import {
  type BulkInsert,
  compileQuery,
  type ListValue,
  Mutex,
  normalizeLikePattern,
  type Query,
  type ReadOptions,
  type Session,
  type SqlDatabase,
} from './dialect.js'

const STATEMENT_CACHE_SIZE = 500
/** Rows per INSERT statement, largest first; every batch is cut into these sizes so statements are reused. */
const CHUNK_SIZES = [256, 64, 16, 4, 1]
const BUSY_TIMEOUT_MS = 5000

/**
 * Opens a SQLite database (`:memory:` or a file, whose folder is created) with WAL, synchronous=NORMAL,
 * a busy timeout, foreign keys and case-sensitive LIKE (as MLflow sets it).
 */
export function openSqlite(filename: string): SqlDatabase {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
  const handle = new Database(filename)
  if (filename !== ':memory:') handle.pragma('journal_mode = WAL')
  handle.pragma('synchronous = NORMAL')
  handle.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  handle.pragma('foreign_keys = ON')
  handle.pragma('case_sensitive_like = ON')
  // Memory is bounded by the page cache (32 MB): no mmap, whose touched pages count in the server's RSS
  // (a 1M-point history read mapped ~110 MB of file). Reads go through the OS page cache instead, at no
  // measurable cost to history reads or ingest.
  handle.pragma('cache_size = -32768')
  handle.pragma('temp_store = MEMORY')
  handle.pragma('mmap_size = 0')
  // Checkpoints (which fsync) every ~40 MB of WAL instead of 4 MB: small write transactions stay cheap.
  handle.pragma('wal_autocheckpoint = 10000')
  handle.pragma('journal_size_limit = 67108864')

  const statements = new Map<string, Database.Statement>()
  const prepare = (sqlText: string): Database.Statement => {
    let statement = statements.get(sqlText)
    if (statement === undefined) {
      statement = handle.prepare(sqlText)
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear()
      statements.set(sqlText, statement)
    }
    return statement
  }
  const kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: handle }) })
  const shared = acquireFileMutex(filename)
  const mutex = shared.mutex
  const insertSql = new WeakMap<BulkInsert, Map<number, string>>()

  const runStatement = (sqlText: string, parameters: readonly unknown[]): number =>
    prepare(sqlText).run(parameters as unknown[]).changes

  const allRows = (sqlText: string, parameters: readonly unknown[], options?: ReadOptions): unknown[][] => {
    const statement = prepare(sqlText)
    if (!statement.reader) {
      statement.run(parameters as unknown[])
      return []
    }
    const rows = statement.raw(true).all(parameters as unknown[]) as unknown[][]
    if (!options?.exactIntegers || !rows.some(hasInexactNumber)) return rows
    return readExactly(statement, () => statement.raw(true).all(parameters as unknown[]) as unknown[][])
  }

  const bulkSql = (spec: BulkInsert, size: number): string => {
    let bySize = insertSql.get(spec)
    if (!bySize) {
      bySize = new Map()
      insertSql.set(spec, bySize)
    }
    let text = bySize.get(size)
    if (text === undefined) {
      const row = `(${spec.columns.map(() => '?').join(', ')})`
      text = `INSERT INTO ${spec.table} (${spec.columns.join(', ')}) VALUES ${Array(size).fill(row).join(', ')}${
        spec.suffix ? ` ${spec.suffix}` : ''
      }`
      bySize.set(size, text)
    }
    return text
  }

  const session: Session = {
    async select<TRow>(query: Query<TRow>, options?: ReadOptions) {
      const compiled = compileQuery(kysely, query)
      const statement = prepare(compiled.sql)
      if (!statement.reader) {
        statement.run(compiled.parameters as unknown[])
        return []
      }
      const read = () => statement.raw(false).all(compiled.parameters as unknown[]) as TRow[]
      const rows = read()
      if (!options?.exactIntegers || !rows.some((row) => hasInexactNumber(Object.values(row as object))))
        return rows
      return readExactly(statement, read)
    },
    async execute(query) {
      const compiled = compileQuery(kysely, query)
      return runStatement(compiled.sql, compiled.parameters)
    },
    async selectRows(sqlText, parameters, options) {
      return allRows(sqlText, parameters, options)
    },
    async executeRaw(sqlText, parameters) {
      return runStatement(sqlText, parameters)
    },
    async insertMany(spec, rows) {
      const returned: unknown[][] = []
      const width = spec.columns.length
      let start = 0
      for (const size of CHUNK_SIZES) {
        while (rows.length - start >= size) {
          const parameters = new Array<unknown>(size * width)
          let position = 0
          for (let index = start; index < start + size; index++) {
            const row = rows[index]!
            for (let column = 0; column < width; column++) parameters[position++] = row[column]
          }
          const result = allRows(bulkSql(spec, size), parameters)
          for (const row of result) returned.push(row)
          start += size
        }
      }
      return returned
    },
  }

  const begin = handle.prepare('BEGIN IMMEDIATE')
  const commit = handle.prepare('COMMIT')
  const rollback = handle.prepare('ROLLBACK')

  return {
    kind: 'sqlite',
    kysely,
    async read(work) {
      await mutex.lock()
      try {
        return await work(session)
      } catch (error) {
        throw translateError(error)
      } finally {
        mutex.unlock()
      }
    },
    async write(work) {
      await mutex.lock()
      try {
        begin.run()
        try {
          const result = await work(session)
          commit.run()
          return result
        } catch (error) {
          if (handle.inTransaction) rollback.run()
          throw error
        }
      } catch (error) {
        throw translateError(error)
      } finally {
        mutex.unlock()
      }
    },
    async migrate(work) {
      await mutex.lock()
      try {
        begin.run()
        try {
          const result = await work()
          commit.run()
          return result
        } catch (error) {
          if (handle.inTransaction) rollback.run()
          throw error
        }
      } finally {
        mutex.unlock()
      }
    },
    like: (column: Expression<unknown>, pattern: string) =>
      sql<boolean>`${column} LIKE ${normalizeLikePattern(pattern)} ESCAPE '\\'`,
    ilike: (column: Expression<unknown>, pattern: string) =>
      sql<boolean>`lower(${column}) LIKE lower(${normalizeLikePattern(pattern)}) ESCAPE '\\'`,
    inList: (column: Expression<unknown>, values: readonly ListValue[]) =>
      sql<boolean>`${column} IN (SELECT value FROM json_each(${stringifyExactJson(values)}))`,
    listSql: 'IN (SELECT value FROM json_each(?))',
    bigintListSql: 'IN (SELECT value FROM json_each(?))',
    // json_each reads int64 literals exactly.
    listParameter: (values: readonly ListValue[]) => stringifyExactJson(values),
    // No ORDER BY inside the aggregate (it would sort again): SQLite aggregates the ordered subquery in order.
    metricJsonAggregate: `group_concat(json_object('key', ?, 'value', CASE WHEN is_nan = 1 THEN 'NaN' ELSE value END,
      'timestamp', "timestamp", 'step', step), ',')`,
    noLimit: -1,
    lockRowSuffix: '',
    isUniqueViolation: (error: unknown) => {
      const code = (error as { code?: unknown } | undefined)?.code
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
    },
    async close() {
      await mutex.lock()
      try {
        statements.clear()
        if (handle.open) handle.close()
      } finally {
        mutex.unlock()
        shared.release()
      }
    },
  }
}

/**
 * Whether better-sqlite3 may have rounded one of the values: an INTEGER beyond ±2^53 comes back as the
 * nearest double (a REAL that large is a false alarm and only costs a second read).
 */
function hasInexactNumber(values: readonly unknown[]): boolean {
  for (const value of values) {
    if (typeof value === 'number' && (value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER))
      return true
  }
  return false
}

/** Reads the rows again with every INTEGER as a BigInt, then turns the safe ones back into numbers. */
function readExactly<TRow>(statement: Database.Statement, read: () => TRow[]): TRow[] {
  statement.safeIntegers(true)
  let rows: TRow[]
  try {
    rows = read()
  } finally {
    statement.safeIntegers(false)
  }
  for (const row of rows) {
    const record = row as Record<string | number, unknown>
    for (const key of Object.keys(record)) {
      const value = record[key]
      if (typeof value === 'bigint') record[key] = toInt64Value(value)
    }
  }
  return rows
}

/**
 * One mutex per database file and process: two connections of one process to the same file must not
 * interleave transactions, or one would block the event loop waiting for a lock held by the other.
 */
const FILE_MUTEXES = new Map<string, { mutex: Mutex; references: number }>()

function acquireFileMutex(filename: string): { mutex: Mutex; release(): void } {
  if (filename === ':memory:') return { mutex: new Mutex(), release: () => {} }
  const path = realpathSync(filename)
  let entry = FILE_MUTEXES.get(path)
  if (!entry) {
    entry = { mutex: new Mutex(), references: 0 }
    FILE_MUTEXES.set(path, entry)
  }
  entry.references++
  let released = false
  return {
    mutex: entry.mutex,
    release() {
      if (released) return
      released = true
      if (--entry.references === 0) FILE_MUTEXES.delete(path)
    },
  }
}

function translateError(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new MlflowError('TEMPORARILY_UNAVAILABLE', `The database is busy: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return error
}
