// A fresh PostgreSQL database per test run, created on CAIRN_TEST_POSTGRES_URL.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:55432/postgres'

export function postgresUrl() {
  return process.env.CAIRN_TEST_POSTGRES_URL || DEFAULT_POSTGRES_URL
}

/** Which stores the STORES variable asks for (`sqlite`, `postgres` or both, the default). */
export function requestedStores() {
  const value = (process.env.STORES ?? '').trim().toLowerCase()
  if (!value || value === 'both' || value === 'all') return ['sqlite', 'postgres']
  return value.split(/[\s,]+/).filter((store) => store === 'sqlite' || store === 'postgres')
}

/** `undefined` when PostgreSQL answers, else the reason it does not. */
export async function postgresProblem(url = postgresUrl()) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Creates an empty database next to the one in `baseUrl`; `drop()` removes it again. */
export async function createDatabase(baseUrl = postgresUrl(), prefix = 'cairn_test') {
  const name = `${prefix}_${Date.now()}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5000 })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5000 })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
