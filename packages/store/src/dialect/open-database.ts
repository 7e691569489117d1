import { MlflowError } from '@cairn/core'
import type { SqlDatabase } from './dialect.js'
import { openPostgres } from './postgres.js'
import { openSqlite } from './sqlite.js'

export type StoreLocation =
  | { kind: 'sqlite'; filename: string }
  | { kind: 'postgres'; connectionString: string }

/**
 * Reads a backend store URI as MLflow writes them: `sqlite:///relative.db`, `sqlite:////absolute.db`,
 * `sqlite://` or `sqlite:///:memory:` (in memory), `postgresql://…`, `postgres://…`, `postgresql+<driver>://…`.
 */
export function parseStoreUri(uri: string): StoreLocation {
  const sqliteMatch = /^sqlite(?:\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(uri)
  if (sqliteMatch) {
    const rest = (sqliteMatch[1] ?? '').replace(/\?.*$/, '')
    if (rest === '' || rest === '/' || rest === '/:memory:') return { kind: 'sqlite', filename: ':memory:' }
    if (!rest.startsWith('/')) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Invalid SQLite URI '${uri}': expected sqlite:///<path>`,
      )
    }
    return { kind: 'sqlite', filename: rest.slice(1) }
  }
  const postgresMatch = /^postgres(?:ql)?(?:\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(uri)
  if (postgresMatch) return { kind: 'postgres', connectionString: `postgresql://${postgresMatch[1] ?? ''}` }
  throw new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Unsupported backend store URI '${redactUri(uri)}': use sqlite:///<path> or postgresql://<user>@<host>/<database>`,
  )
}

export function openDatabase(uri: string): SqlDatabase {
  const location = parseStoreUri(uri)
  return location.kind === 'sqlite' ? openSqlite(location.filename) : openPostgres(location.connectionString)
}

/** Hides a password in a database URI, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
}
