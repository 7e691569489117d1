import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { RunningServer } from '../start-server.js'
import { startServer } from '../start-server.js'

const folder = mkdtempSync(path.join(tmpdir(), 'cairn-artifact-streams-'))
const destination = path.join(folder, 'artifacts')
let server: RunningServer

beforeAll(async () => {
  mkdirSync(path.join(destination, 'big'), { recursive: true })
  writeFileSync(path.join(destination, 'big', 'file.bin'), Buffer.alloc(16 * 1024 * 1024))
  server = await startServer({
    port: 0,
    backendStoreUri: `sqlite:///${path.join(folder, 'cairn.db')}`,
    artifactsDestination: destination,
    handleSignals: false,
  })
})

afterAll(async () => {
  await server?.close()
  rmSync(folder, { recursive: true, force: true })
})

function openDescriptorsOf(file: string): number {
  let count = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++
    } catch {}
  }
  return count
}

it('closes the artifact file when the client disconnects mid-download', async () => {
  const file = path.join(destination, 'big', 'file.bin')
  const { hostname, port } = new URL(server.url)
  await new Promise<void>((resolve, reject) => {
    const request = http.get(
      { host: hostname, port, path: '/api/2.0/mlflow-artifacts/artifacts/big/file.bin' },
      (response) => {
        expect(response.statusCode).toBe(200)
        response.on('error', () => undefined)
        response.once('data', () => {
          request.destroy()
          resolve()
        })
      },
    )
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error)
    })
  })
  const deadline = Date.now() + 3000
  while (openDescriptorsOf(file) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  expect(openDescriptorsOf(file)).toBe(0)
})
