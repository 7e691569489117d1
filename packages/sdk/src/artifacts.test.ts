import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ArtifactProgress } from './artifacts.js'
import { checkArtifactPath, proxyPathOfRoot } from './artifacts.js'
import { CairnClient } from './cairn-client.js'
import {
  downloadArtifacts,
  logArtifact,
  logArtifacts,
  prepareDownloadTarget,
  writeResponseAtomically,
} from './node-artifacts.js'
import { startLoopbackServer } from './test-support/loopback-server.js'
import { Tracker } from './tracker.js'

let directory: string
let client: CairnClient
let close: () => Promise<void>

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'cairn-sdk-artifacts-'))
  const { startServer } = await import('@cairn/server')
  const server = await startServer({
    port: 0,
    backendStoreUri: `sqlite:///${directory}/cairn.db`,
    artifactsDestination: path.join(directory, 'artifacts'),
    handleSignals: false,
  })
  close = server.close
  client = new CairnClient({ trackingUri: server.url, retries: { maxRetries: 0 } })
})

afterAll(async () => {
  await close?.()
  await rm(directory, { recursive: true, force: true })
})

async function newRun(): Promise<string> {
  const experimentId = await client.createExperiment({
    name: `artifacts-${Math.random().toString(36).slice(2)}`,
  })
  return (await client.createRun({ experimentId })).info.runId
}

describe('RunArtifacts', () => {
  it('logs text, JSON and YAML dicts and reads them back', async () => {
    const runId = await newRun()
    await client.artifacts.logText(runId, 'hello', 'notes/readme.txt')
    await client.artifacts.logDict(runId, { lr: 0.01, layers: [1, 2] }, 'config.json')
    await client.artifacts.logDict(runId, { lr: 0.01, name: 'cnn' }, 'config.yaml')
    expect(await client.artifacts.readText(runId, 'notes/readme.txt')).toBe('hello')
    expect(await client.artifacts.loadDict(runId, 'config.json')).toEqual({ lr: 0.01, layers: [1, 2] })
    expect(await client.artifacts.readText(runId, 'config.yaml')).toBe('lr: 0.01\nname: cnn\n')
    expect(await client.artifacts.loadDict(runId, 'config.yaml')).toEqual({ lr: 0.01, name: 'cnn' })
    expect(await client.artifacts.listArtifacts(runId)).toEqual([
      { path: 'config.json', isDir: false, fileSize: expect.any(Number) },
      { path: 'config.yaml', isDir: false, fileSize: 19 },
      { path: 'notes', isDir: true },
    ])
  })

  it('logs PNG and JPEG bytes and refuses anything else', async () => {
    const runId = await newRun()
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])
    await client.artifacts.logImage(runId, png, 'images/a.png')
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2])
    await client.artifacts.logImage(runId, jpeg, 'images/b.jpg')
    const downloaded = new Uint8Array(
      await (await client.artifacts.downloadArtifact(runId, 'images/a.png')).arrayBuffer(),
    )
    expect([...downloaded]).toEqual([...png])
    await expect(client.artifacts.logImage(runId, new Uint8Array([1, 2, 3]), 'x.png')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    await expect(client.artifacts.logImage(runId, png, 'x.jpg')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
  })

  it('refuses artifact paths that leave the run root before sending anything', async () => {
    const runId = await newRun()
    for (const bad of ['../x.txt', 'a/../../x', '/etc/passwd', 'a\\b', 'file:///x']) {
      await expect(client.artifacts.logText(runId, 'x', bad)).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      })
    }
    expect(() => checkArtifactPath('a/./b//c')).not.toThrow()
    expect(checkArtifactPath('a/./b//c')).toBe('a/b/c')
  })

  it('logs artifacts from a run started with the Tracker', async () => {
    const tracker = new Tracker({ client })
    const run = await tracker.startRun({
      experimentName: `tracker-artifacts-${Math.random().toString(36).slice(2)}`,
    })
    try {
      await run.logText('from the tracker', 'notes.txt')
      await run.logDict({ a: 1 }, 'd.yml')
      expect((await run.listArtifacts()).map((file) => file.path)).toEqual(['d.yml', 'notes.txt'])
    } finally {
      await run.end()
    }
    expect(await client.artifacts.readText(run.runId, 'd.yml')).toBe('a: 1\n')
  })

  it('maps proxied roots and refuses others', () => {
    expect(proxyPathOfRoot('mlflow-artifacts:/1/abc/artifacts')).toBe(
      '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts',
    )
    expect(proxyPathOfRoot('mlflow-artifacts://host:5000/1/abc/artifacts')).toBe(
      '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts',
    )
    expect(() => proxyPathOfRoot('s3://bucket/x')).toThrow(/proxy/)
  })
})

describe('@cairn/sdk/node artifact transfers', () => {
  it('uploads a file and a folder and downloads both back, with progress', async () => {
    const runId = await newRun()
    const local = path.join(directory, `upload-${runId}`)
    await mkdir(path.join(local, 'tree', 'deep'), { recursive: true })
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 9)
    await writeFile(path.join(local, 'big.bin'), big)
    await writeFile(path.join(local, 'tree', 'a.txt'), 'a')
    await writeFile(path.join(local, 'tree', 'deep', 'b.txt'), 'bb')

    const uploadProgress: ArtifactProgress[] = []
    await logArtifact(client, runId, path.join(local, 'big.bin'), {
      artifactPath: 'model',
      onProgress: (progress) => uploadProgress.push(progress),
    })
    expect(uploadProgress.at(-1)).toMatchObject({
      path: 'model/big.bin',
      bytes: big.length,
      totalBytes: big.length,
    })
    expect(uploadProgress.length).toBeGreaterThan(1)

    await logArtifacts(client, runId, path.join(local, 'tree'), { artifactPath: 'data', concurrency: 2 })
    expect((await client.artifacts.listArtifacts(runId, 'data')).map((file) => file.path)).toEqual([
      'data/a.txt',
      'data/deep',
    ])

    const target = path.join(directory, `download-${runId}`)
    const downloadProgress: ArtifactProgress[] = []
    const folder = await downloadArtifacts(client, runId, {
      destination: target,
      concurrency: 3,
      onProgress: (progress) => downloadProgress.push(progress),
    })
    expect(folder).toBe(target)
    expect((await readFile(path.join(target, 'model', 'big.bin'))).equals(big)).toBe(true)
    expect(await readFile(path.join(target, 'data', 'deep', 'b.txt'), 'utf8')).toBe('bb')
    expect(downloadProgress.at(-1)).toMatchObject({ filesDone: 3, filesTotal: 3 })

    const single = await downloadArtifacts(client, runId, {
      artifactPath: 'data/deep/b.txt',
      destination: path.join(target, 'one'),
    })
    expect(single).toBe(path.join(target, 'one', 'data', 'deep', 'b.txt'))
    expect(await readFile(single, 'utf8')).toBe('bb')
    await expect(
      downloadArtifacts(client, runId, { artifactPath: 'missing.txt', destination: target }),
    ).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
  })

  it('writes a download only whole, inside the destination, and leaves nothing behind when it fails', async () => {
    const target = await mkdtemp(path.join(directory, 'atomic-'))
    await expect(prepareDownloadTarget(target, './')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    await expect(prepareDownloadTarget(target, '../out.txt')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    const local = await prepareDownloadTarget(target, 'a/b/c.txt')
    expect(local).toBe(path.join(target, 'a', 'b', 'c.txt'))
    const seen: number[] = []
    await writeResponseAtomically(new Response('hello'), local, (bytes) => seen.push(bytes))
    expect(await readFile(local, 'utf8')).toBe('hello')
    expect(seen.at(-1)).toBe(5)
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('partial'))
        controller.error(new Error('connection reset'))
      },
    })
    const broken = path.join(target, 'a', 'b', 'broken.txt')
    await expect(writeResponseAtomically(new Response(failing), broken)).rejects.toThrow('connection reset')
    expect((await readdir(path.join(target, 'a', 'b'))).sort()).toEqual(['c.txt'])
  })

  it('CVE-2024-0520 pattern: never writes outside the destination when a server lists hostile paths', async () => {
    const hostile = await startLoopbackServer([
      { status: 200, body: { files: [{ path: '../../escaped.txt', is_dir: false, file_size: 1 }] } },
      {
        status: 200,
        body: { run: { info: { run_id: 'r1', artifact_uri: 'mlflow-artifacts:/0/r1/artifacts' }, data: {} } },
      },
    ])
    try {
      const target = path.join(directory, 'hostile-target')
      const hostileClient = new CairnClient({ trackingUri: hostile.url, retries: { maxRetries: 0 } })
      await expect(downloadArtifacts(hostileClient, 'r1', { destination: target })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
      })
      expect(await readdir(directory)).not.toContain('escaped.txt')
    } finally {
      await hostile.close()
    }
  })
})
