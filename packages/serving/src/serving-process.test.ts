import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CairnClient, logModel } from '@cairn/sdk/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CairnProcess,
  sqliteUri,
  startCairn,
} from '../../../tests/integration/helpers/cairn-process.mjs'
import { buildProject } from '../../sdk/src/test-support/build-project.js'
import { registerSumModelVersions, writeSumModel } from './test-support/js-models.js'
import { freePort, loadLoop, REPO, SERVING_BIN, spawnServing } from './test-support/processes.js'

let root: string

beforeAll(async () => {
  // The CLI build includes serving and everything it needs; the tracking server comes from the CLI.
  await buildProject(REPO, 'packages/cli')
  root = await mkdtemp(path.join(tmpdir(), 'cairn-serving-process-'))
}, 300_000)

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true })
})

const body = (a: number, sleepMs = 0) =>
  JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'sleep_ms'], data: [[a, 1, sleepMs]] } })

describe('the standalone scoring server (dist/bin.js)', () => {
  it('spreads a JS model over worker threads and stops gracefully on SIGTERM', async () => {
    const dir = await writeSumModel(path.join(root, 'workers'))
    const port = await freePort()
    const server = await spawnServing({
      args: [
        SERVING_BIN,
        '--model-dir',
        dir,
        '--port',
        String(port),
        '--workers',
        '2',
        '--max-batch-size',
        '1',
      ],
      port,
    })
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, async (_, index) => {
          const response = await fetch(`${server.url}/invocations`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: body(index, 100),
          })
          expect(response.status).toBe(200)
          return ((await response.json()) as { predictions: { sum: number; thread: number }[] })
            .predictions[0]!
        }),
      )
      expect(answers.map((answer) => answer.sum)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      const threads = new Set(answers.map((answer) => answer.thread))
      expect(threads.has(0)).toBe(false)
      expect(threads.size).toBe(2)

      const slow = fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: body(41, 600),
      })
      await new Promise((resolve) => setTimeout(resolve, 150))
      server.child.kill('SIGTERM')
      const response = await slow
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ predictions: [{ sum: 42, thread: expect.any(Number) }] })
      expect(await server.exited).toEqual({ code: 0, signal: null })
      expect(server.output()).toContain('SIGTERM')
    } finally {
      await server.stop()
    }
  })

  it('rejects bad arguments with exit code 2 and usage', async () => {
    const { spawnSync } = await import('node:child_process')
    const result = spawnSync(process.execPath, [SERVING_BIN, '--port', '1'], { encoding: 'utf8' })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('--model-dir')
  })
})

describe('serving a registry alias', () => {
  let cairn: CairnProcess
  let client: CairnClient

  beforeAll(async () => {
    cairn = await startCairn({ backendStoreUri: sqliteUri(path.join(root, 'cairn.db')), cwd: root })
    client = new CairnClient({ trackingUri: cairn.url })
  }, 120_000)

  afterAll(async () => {
    await cairn?.stop()
  })

  it('serves models:/name/N, runs:/ and m-<id> URIs', async () => {
    const name = `serving-uris-${Date.now().toString(36)}`
    const experimentId = await client.createExperiment({ name })
    const run = await client.createRun({ experimentId })
    const dir = await writeSumModel(path.join(root, name), { offset: 7 })
    const logged = await logModel(client, {
      runId: run.info.runId,
      name: 'model',
      model: { flavor: 'js', source: path.join(dir, 'js'), entry: 'model.mjs' },
      registeredModelName: name,
    })
    for (const uri of [`models:/${name}/1`, `runs:/${run.info.runId}/model`, logged.modelId]) {
      const port = await freePort()
      const server = await spawnServing({
        args: [SERVING_BIN, '--model-uri', uri, '--port', String(port)],
        port,
        env: { MLFLOW_TRACKING_URI: cairn.url, CAIRN_TRACKING_URI: '' },
      })
      try {
        const response = await fetch(`${server.url}/invocations`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: body(1),
        })
        expect(response.status, uri).toBe(200)
        expect(await response.json()).toEqual({ predictions: [{ sum: 9, thread: 0 }] })
      } finally {
        await server.stop()
      }
    }
  })

  it('swaps to the version the alias moves to on SIGHUP with zero failed requests', async () => {
    const name = `serving-swap-${Date.now().toString(36)}`
    await registerSumModelVersions(client, { root, name, versions: [0, 1000] })
    await client.registry.setRegisteredModelAlias(name, 'champion', '1')
    const port = await freePort()
    const server = await spawnServing({
      args: [SERVING_BIN, '--model-uri', `models:/${name}@champion`, '--port', String(port)],
      port,
      env: { MLFLOW_TRACKING_URI: cairn.url, CAIRN_TRACKING_URI: '' },
    })
    const loop = loadLoop(server.url, body(1))
    try {
      await new Promise((resolve) => setTimeout(resolve, 300))
      await client.registry.setRegisteredModelAlias(name, 'champion', '2')
      server.child.kill('SIGHUP')
      const deadline = Date.now() + 20_000
      while (loop.answers.length < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50))
      await new Promise((resolve) => setTimeout(resolve, 300))
    } finally {
      await loop.stop()
    }
    try {
      expect(loop.failures).toEqual([])
      expect(loop.count).toBeGreaterThan(20)
      expect(
        loop.answers.map(
          (text) => (JSON.parse(text) as { predictions: { sum: number }[] }).predictions[0]!.sum,
        ),
      ).toEqual([2, 1002])
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      expect(metrics).toMatch(/cairn_scoring_model_info\{[^}]*version="2"[^}]*\} 1/)
      expect(metrics).toContain('cairn_scoring_model_swaps_total 1')
    } finally {
      await server.stop()
    }
  })
})
