import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { CairnClient } from '@cairn/sdk'
import { startServer } from '@cairn/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningS3rver } from '../../artifacts/src/test-support/s3rver.js'
import { startS3rver } from '../../artifacts/src/test-support/s3rver.js'
import { buildProject } from '../../sdk/src/test-support/build-project.js'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const BIN = join(REPO, 'packages/cli/dist/bin.js')

let directory: string
let backendStoreUri: string
let server: { url: string; close(): Promise<void> }
let client: CairnClient
let s3: RunningS3rver

beforeAll(async () => {
  await buildProject(REPO, 'packages/cli')
  directory = await mkdtemp(join(tmpdir(), 'cairn-cli-artifacts-'))
  backendStoreUri = `sqlite:///${directory}/cli.db`
  s3 = await startS3rver()
  server = await startServer({
    port: 0,
    backendStoreUri,
    artifactsDestination: join(directory, 'artifacts'),
    handleSignals: false,
  })
  client = new CairnClient({ trackingUri: server.url, retries: { maxRetries: 0 } })
}, 120_000)

afterAll(async () => {
  await server?.close()
  await s3?.close()
  if (directory) await rm(directory, { recursive: true, force: true })
})

function cairn(args: string[], env: Record<string, string> = {}) {
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
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  )
}

async function newRun(artifactLocation?: string): Promise<string> {
  const experimentId = await client.createExperiment({
    name: `cli-artifacts-${Math.random().toString(36).slice(2)}`,
    artifactLocation,
  })
  return (await client.createRun({ experimentId })).info.runId
}

describe('cairn artifacts', () => {
  it('logs a file and a folder, lists and downloads them', async () => {
    const runId = await newRun()
    const local = join(directory, `local-${runId}`)
    await mkdir(join(local, 'folder', 'sub'), { recursive: true })
    await writeFile(join(local, 'model.bin'), Buffer.alloc(4096, 1))
    await writeFile(join(local, 'folder', 'a.txt'), 'a')
    await writeFile(join(local, 'folder', 'sub', 'b.txt'), 'b')

    const logFile = await cairn([
      'artifacts',
      'log',
      join(local, 'model.bin'),
      '--run-id',
      runId,
      '-a',
      'model',
    ])
    expect(logFile.code, logFile.stderr).toBe(0)
    const logFolder = await cairn([
      'artifacts',
      'log',
      join(local, 'folder'),
      '--run-id',
      runId,
      '-a',
      'data',
      '-j',
      '2',
    ])
    expect(logFolder.code, logFolder.stderr).toBe(0)

    const listed = await cairn(['artifacts', 'list', '--run-id', runId])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('data/')
    expect(listed.stdout).toContain('model/')
    const json = await cairn(['artifacts', 'list', '--run-id', runId, '-a', 'model', '--json'])
    expect(JSON.parse(json.stdout)).toEqual([{ path: 'model/model.bin', isDir: false, fileSize: 4096 }])

    const target = join(directory, `download-${runId}`)
    const downloaded = await cairn(['artifacts', 'download', '--run-id', runId, '-a', 'data', '-d', target])
    expect(downloaded.code, downloaded.stderr).toBe(0)
    expect(downloaded.stdout.trim()).toBe(join(target, 'data'))
    expect(await readFile(join(target, 'data', 'sub', 'b.txt'), 'utf8')).toBe('b')

    const refused = await cairn([
      'artifacts',
      'log',
      join(local, 'model.bin'),
      '--run-id',
      runId,
      '-a',
      '../../x',
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('INVALID_PARAMETER_VALUE')
  })

  it('cairn gc removes the S3 artifacts of permanently deleted runs', async () => {
    const runId = await newRun(`s3://${s3.bucket}/gc-${Date.now()}`)
    const run = await client.getRun(runId)
    const key = `${run.info.artifactUri.replace(`s3://${s3.bucket}/`, '')}/model/weights.bin`
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: 'weights' }))
    await client.deleteRun(runId)
    const gc = await cairn(['gc', '--backend-store-uri', backendStoreUri, '--run-ids', runId], s3.env)
    expect(gc.code, gc.stderr).toBe(0)
    expect(gc.stdout).toContain(runId)
    await expect(
      s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })),
    ).rejects.toMatchObject({
      name: 'NotFound',
    })
  })
})
