import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CairnClient } from '@cairn/sdk/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CairnProcess,
  sqliteUri,
  startCairn,
} from '../../../../tests/integration/helpers/cairn-process.mjs'
import { buildProject } from '../../../sdk/src/test-support/build-project.js'
import { registerSumModelVersions, writeSumModel } from '../../../serving/src/test-support/js-models.js'
import { freePort, loadLoop, REPO, spawnServing } from '../../../serving/src/test-support/processes.js'

// Runs `models serve` through addServeCommand as the `cairn models` command would, from the built CLI.
const SERVE_SCRIPT = `
import { Command } from 'commander'
import { addServeCommand } from './dist/commands/models-serve-command.js'
const models = new Command('models').exitOverride()
addServeCommand(models)
await models.parseAsync(process.argv.slice(1), { from: 'user' })
`

function serveArgs(args: string[]): string[] {
  return ['--input-type=module', '-e', SERVE_SCRIPT, 'serve', ...args]
}

let root: string
let cairn: CairnProcess
let client: CairnClient

beforeAll(async () => {
  await buildProject(REPO, 'packages/cli')
  root = await mkdtemp(path.join(tmpdir(), 'cairn-cli-serve-'))
  cairn = await startCairn({ backendStoreUri: sqliteUri(path.join(root, 'cairn.db')), cwd: root })
  client = new CairnClient({ trackingUri: cairn.url })
}, 300_000)

afterAll(async () => {
  await cairn?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

const request = (a: number) => JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[a, 1]] } })

describe('cairn models serve', () => {
  it('serves a local model directory with MLflow flags (-h host, -p port, --env-manager local)', async () => {
    const dir = await writeSumModel(path.join(root, 'local'))
    const port = await freePort()
    const server = await spawnServing({
      args: serveArgs(['-m', dir, '-h', '127.0.0.1', '-p', String(port), '--env-manager', 'local']),
      port,
      cwd: path.join(REPO, 'packages/cli'),
    })
    try {
      const response = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: request(41),
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ predictions: [{ sum: 42, thread: 0 }] })
    } finally {
      await server.stop()
    }
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })

  it('follows models:/name@alias with --refresh-interval and zero failed requests', async () => {
    const name = `cli-serve-swap-${Date.now().toString(36)}`
    await registerSumModelVersions(client, { root, name, versions: [0, 500] })
    await client.registry.setRegisteredModelAlias(name, 'champion', '1')
    const port = await freePort()
    const server = await spawnServing({
      args: serveArgs(['-m', `models:/${name}@champion`, '-p', String(port), '--refresh-interval', '0.3']),
      port,
      cwd: path.join(REPO, 'packages/cli'),
      env: { MLFLOW_TRACKING_URI: cairn.url, CAIRN_TRACKING_URI: '' },
    })
    const loop = loadLoop(server.url, request(1))
    try {
      await new Promise((resolve) => setTimeout(resolve, 300))
      await client.registry.setRegisteredModelAlias(name, 'champion', '2')
      const deadline = Date.now() + 20_000
      while (loop.answers.length < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50))
      await new Promise((resolve) => setTimeout(resolve, 300))
    } finally {
      await loop.stop()
      await server.stop()
    }
    expect(loop.failures).toEqual([])
    expect(loop.count).toBeGreaterThan(20)
    expect(
      loop.answers.map(
        (text) => (JSON.parse(text) as { predictions: { sum: number }[] }).predictions[0]!.sum,
      ),
    ).toEqual([2, 502])
  })

  it('refuses to start without -m', async () => {
    const { spawnSync } = await import('node:child_process')
    const result = spawnSync(process.execPath, serveArgs(['-p', '0']), {
      cwd: path.join(REPO, 'packages/cli'),
      encoding: 'utf8',
    })
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('--model-uri')
  })
})
