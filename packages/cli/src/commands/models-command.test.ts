import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CairnClient } from '@cairn/sdk'
import { startServer } from '@cairn/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildProject } from '../../../sdk/src/test-support/build-project.js'

const REPO = fileURLToPath(new URL('../../../..', import.meta.url))
const BIN = join(REPO, 'packages/cli/dist/bin.js')

let directory: string
let server: { url: string; close(): Promise<void> }
let client: CairnClient

beforeAll(async () => {
  await buildProject(REPO, 'packages/cli')
  directory = await mkdtemp(join(tmpdir(), 'cairn-cli-models-'))
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    backendStoreUri: `sqlite:///${directory}/cli.db`,
    defaultArtifactRoot: join(directory, 'artifacts'),
    handleSignals: false,
  })
  client = new CairnClient({ trackingUri: server.url })
}, 120_000)

afterAll(async () => {
  await server?.close()
  if (directory) await rm(directory, { recursive: true, force: true })
})

function cairn(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CAIRN_TRACKING_URI: '', MLFLOW_TRACKING_URI: server.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

describe('cairn models', () => {
  it('creates, registers, aliases, stages, lists, describes and deletes models', async () => {
    const name = `cli-model-${Date.now().toString(36)}`
    expect((await cairn(['models', 'create', '-n', name, '-d', 'from the cli', '-t', 'team=ml'])).code).toBe(
      0,
    )
    const experimentId = await client.createExperiment({ name: `${name}-exp` })
    const run = await client.createRun({ experimentId })
    const registered = await cairn(['models', 'register', '-n', name, '-s', `runs:/${run.info.runId}/model`])
    expect(registered.stdout).toContain(`Created version 1 of model '${name}'.`)
    expect(
      (await cairn(['models', 'register', '-n', name, '-s', `runs:/${run.info.runId}/model`])).code,
    ).toBe(0)
    expect((await cairn(['models', 'alias', 'set', '-n', name, '-a', 'champion', '-v', '1'])).code).toBe(0)
    const staged = await cairn([
      'models',
      'stage',
      '-n',
      name,
      '-v',
      '2',
      '-s',
      'production',
      '--archive-existing',
    ])
    expect(staged.stdout).toContain('is now in stage Production')

    const listed = await cairn(['models', 'list', '--filter', `name = '${name}'`])
    expect(listed.stdout).toContain(name)
    expect(listed.stdout).toContain('champion→1')
    const described = JSON.parse((await cairn(['models', 'describe', '-n', name, '--json'])).stdout)
    expect(described).toMatchObject({
      name,
      description: 'from the cli',
      tags: [{ key: 'team', value: 'ml' }],
    })
    expect(described.versions.map((version: { version: string }) => version.version)).toEqual(['2', '1'])

    expect((await cairn(['models', 'alias', 'delete', '-n', name, '-a', 'champion'])).code).toBe(0)
    expect((await client.registry.getRegisteredModel(name)).aliases).toEqual([])
    const badStage = await cairn(['models', 'stage', '-n', name, '-v', '1', '-s', 'nowhere'])
    expect(badStage.code).toBe(1)
    expect(badStage.stderr).toContain('Invalid Model Version stage')
    expect((await cairn(['models', 'delete', '-n', name, '-v', '1'])).code).toBe(0)
    expect((await cairn(['models', 'delete', '-n', name])).code).toBe(0)
    const gone = await cairn(['models', 'describe', '-n', name])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain('not found')
  }, 60_000)
})
