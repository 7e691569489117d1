// Webhook deliveries across real server processes on one database (PostgreSQL, and one SQLite file): a delivery
// queued by a process that is killed is sent by the next process started on the database, and two servers
// deliver each event exactly once.
import { createServer, type Server } from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CairnProcess,
  freePort,
  postMlflow,
  sqliteUri,
  startCairn,
  tempDir,
} from './helpers/cairn-process.mjs'
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

async function call(baseUrl: string, route: string, body: Record<string, unknown>) {
  const answer = await postMlflow(baseUrl, route, body)
  expect(answer.status, answer.text).toBe(200)
  return answer.body
}

/** A receiver on `port` recording the `data.name` of every event it is sent. */
async function startReceiver(port: number) {
  const names: string[] = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8')
    })
    request.on('end', () => {
      names.push(String(JSON.parse(body).data.name))
      response.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    names,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function waitFor(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function suite(store: 'sqlite' | 'postgres') {
  const skip = !stores.includes(store) || (store === 'postgres' && problem !== undefined && !CI)
  describe.skipIf(skip)(`webhook deliveries across server processes [${store}]`, () => {
    let uri = ''
    let database: TestDatabase | undefined
    const servers: CairnProcess[] = []
    const env = { MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http', MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: '5' }

    beforeAll(async () => {
      if (store === 'postgres') {
        if (problem) throw new Error(`PostgreSQL at ${postgresUrl()} is unreachable under CI: ${problem}`)
        database = await createDatabase(postgresUrl(), 'cairn_webhook_durability')
        uri = database.url
      } else {
        uri = sqliteUri(path.join(tempDir('cairn-webhook-durability-'), 'cairn.db'))
      }
    }, 60_000)

    afterAll(async () => {
      await Promise.all(servers.map((server) => server.stop()))
      await database?.drop()
    }, 60_000)

    async function start() {
      const server = await startCairn({ backendStoreUri: uri, env })
      servers.push(server)
      return server
    }

    it('sends a delivery queued by a killed process from the next process, once', async () => {
      // Nothing listens on the receiver's port yet: the first process can only fail and schedule a retry.
      const port = await freePort()
      const first = await start()
      const hook = await call(first.url, 'webhooks', {
        name: `durable-${store}`,
        url: `http://127.0.0.1:${port}/hook`,
        events: [{ entity: 'registered_model', action: 'created' }],
      })
      const name = `survivor-${store}-${Date.now()}`
      await call(first.url, 'registered-models/create', { name })
      await sleep(300)
      await first.kill()

      const receiver = await startReceiver(port)
      try {
        await start()
        await waitFor(() => receiver.names.includes(name), 20_000)
        await sleep(1500)
        expect(receiver.names.filter((entry) => entry === name)).toHaveLength(1)
      } finally {
        await receiver.stop()
      }
      const webhookId = (hook.webhook as { webhook_id: string }).webhook_id
      const deleted = await fetch(new URL(`/api/2.0/mlflow/webhooks/${webhookId}`, servers.at(-1)!.url), {
        method: 'DELETE',
      })
      expect(deleted.status).toBe(200)
    }, 120_000)

    it('delivers each event once when two servers share the database', async () => {
      const port = await freePort()
      const receiver = await startReceiver(port)
      try {
        const pair = [await start(), await start()]
        await call(pair[0]!.url, 'webhooks', {
          name: `pair-${store}`,
          url: `http://127.0.0.1:${port}/hook`,
          events: [{ entity: 'registered_model', action: 'created' }],
        })
        const prefix = `pair-${store}-${Date.now()}`
        const names = Array.from({ length: 24 }, (_, index) => `${prefix}-${index}`)
        await Promise.all(
          names.map((name, index) => call(pair[index % 2]!.url, 'registered-models/create', { name })),
        )
        const mine = () => receiver.names.filter((entry) => entry.startsWith(prefix))
        await waitFor(() => mine().length >= names.length, 20_000)
        await sleep(1500)
        expect(mine().sort()).toEqual([...names].sort())
      } finally {
        await receiver.stop()
      }
    }, 120_000)
  })
}

suite('sqlite')
suite('postgres')
