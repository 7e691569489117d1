// Large artifacts through the proxy in constant memory: a 2 GiB upload and download through `cairn server`, to a
// local destination and to S3 (an s3rver on loopback), with the server's RSS sampled all along (limit 150 MB).
// Slow and disk-hungry, so it runs only with CAIRN_LARGE_TESTS=1 (CI sets it); CAIRN_LARGE_ARTIFACT_MB changes the size.
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CairnProcess, sqliteUri, startCairn, tempDir } from './helpers/cairn-process.mjs'
import { HAS_PROC, residentSetBytes, sampleResidentSet } from './helpers/linux-processes.js'
import { type S3rverProcess, startS3rverProcess } from './helpers/s3rver.mjs'

const ENABLED = process.env.CAIRN_LARGE_TESTS === '1'
const SIZE = Number(process.env.CAIRN_LARGE_ARTIFACT_MB ?? 2048) * 1024 * 1024
const RSS_LIMIT = 150_000_000
const BLOCK = randomBytes(1024 * 1024)

/** `size` bytes of a repeated random block, streamed (the test holds 1 MiB whatever the size). */
function body(size: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= size) return this.push(null)
      const chunk = size - sent >= BLOCK.length ? BLOCK : BLOCK.subarray(0, size - sent)
      sent += chunk.length
      this.push(chunk)
    },
  })
}

function digestOf(size: number): string {
  const hash = createHash('sha256')
  for (let sent = 0; sent < size; sent += BLOCK.length)
    hash.update(BLOCK.subarray(0, Math.min(BLOCK.length, size - sent)))
  return hash.digest('hex')
}

function upload(url: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'PUT', headers: { 'content-length': String(size) } },
      (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
      },
    )
    request.on('error', reject)
    pipeline(body(size), request).catch(reject)
  })
}

function download(url: string): Promise<{ status: number; bytes: number; digest: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        const hash = createHash('sha256')
        let bytes = 0
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          hash.update(chunk)
        })
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, bytes, digest: hash.digest('hex') }),
        )
        response.on('error', reject)
      })
      .on('error', reject)
  })
}

describe.skipIf(!ENABLED || !HAS_PROC)('large artifacts through the proxy (CAIRN_LARGE_TESTS=1)', () => {
  let s3: S3rverProcess
  const servers: CairnProcess[] = []
  const folders: string[] = []

  beforeAll(async () => {
    s3 = await startS3rverProcess({ bucket: 'cairn-large' })
  })
  afterAll(async () => {
    for (const server of servers) await server.stop()
    await s3?.close()
    const { rmSync } = await import('node:fs')
    for (const folder of folders) rmSync(folder, { recursive: true, force: true })
  })

  for (const destination of ['local', 's3'] as const) {
    it(
      `moves ${SIZE / 1024 / 1024} MiB up and down with server RSS under 150 MB (${destination} destination)`,
      async () => {
        const folder = tempDir(`cairn-large-${destination}-`)
        folders.push(folder)
        const server = await startCairn({
          backendStoreUri: sqliteUri(path.join(folder, 'cairn.db')),
          env: s3.env,
          extraArgs: [
            '--artifacts-destination',
            destination === 'local' ? path.join(folder, 'artifacts') : `s3://${s3.bucket}/large`,
          ],
        })
        servers.push(server)
        const url = `${server.url}/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/big.bin`
        const idle = residentSetBytes(server.pid) ?? 0
        const sampler = sampleResidentSet(server.pid, 50)
        const uploaded = await upload(url, SIZE)
        const downloaded = await download(url)
        const peak = sampler.stop()
        expect(uploaded, server.logTail()).toBe(200)
        expect(downloaded.status).toBe(200)
        expect(downloaded.bytes).toBe(SIZE)
        expect(downloaded.digest).toBe(digestOf(SIZE))
        process.stderr.write(
          `${destination}: idle RSS ${(idle / 1e6).toFixed(0)} MB, peak ${(peak / 1e6).toFixed(0)} MB\n`,
        )
        expect(peak).toBeLessThan(RSS_LIMIT)
      },
      20 * 60_000,
    )
  }
})
