import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Experiment, Run } from '@cairn/core'
import { CairnClient } from '@cairn/sdk'
import { startServer } from '@cairn/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildProject } from '../../sdk/src/test-support/build-project.js'
import { localArtifactPath } from './commands/gc-command.js'
import { parseDuration } from './parse-duration.js'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const BIN = join(REPO, 'packages/cli/dist/bin.js')

let directory: string
let backendStoreUri: string
let server: { url: string; close(): Promise<void> }
let client: CairnClient

beforeAll(async () => {
  await buildProject(REPO, 'packages/cli')
  directory = await mkdtemp(join(tmpdir(), 'cairn-cli-'))
  backendStoreUri = `sqlite:///${directory}/cli.db`
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    backendStoreUri,
    defaultArtifactRoot: join(directory, 'artifacts'),
    handleSignals: false,
  })
  client = new CairnClient({ trackingUri: server.url })
}, 120_000)

afterAll(async () => {
  await server?.close()
  if (directory) await rm(directory, { recursive: true, force: true })
})

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built `cairn` binary; never blocks this process, which serves the requests. */
function cairn(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CAIRN_TRACKING_URI: '', MLFLOW_TRACKING_URI: server.url, ...env },
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

function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

describe('cairn', () => {
  it('prints its version and help', async () => {
    const version = await cairn(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    const help = await cairn(['--help'])
    expect(help.code).toBe(0)
    for (const command of ['server', 'db', 'experiments', 'runs', 'gc'])
      expect(help.stdout).toContain(command)
    const serverHelp = await cairn(['server', '--help'])
    for (const flag of [
      '--backend-store-uri',
      '--default-artifact-root',
      '--artifacts-destination',
      '--no-serve-artifacts',
      '--host',
      '--port',
      '--workers',
    ]) {
      expect(serverHelp.stdout).toContain(flag)
    }
    expect((await cairn(['runs', 'list', '--help'])).stdout).toContain('--experiment-id')
  })

  it('exits with 2 on usage errors', async () => {
    const missing = await cairn(['runs', 'describe'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--run-id')
    expect((await cairn(['no-such-command'])).code).toBe(2)
  })
})

describe('cairn experiments', () => {
  it('creates an experiment, printing its id or JSON', async () => {
    const name = unique('cli')
    const created = await cairn(['experiments', 'create', '--experiment-name', name])
    expect(created.code).toBe(0)
    const id = /with id (\S+)/.exec(created.stdout)?.[1]
    expect((await client.getExperiment(id!)).name).toBe(name)

    const json = await cairn(
      ['experiments', 'create', '-n', unique('cli-json'), '--json', '--tracking-uri', server.url],
      {
        MLFLOW_TRACKING_URI: 'http://127.0.0.1:1',
      },
    )
    expect(json.code).toBe(0)
    const { experimentId } = JSON.parse(json.stdout) as { experimentId: string }
    expect((await client.getExperiment(experimentId)).lifecycleStage).toBe('active')
  })

  it('lists experiments as a table and as JSON', async () => {
    const name = unique('listed')
    const experimentId = await client.createExperiment({ name })
    const table = await cairn(['experiments', 'list'])
    expect(table.code).toBe(0)
    expect(table.stdout.split('\n')[0]).toMatch(/^Experiment Id\s+Name\s+Stage/)
    expect(table.stdout).toContain(name)

    const json = await cairn(['experiments', 'list', '--json', '--filter', `name = '${name}'`])
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ experimentId, name, lifecycleStage: 'active' }),
    ])
  })

  it('renames, deletes and restores an experiment', async () => {
    const experimentId = await client.createExperiment({ name: unique('before') })
    const newName = unique('after')
    expect(
      (await cairn(['experiments', 'rename', '--experiment-id', experimentId, '--new-name', newName])).code,
    ).toBe(0)
    expect((await client.getExperiment(experimentId)).name).toBe(newName)

    expect((await cairn(['experiments', 'delete', '-x', experimentId])).code).toBe(0)
    const deleted = await cairn(['experiments', 'list', '--view', 'deleted_only', '--json'])
    expect(
      (JSON.parse(deleted.stdout) as Experiment[]).map((experiment) => experiment.experimentId),
    ).toContain(experimentId)

    expect((await cairn(['experiments', 'restore', '-x', experimentId])).code).toBe(0)
    expect((await client.getExperiment(experimentId)).lifecycleStage).toBe('active')
  })

  it('prints the MLflow error message and exits with 1 when the server refuses', async () => {
    const name = unique('taken')
    await client.createExperiment({ name })
    const result = await cairn(['experiments', 'create', '-n', name])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('RESOURCE_ALREADY_EXISTS')
    expect(result.stderr).toContain(name)
    expect(result.stderr).not.toMatch(/\n\s+at /)

    const missing = await cairn(['experiments', 'delete', '-x', '98765432'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('RESOURCE_DOES_NOT_EXIST')
  })
})

describe('cairn runs', () => {
  it('lists and describes runs, as tables and as JSON', async () => {
    const experimentId = await client.createExperiment({ name: unique('runs') })
    const first = await client.createRun({ experimentId, runName: 'first', startTime: 1_700_000_000_000 })
    const second = await client.createRun({ experimentId, runName: 'second', startTime: 1_700_000_001_000 })
    await client.logBatch({
      runId: first.info.runId,
      params: [{ key: 'lr', value: '0.01' }],
      metrics: [{ key: 'rmse', value: 0.25, step: 3, timestamp: 1_700_000_000_500 }],
    })

    const table = await cairn(['runs', 'list', '--experiment-id', experimentId])
    expect(table.code).toBe(0)
    const lines = table.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^Date\s+Name\s+ID\s+Status/)
    expect(lines[2]).toContain(second.info.runId)
    expect(lines[3]).toContain(first.info.runId)

    const json = await cairn(['runs', 'list', '-x', experimentId, '--json'])
    expect((JSON.parse(json.stdout) as Run[]).map((run) => run.info.runId)).toEqual([
      second.info.runId,
      first.info.runId,
    ])

    const described = await cairn(['runs', 'describe', '--run-id', first.info.runId])
    expect(described.code).toBe(0)
    expect(described.stdout).toContain('lr')
    expect(described.stdout).toContain('rmse')
    expect(described.stdout).toContain('RUNNING')

    const describedJson = JSON.parse(
      (await cairn(['runs', 'describe', '-r', first.info.runId, '--json'])).stdout,
    ) as Run
    expect(describedJson.info.runId).toBe(first.info.runId)
    expect(describedJson.data.params).toEqual([{ key: 'lr', value: '0.01' }])
    expect(describedJson.data.metrics[0]).toMatchObject({ key: 'rmse', value: 0.25, step: 3 })
  })

  it('deletes and restores a run, and fails on unknown runs', async () => {
    const experimentId = await client.createExperiment({ name: unique('delete-run') })
    const { info } = await client.createRun({ experimentId })
    expect((await cairn(['runs', 'delete', '--run-id', info.runId])).code).toBe(0)
    expect((await client.getRun(info.runId)).info.lifecycleStage).toBe('deleted')
    const deleted = await cairn(['runs', 'list', '-x', experimentId, '--view', 'deleted_only', '--json'])
    expect((JSON.parse(deleted.stdout) as Run[]).map((run) => run.info.runId)).toEqual([info.runId])
    expect((await cairn(['runs', 'restore', '--run-id', info.runId])).code).toBe(0)
    expect((await client.getRun(info.runId)).info.lifecycleStage).toBe('active')

    const unknown = await cairn(['runs', 'describe', '--run-id', '0123456789abcdef0123456789abcdef'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('RESOURCE_DOES_NOT_EXIST')
  })
})

describe('cairn gc', () => {
  it('permanently deletes deleted runs and experiments with their artifacts, leaving active ones', async () => {
    const experimentId = await client.createExperiment({ name: unique('gc') })
    const kept = await client.createRun({ experimentId })
    const removed = await client.createRun({ experimentId })
    await client.logMetric({ runId: removed.info.runId, key: 'm', value: 1 })
    const artifacts = localArtifactPath(removed.info.artifactUri, undefined)
    expect(artifacts).toBeDefined()
    await mkdir(artifacts!, { recursive: true })
    await writeFile(join(artifacts!, 'model.txt'), 'weights')
    await client.deleteRun(removed.info.runId)

    const goneExperiment = await client.createExperiment({ name: unique('gc-exp') })
    const goneRun = await client.createRun({ experimentId: goneExperiment })
    await client.deleteExperiment(goneExperiment)

    const notYet = await cairn(['gc', '--backend-store-uri', backendStoreUri, '--older-than', '30d'])
    expect(notYet.code).toBe(0)
    expect((await client.getRun(removed.info.runId)).info.lifecycleStage).toBe('deleted')

    const result = await cairn(['gc', '--backend-store-uri', backendStoreUri])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`Run with ID ${removed.info.runId} has been permanently deleted.`)
    expect(result.stdout).toContain(`Experiment with ID ${goneExperiment} has been permanently deleted.`)
    await expect(client.getRun(removed.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(client.getRun(goneRun.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(client.getExperiment(goneExperiment)).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    })
    expect(existsSync(artifacts!)).toBe(false)
    expect((await client.getRun(kept.info.runId)).info.lifecycleStage).toBe('active')
  })

  it('removes only the given runs and refuses runs that are not deleted', async () => {
    const experimentId = await client.createExperiment({ name: unique('gc-ids') })
    const first = await client.createRun({ experimentId })
    const second = await client.createRun({ experimentId })
    const active = await client.createRun({ experimentId })
    await client.deleteRun(first.info.runId)
    await client.deleteRun(second.info.runId)

    const refused = await cairn([
      'gc',
      '--backend-store-uri',
      backendStoreUri,
      '--run-ids',
      `${first.info.runId},${active.info.runId}`,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(`Run ${active.info.runId} is not in \`deleted\` lifecycle stage`)
    expect((await client.getRun(first.info.runId)).info.lifecycleStage).toBe('deleted')

    const only = await cairn(['gc', '--backend-store-uri', backendStoreUri, '--run-ids', first.info.runId])
    expect(only.code).toBe(0)
    await expect(client.getRun(first.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    expect((await client.getRun(second.info.runId)).info.lifecycleStage).toBe('deleted')
  })

  it('draws a progress bar on a terminal and prints a summary instead of one line per run', async () => {
    const experimentId = await client.createExperiment({ name: unique('gc-tty') })
    const { info } = await client.createRun({ experimentId })
    await client.deleteRun(info.runId)
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} gc --backend-store-uri ${JSON.stringify(backendStoreUri)} --run-ids ${info.runId}`
    // `script` runs the command on a pseudo-terminal, so stderr is a TTY.
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    expect(output).toMatch(/gc \[.*\] 1\/1/)
    expect(output).toContain('Permanently deleted 1 run and 0 experiments.')
    expect(output).not.toContain('has been permanently deleted')
    await expect(client.getRun(info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
  })

  it('refuses active experiments given by id and malformed ages', async () => {
    const experimentId = await client.createExperiment({ name: unique('gc-active') })
    const refused = await cairn([
      'gc',
      '--backend-store-uri',
      backendStoreUri,
      '--experiment-ids',
      experimentId,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('not in the deleted lifecycle stage')
    const malformed = await cairn(['gc', '--backend-store-uri', backendStoreUri, '--older-than', 'soon'])
    expect(malformed.code).toBe(1)
    expect(malformed.stderr).toContain("Could not parse any time information from 'soon'")
  })
})

describe('cairn db upgrade and server', () => {
  it('creates an up-to-date schema that a server can use', async () => {
    const file = join(directory, 'upgraded.db')
    const result = await cairn(['db', 'upgrade', `sqlite:///${file}`])
    expect(result.code).toBe(0)
    expect(existsSync(file)).toBe(true)
  })

  it('serves the REST API until it receives SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'server',
        '--backend-store-uri',
        `sqlite:///${directory}/served.db`,
        '--default-artifact-root',
        join(directory, 'served'),
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const match = /listening at (\S+)/.exec(stderr)
        if (match) resolve(match[1]!)
      })
      child.on('exit', () => reject(new Error(`server exited: ${stderr}`)))
    })
    const served = new CairnClient({ trackingUri: url })
    expect((await served.getExperiment('0')).name).toBe('Default')
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})

describe('parseDuration', () => {
  it('reads MLflow #d#h#m#s ages, decimals included', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000)
    expect(parseDuration('1d2h3m4s')).toBe(86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(() => parseDuration('')).toThrow(/Could not parse/)
    expect(() => parseDuration('5x')).toThrow(/Could not parse/)
  })
})
