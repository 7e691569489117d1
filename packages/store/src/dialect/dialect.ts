import type { CompiledQuery, Expression, Kysely, RawBuilder } from 'kysely'
import type { Tables } from '../schema/tables.js'

export type DialectKind = 'sqlite' | 'postgres'

/** A Kysely query builder, a `sql` template or an already compiled query. */
export type Query<TRow> = CompiledQuery<TRow> | { compile(): CompiledQuery<TRow> } | RawBuilder<TRow>

/** A multi-row INSERT whose SQL is built by the dialect (see `Session.insertMany`). */
export interface BulkInsert {
  readonly table: string
  readonly columns: readonly string[]
  /** PostgreSQL column types, for `unnest($1::<type>[], …)`. */
  readonly pgTypes: readonly string[]
  /** SQL after the values, e.g. `ON CONFLICT DO NOTHING` or `… RETURNING key`. */
  readonly suffix?: string
}

/** How a query's rows are read. */
export interface ReadOptions {
  /**
   * Read integers beyond ±2^53 exactly, as `bigint`s (int64 metric steps and timestamps); others stay
   * numbers, so every integer is an `Int64Value` in canonical form. PostgreSQL always reads int8 this
   * way; SQLite reads again with BigInt integers only when a row held an integer it could not return
   * exactly as a number.
   */
  exactIntegers?: boolean
}

/** A value of a list parameter (`listParameter`, `inList`). */
export type ListValue = string | number | bigint

/**
 * One unit of database work: a connection held for the duration of `read`/`write`.
 * Raw SQL uses `?` placeholders on both dialects; identifiers in raw SQL come from code, never from input.
 * Parameters may be `bigint`s (bound as int64).
 */
export interface Session {
  /** Rows of a query, as objects. */
  select<TRow>(query: Query<TRow>, options?: ReadOptions): Promise<TRow[]>
  /** Runs a statement and resolves with the number of rows it changed. */
  execute(query: Query<unknown>): Promise<number>
  /** Rows of raw SQL, as arrays in select-list order (for hot paths). */
  selectRows(sqlText: string, parameters: readonly unknown[], options?: ReadOptions): Promise<unknown[][]>
  /** Runs raw SQL and resolves with the number of rows it changed. */
  executeRaw(sqlText: string, parameters: readonly unknown[]): Promise<number>
  /**
   * Inserts many rows in as few statements as the dialect allows (chunked multi-row VALUES on SQLite,
   * one `unnest` statement on PostgreSQL). Resolves with the RETURNING rows, if the suffix asks for them.
   */
  insertMany(spec: BulkInsert, rows: readonly (readonly unknown[])[]): Promise<unknown[][]>
}

/** The database behind a store: connections, transactions and the SQL that differs between dialects. */
export interface SqlDatabase {
  readonly kind: DialectKind
  /** Query builder (and migration runner); queries are executed through a `Session`. */
  readonly kysely: Kysely<Tables>
  /** Runs `work` on one connection without a transaction. */
  read<T>(work: (session: Session) => Promise<T>): Promise<T>
  /** Runs `work` in one transaction; PostgreSQL deadlocks and serialization failures are retried. */
  write<T>(work: (session: Session) => Promise<T>): Promise<T>
  /**
   * Runs schema work (Kysely's Migrator on `kysely`) so that concurrent openers of one database take turns:
   * SQLite holds an IMMEDIATE transaction around it (its DDL is transactional); PostgreSQL relies on the
   * Migrator's advisory lock and transaction.
   */
  migrate<T>(work: () => Promise<T>): Promise<T>
  /** Case-sensitive LIKE with `\` as the escape character. */
  like(column: Expression<unknown>, pattern: string): RawBuilder<boolean>
  /** Case-insensitive LIKE with `\` as the escape character. */
  ilike(column: Expression<unknown>, pattern: string): RawBuilder<boolean>
  /** `column IN (values)` with a constant SQL text whatever the number of values. */
  inList(column: Expression<unknown>, values: readonly ListValue[]): RawBuilder<boolean>
  /** Raw-SQL form of `inList`: `<column> ${listSql}` takes one parameter, `listParameter(values)`. */
  readonly listSql: string
  /**
   * `listSql` for a list of bigints matched against an indexed bigint column. On PostgreSQL `= ANY($n)` turns into
   * a scan of every row once the prepared statement switches to a generic plan (after 5 executions); a join with
   * `unnest` keeps the index lookups.
   */
  readonly bigintListSql: string
  listParameter(values: readonly ListValue[]): unknown
  /**
   * Raw SQL aggregate rendering metric rows (columns "timestamp", step, value, is_nan, in history order)
   * as comma-separated JSON objects, its one parameter being the metric key; undefined where rendering
   * the JSON in JavaScript is faster (PostgreSQL).
   */
  readonly metricJsonAggregate: string | undefined
  /** LIMIT parameter meaning "no limit". */
  readonly noLimit: number | null
  /** Suffix of a SELECT on a `runs` row that serialises writers of that run until the transaction ends. */
  readonly lockRowSuffix: string
  isUniqueViolation(error: unknown): boolean
  close(): Promise<void>
}

/** A LIKE pattern ending in a lone escape character matches a literal backslash (PostgreSQL would reject it). */
export function normalizeLikePattern(pattern: string): string {
  let trailing = 0
  for (let index = pattern.length - 1; index >= 0 && pattern[index] === '\\'; index--) trailing++
  return trailing % 2 === 1 ? `${pattern}\\` : pattern
}

export function compileQuery<TRow>(kysely: Kysely<Tables>, query: Query<TRow>): CompiledQuery<TRow> {
  if ('sql' in query && 'parameters' in query) return query
  return (query as RawBuilder<TRow>).compile(kysely)
}

/** A lock for the single SQLite connection; the uncontended path costs one flag check. */
export class Mutex {
  #locked = false
  #waiters: (() => void)[] = []

  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  unlock(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#locked = false
  }
}
