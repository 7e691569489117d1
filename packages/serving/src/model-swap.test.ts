import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CairnClient } from '@cairn/sdk/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CairnProcess,
  sqliteUri,
  startCairn,
} from '../../../tests/integration/helpers/cairn-process.mjs'
import { buildProject } from '../../sdk/src/test-support/build-project.js'
import { startScoringServer } from './scoring-server.js'
import { registerSumModelVersions } from './test-support/js-models.js'
import { REPO } from './test-support/processes.js'

let root: string
let downloads: string
let savedTmpdir: string | undefined
let cairn: CairnProcess
let client: CairnClient

beforeAll(async () => {
  await buildProject(REPO, 'packages/cli')
  root = await mkdtemp(path.join(tmpdir(), 'cairn-model-swap-'))
  // Downloads of served models land in os.tmpdir(): a folder of this test's own, so it can count them.
  downloads = path.join(root, 'tmp')
  await mkdir(downloads)
  savedTmpdir = process.env.TMPDIR
  process.env.TMPDIR = downloads
  cairn = await startCairn({ backendStoreUri: sqliteUri(path.join(root, 'cairn.db')), cwd: root })
  client = new CairnClient({ trackingUri: cairn.url })
}, 300_000)

afterAll(async () => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = savedTmpdir
  await cairn?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

/** A scoring server for a registry URI on the test's Cairn server (a free port unless `port` is given). */
function serve(modelUri: string, port = 0) {
  return startScoringServer({ modelUri, trackingUri: cairn.url, port, log: () => {} })
}

async function sumOf(url: string): Promise<number> {
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[1, 1]] } }),
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { predictions: { sum: number }[] }).predictions[0]!.sum
}

const servingDownloads = async () =>
  (await readdir(downloads)).filter((entry) => entry.startsWith('cairn-serving-'))

describe('starting from the registry', () => {
  it('deletes the download when the port is taken', async () => {
    const name = `start-fails-${Date.now().toString(36)}`
    await registerSumModelVersions(client, { root, name, versions: [0] })
    const first = await serve(`models:/${name}/1`)
    try {
      await expect(serve(`models:/${name}/1`, first.port)).rejects.toThrow(/EADDRINUSE/)
      expect(await servingDownloads()).toHaveLength(1)
    } finally {
      await first.close()
    }
    expect(await servingDownloads()).toEqual([])
  })
})

describe('re-resolving a registry alias', () => {
  it('ends on the latest version when the alias moves again while a refresh runs', async () => {
    const name = `swap-race-${Date.now().toString(36)}`
    await registerSumModelVersions(client, { root, name, versions: [0, 100, 200] })
    await client.registry.setRegisteredModelAlias(name, 'champion', '1')
    const server = await serve(`models:/${name}@champion`)
    try {
      await client.registry.setRegisteredModelAlias(name, 'champion', '2')
      const first = server.refresh()
      // The first refresh has asked the registry already; this move happens while it downloads version 2.
      await client.registry.setRegisteredModelAlias(name, 'champion', '3')
      const second = server.refresh()
      await Promise.all([first, second])
      expect(server.model.version).toBe('3')
      expect(await sumOf(server.url)).toBe(202)
    } finally {
      await server.close()
    }
    expect(await servingDownloads()).toEqual([])
  })

  it('keeps serving the old version when the new one cannot load, and deletes its download', async () => {
    const name = `swap-broken-${Date.now().toString(36)}`
    await registerSumModelVersions(client, { root, name, versions: [0, 'broken'] })
    await client.registry.setRegisteredModelAlias(name, 'champion', '1')
    const server = await serve(`models:/${name}@champion`)
    try {
      expect(await servingDownloads()).toHaveLength(1)
      await client.registry.setRegisteredModelAlias(name, 'champion', '2')
      await expect(server.refresh()).rejects.toThrow()
      expect(server.model.version).toBe('1')
      expect(await sumOf(server.url)).toBe(2)
      expect(await servingDownloads()).toHaveLength(1)
    } finally {
      await server.close()
    }
    expect(await servingDownloads()).toEqual([])
  })

  it('shuts down cleanly while a swap is under way, deleting every download', async () => {
    const name = `swap-shutdown-${Date.now().toString(36)}`
    await registerSumModelVersions(client, { root, name, versions: [0, 100] })
    await client.registry.setRegisteredModelAlias(name, 'champion', '1')
    const server = await serve(`models:/${name}@champion`)
    await client.registry.setRegisteredModelAlias(name, 'champion', '2')
    const swapping = server.refresh()
    const again = server.refresh()
    await server.close()
    await expect(swapping).resolves.toBeTypeOf('boolean')
    await expect(again).resolves.toBe(false)
    expect(await servingDownloads()).toEqual([])
  })
})
