/**
 * Test helpers shared by the store and server suites: every suite is written once and runs on each store.
 *
 * - `STORE_KINDS`: the stores asked for by `STORES` (`sqlite`, `postgres`, both by default).
 * - `describeEachStore(name, (getStore, kind) => …)`: one `describe` per store kind, with a fresh store
 *   (temp SQLite file, or a new `cairn_test_<random>` PostgreSQL database) created before and removed after.
 * - `createTestStore(kind)` / `createTestDatabase(kind)`: the same by hand.
 *
 * PostgreSQL is reached at `CAIRN_TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:55432/postgres).
 * When it does not answer, its suites are skipped, except under `CI=true`, where they fail.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe } from 'vitest'
import { createTrackingStore } from '../create-tracking-store.js'
import type { TrackingStore } from '../tracking-store.js'

export type StoreKind = 'sqlite' | 'postgres'

export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:55432/postgres'
export const IS_CI = process.env.CI === 'true' || process.env.CI === '1'

export function postgresUrl(): string {
  return process.env.CAIRN_TEST_POSTGRES_URL || DEFAULT_POSTGRES_URL
}

function requestedStores(): StoreKind[] {
  const value = (process.env.STORES ?? '').trim().toLowerCase()
  if (!value || value === 'both' || value === 'all') return ['sqlite', 'postgres']
  return value.split(/[\s,]+/).filter((kind): kind is StoreKind => kind === 'sqlite' || kind === 'postgres')
}

/** The store kinds to test, from `STORES`. */
export const STORE_KINDS: readonly StoreKind[] = requestedStores()

async function postgresProblem(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 5000 })
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

/** Why PostgreSQL cannot be used (undefined when it answers or is not requested). */
export const POSTGRES_PROBLEM: string | undefined = STORE_KINDS.includes('postgres')
  ? await postgresProblem()
  : undefined

export interface TestDatabase {
  kind: StoreKind
  /** Backend store URI of the new, empty database. */
  uri: string
  /** Removes the database (PostgreSQL: dropped even if connections remain). */
  drop(): Promise<void>
}

/** A new empty database: a file in a temp folder, or `cairn_test_<random>` on the PostgreSQL cluster. */
export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'cairn-store-test-'))
    return {
      kind,
      uri: `sqlite:///${join(folder, 'cairn.db')}`,
      drop: async () => rmSync(folder, { recursive: true, force: true }),
    }
  }
  if (POSTGRES_PROBLEM) throw new Error(`PostgreSQL at ${postgresUrl()} is unreachable: ${POSTGRES_PROBLEM}`)
  const name = `cairn_test_${randomBytes(6).toString('hex')}`
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`))
  const url = new URL(postgresUrl())
  url.pathname = `/${name}`
  return {
    kind,
    uri: url.toString(),
    drop: async () => {
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    },
  }
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

export interface TestStore {
  kind: StoreKind
  store: TrackingStore
  /** The backend store URI, to open the same database again (another store, a server process). */
  uri: string
  defaultArtifactRoot: string
  /** Closes the store and removes its database. */
  cleanup(): Promise<void>
}

export async function createTestStore(
  kind: StoreKind,
  options: { defaultArtifactRoot?: string } = {},
): Promise<TestStore> {
  const database = await createTestDatabase(kind)
  const defaultArtifactRoot = options.defaultArtifactRoot ?? 'mlflow-artifacts:/'
  try {
    const store = await createTrackingStore(database.uri, { defaultArtifactRoot })
    return {
      kind,
      store,
      uri: database.uri,
      defaultArtifactRoot,
      cleanup: async () => {
        await store.close()
        await database.drop()
      },
    }
  } catch (error) {
    await database.drop()
    throw error
  }
}

/**
 * Declares `body` once per store kind, inside `describe('<name> [<kind>]')`. `getStore()` returns the
 * store of that kind, shared by the tests of the block: give test data unique names.
 */
export function describeEachStore(
  name: string,
  body: (getStore: () => TrackingStore, kind: StoreKind, getTestStore: () => TestStore) => void,
): void {
  for (const kind of STORE_KINDS) {
    const skip = kind === 'postgres' && POSTGRES_PROBLEM !== undefined && !IS_CI
    describe.skipIf(skip)(`${name} [${kind}]`, () => {
      let testStore: TestStore | undefined
      beforeAll(async () => {
        testStore = await createTestStore(kind)
      })
      afterAll(async () => {
        await testStore?.cleanup()
      })
      const getTestStore = () => {
        if (!testStore) throw new Error(`the ${kind} test store is not open (see the beforeAll error)`)
        return testStore
      }
      body(() => getTestStore().store, kind, getTestStore)
    })
  }
}

/** A name no other test uses. */
export function uniqueName(prefix = 'test'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`
}
