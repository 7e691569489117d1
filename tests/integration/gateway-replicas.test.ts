// Two `cairn gateway start` processes on one PostgreSQL database enforce one shared limit.
import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FakeProvider,
  startFakeProvider,
} from '../../packages/gateway/src/test-support/fake-provider.js'
import { fakeModelConfig } from '../../packages/gateway/src/test-support/gateway-harness.js'
import { assertCliBuilt, CLI_BIN, freePort, tempDir } from './helpers/cairn-process.mjs'
import { createDatabase, postgresProblem, type TestDatabase } from './helpers/postgres.mjs'

const IS_CI = process.env.CI === 'true' || process.env.CI === '1'
const PROBLEM = await postgresProblem()
const LIMIT = 12

async function startReplica(
  configPath: string,
  storeUri: string,
  logFile: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [
      CLI_BIN,
      'gateway',
      'start',
      '--config-path',
      configPath,
      '--port',
      String(port),
      '--backend-store-uri',
      storeUri,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let log = ''
  child.stderr?.on('data', (chunk) => {
    log += chunk
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${log}`)
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, child }
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  writeFileSync(logFile, log)
  throw new Error(`gateway at ${url} did not start: ${log}`)
}

describe.skipIf(PROBLEM !== undefined && !IS_CI)('gateway replicas on one PostgreSQL', () => {
  let database: TestDatabase
  let fake: FakeProvider
  let directory: string
  const replicas: { url: string; child: ChildProcess }[] = []

  beforeAll(async () => {
    expect(PROBLEM, `PostgreSQL is needed: ${PROBLEM}`).toBeUndefined()
    assertCliBuilt()
    database = await createDatabase()
    fake = await startFakeProvider('openai')
    directory = tempDir('cairn-gateway-replicas-')
    const configPath = path.join(directory, 'gateway.yaml')
    writeFileSync(
      configPath,
      `endpoints:\n  - name: limited\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: gpt-4o-mini, config: ${fakeModelConfig(fake, 'openai')}}\n    rate_limit: {requests_per_minute: ${LIMIT}}\n`,
    )
    // Both start at once: the schema is created by one of them, the other waits for it.
    replicas.push(
      ...(await Promise.all([
        startReplica(configPath, database.url, path.join(directory, 'a.log')),
        startReplica(configPath, database.url, path.join(directory, 'b.log')),
      ])),
    )
  }, 60_000)

  afterAll(async () => {
    for (const replica of replicas) {
      replica.child.kill('SIGTERM')
      await new Promise((resolve) =>
        replica.child.exitCode !== null ? resolve(undefined) : replica.child.once('exit', resolve),
      )
    }
    await fake?.close()
    await database?.drop()
    if (directory) rmSync(directory, { recursive: true, force: true })
  })

  it('admits exactly the limit across both replicas and counts each request once', async () => {
    // Stay inside one minute window.
    const second = new Date().getUTCSeconds()
    if (second > 50) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000))
    const body = JSON.stringify({ model: 'limited', messages: [{ role: 'user', content: 'hi' }] })
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        fetch(`${replicas[index % 2]!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }).then(async (response) => {
          if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
          await response.arrayBuffer()
          return response.status
        }),
      ),
    )
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT)
    expect(statuses.filter((status) => status === 429)).toHaveLength(30 - LIMIT)
    expect(fake.requests).toHaveLength(LIMIT)

    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const counter = await client.query(
        "SELECT value FROM gateway_counters WHERE counter = 'rpm:endpoint:limited'",
      )
      expect(counter.rows.map((row) => Number(row.value))).toEqual([LIMIT])
      // Usage of both replicas lands in the shared table (each flushes within a second).
      const deadline = Date.now() + 5000
      let rows: { status: number; calls: number }[] = []
      while (Date.now() < deadline) {
        rows = (
          await client.query(
            'SELECT status, COUNT(*)::int AS calls FROM gateway_usage GROUP BY status ORDER BY status',
          )
        ).rows
        if (rows.reduce((sum, row) => sum + row.calls, 0) === 30) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      expect(rows).toEqual([
        { status: 200, calls: LIMIT },
        { status: 429, calls: 30 - LIMIT },
      ])
    } finally {
      await client.end()
    }
  }, 90_000)

  it('answers usage queries and the CLI from either replica with both replicas’ calls', async () => {
    const summary = await (
      await fetch(`${replicas[1]!.url}/api/2.0/gateway/usage/summary?endpoint=limited`)
    ).json()
    expect(summary.summary).toEqual([
      expect.objectContaining({ endpoint: 'limited', calls: 30, errors: 30 - LIMIT }),
    ])
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [
        CLI_BIN,
        'gateway',
        'usage',
        '--summary',
        '--json',
        '--gateway-uri',
        replicas[0]!.url,
      ])
      let stdout = ''
      child.stdout.on('data', (chunk) => {
        stdout += chunk
      })
      child.on('exit', (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`cairn gateway usage exited ${code}`)),
      )
    })
    expect(JSON.parse(output)[0]).toMatchObject({ endpoint: 'limited', calls: 30 })
    const endpoints = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [
        CLI_BIN,
        'gateway',
        'endpoints',
        '--gateway-uri',
        replicas[1]!.url,
      ])
      let stdout = ''
      child.stdout.on('data', (chunk) => {
        stdout += chunk
      })
      child.on('exit', (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`cairn gateway endpoints exited ${code}`)),
      )
    })
    expect(endpoints).toMatch(/limited\s+llm\/v1\/chat\s+openai\s+gpt-4o-mini/)
  }, 30_000)
})
