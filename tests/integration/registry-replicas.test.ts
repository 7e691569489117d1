// Model registry under real concurrency: two server processes on one database (PostgreSQL, and one SQLite file),
// registering versions of the same model through both at once. Numbers must stay unique and dense, and the
// registered-model race must end in one success and RESOURCE_ALREADY_EXISTS, never a 5xx.
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CairnProcess, postMlflow, sqliteUri, startCairn, tempDir } from './helpers/cairn-process.mjs'
import {
  createDatabase,
  postgresProblem,
  postgresUrl,
  requestedStores,
  type TestDatabase,
} from './helpers/postgres.mjs'

const CI = process.env.CI === 'true' || process.env.CI === '1'
const stores = requestedStores()
const problem = stores.includes('postgres') ? await postgresProblem() : undefined

const post = postMlflow

function suite(store: 'sqlite' | 'postgres') {
  const skip = !stores.includes(store) || (store === 'postgres' && problem !== undefined && !CI)
  describe.skipIf(skip)(`two servers registering one model [${store}]`, () => {
    let servers: CairnProcess[] = []
    let database: TestDatabase | undefined

    beforeAll(async () => {
      let uri: string
      if (store === 'postgres') {
        if (problem) throw new Error(`PostgreSQL at ${postgresUrl()} is unreachable under CI: ${problem}`)
        database = await createDatabase(postgresUrl(), 'cairn_registry_replicas')
        uri = database.url
      } else {
        uri = sqliteUri(path.join(tempDir('cairn-registry-replicas-'), 'cairn.db'))
      }
      servers = [await startCairn({ backendStoreUri: uri })]
      servers.push(await startCairn({ backendStoreUri: uri }))
    }, 120_000)

    afterAll(async () => {
      await Promise.all(servers.map((server) => server.stop()))
      await database?.drop()
    }, 60_000)

    it('gives concurrent registrations through both servers dense, unique version numbers', async () => {
      const name = `replicas-${store}-${Date.now()}`
      const created = await Promise.all(
        servers.map((server) => post(server.url, 'registered-models/create', { name })),
      )
      expect(created.map((answer) => answer.status).sort()).toEqual([200, 400])
      expect(created.find((answer) => answer.status === 400)?.body.error_code).toBe('RESOURCE_ALREADY_EXISTS')

      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          post(servers[index % 2]!.url, 'model-versions/create', { name, source: `s3://bucket/${index}` }),
        ),
      )
      for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      const versions = answers.map((answer) =>
        Number((answer.body.model_version as { version: string }).version),
      )
      expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, index) => index + 1))
    }, 120_000)
  })
}

suite('sqlite')
suite('postgres')
