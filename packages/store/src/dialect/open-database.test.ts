import { describe, expect, it } from 'vitest'
import { expectMlflowError } from '../test-support/assertions.js'
import { parseStoreUri, redactUri } from './open-database.js'

describe('parseStoreUri', () => {
  it('reads SQLite URIs as MLflow does: three slashes then the path', () => {
    expect(parseStoreUri('sqlite:///mlflow.db')).toEqual({ kind: 'sqlite', filename: 'mlflow.db' })
    expect(parseStoreUri('sqlite:///data/dir/cairn.db')).toEqual({
      kind: 'sqlite',
      filename: 'data/dir/cairn.db',
    })
    expect(parseStoreUri('sqlite:////var/lib/cairn.db')).toEqual({
      kind: 'sqlite',
      filename: '/var/lib/cairn.db',
    })
    expect(parseStoreUri('sqlite:///x.db?timeout=10')).toEqual({ kind: 'sqlite', filename: 'x.db' })
  })

  it('opens SQLite in memory for sqlite:// and sqlite:///:memory:', () => {
    expect(parseStoreUri('sqlite://')).toEqual({ kind: 'sqlite', filename: ':memory:' })
    expect(parseStoreUri('sqlite:///:memory:')).toEqual({ kind: 'sqlite', filename: ':memory:' })
  })

  it('accepts PostgreSQL URIs with or without a driver suffix', () => {
    const expected = { kind: 'postgres', connectionString: 'postgresql://u:p@h:5432/db?sslmode=disable' }
    expect(parseStoreUri('postgresql://u:p@h:5432/db?sslmode=disable')).toEqual(expected)
    expect(parseStoreUri('postgres://u:p@h:5432/db?sslmode=disable')).toEqual(expected)
    expect(parseStoreUri('postgresql+psycopg2://u:p@h:5432/db?sslmode=disable')).toEqual(expected)
  })

  it('rejects other schemes without echoing passwords', async () => {
    const error = await expectMlflowError(
      Promise.resolve().then(() => parseStoreUri('mysql://user:secret@host/db')),
      'INVALID_PARAMETER_VALUE',
    )
    expect(error.message).not.toContain('secret')
    await expectMlflowError(
      Promise.resolve().then(() => parseStoreUri('sqlite:/x.db')),
      'INVALID_PARAMETER_VALUE',
    )
    expect(redactUri('postgresql://user:secret@host/db')).toBe('postgresql://user:***@host/db')
  })
})
