#!/usr/bin/env node
// Artifact bench: proxy upload and download of one large file through Cairn and through `mlflow server
// --serve-artifacts`, side by side with a plain local copy of the same file, and listing a run with 10,000
// artifacts. Every figure is the median of --repeats runs; server RSS is sampled throughout.
//
//   node bench/artifacts.mjs [--size-mb 1024] [--repeats 3] [--files 10000] [--servers cairn,mlflow] [--work-dir /tmp]
//
// Needs a build (`npx tsc -b`) and, for MLflow, `.venv/bin/mlflow`.
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { copyFile, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { RssSampler } from './lib/rss.mjs'
import { cairnCommand, freePort, mlflowCommand, startServer } from './lib/servers.mjs'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    repeats: { type: 'string', default: '3' },
    files: { type: 'string', default: '10000' },
    servers: { type: 'string', default: 'cairn,mlflow,bare-pipe' },
    'page-size': { type: 'string', default: '1000' },
    'work-dir': { type: 'string', default: os.tmpdir() },
  },
})
const SIZE = Number(values['size-mb']) * 1024 * 1024
const REPEATS = Number(values.repeats)
const FILES = Number(values.files)
const PAGE_SIZE = Number(values['page-size'])
const SERVERS = values.servers.split(',')
const CHUNK = 1024 * 1024

const log = (line) => process.stderr.write(`${line}\n`)
const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]
const mbPerSecond = (bytes, ms) => bytes / 1024 / 1024 / (ms / 1000)

async function timed(work) {
  const started = process.hrtime.bigint()
  await work()
  return Number(process.hrtime.bigint() - started) / 1e6
}

async function repeat(name, work) {
  const times = []
  for (let i = 0; i < REPEATS; i++) times.push(await timed(() => work(i)))
  const ms = median(times)
  log(`  ${name}: median ${ms.toFixed(0)} ms of ${times.map((t) => t.toFixed(0)).join(', ')}`)
  return ms
}

function request(url, { method = 'GET', body, headers = {}, sink } = {}) {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method, headers, agent: false }, (response) => {
      if (sink) {
        pipeline(response, sink).then(() => resolve({ status: response.statusCode }), reject)
        return
      }
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () =>
        resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString() }),
      )
      response.on('error', reject)
    })
    outgoing.on('error', reject)
    if (body && typeof body.pipe === 'function') pipeline(body, outgoing).catch(reject)
    else outgoing.end(body)
  })
}

async function post(base, route, body) {
  const response = await request(`${base}${route}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })
  if (response.status !== 200) throw new Error(`${route}: ${response.status} ${response.text}`)
  return JSON.parse(response.text)
}

async function newRun(base, name) {
  const { experiment_id: experimentId } = await post(base, '/api/2.0/mlflow/experiments/create', { name })
  const { run } = await post(base, '/api/2.0/mlflow/runs/create', { experiment_id: experimentId })
  return run.info
}

/**
 * Upload and download through every server's proxy, each repetition next to a plain copy of the same file
 * (fs.copyFile and a stream copy) and with the servers in alternating order, so page-cache, write-back and machine
 * load hit the baselines and every server alike.
 */
async function benchTransfers(servers, source, work) {
  const times = { copyFile: [], streamCopy: [] }
  const urls = {}
  for (const server of servers) {
    times[`${server.name} upload`] = []
    times[`${server.name} download`] = []
    if (server.name === 'bare-pipe') {
      urls[server.name] = (i) => `${server.baseUrl}/big-${i}.bin`
      continue
    }
    const info = await newRun(server.baseUrl, `bench-transfer-${Date.now()}`)
    const root = info.artifact_uri.replace(/^mlflow-artifacts:/, '').replace(/^\/+/, '')
    urls[server.name] = (i) => `${server.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${root}/big-${i}.bin`
  }
  for (let i = 0; i < REPEATS; i++) {
    const copy = path.join(work, `copy-${i}.bin`)
    times.copyFile.push(await timed(() => copyFile(source, copy)))
    await rm(copy)
    times.streamCopy.push(
      await timed(() =>
        pipeline(
          createReadStream(source, { highWaterMark: CHUNK }),
          createWriteStream(copy, { highWaterMark: CHUNK }),
        ),
      ),
    )
    await rm(copy)
    for (const server of i % 2 === 0 ? servers : [...servers].reverse()) {
      const fileUrl = urls[server.name](i)
      times[`${server.name} upload`].push(
        await timed(async () => {
          const response = await request(fileUrl, {
            method: 'PUT',
            body: createReadStream(source, { highWaterMark: CHUNK }),
            headers: { 'content-length': String(SIZE), 'content-type': 'application/octet-stream' },
          })
          if (response.status !== 200) throw new Error(`upload: ${response.status} ${response.text}`)
        }),
      )
      const target = path.join(work, `download-${server.name}-${i}.bin`)
      times[`${server.name} download`].push(
        await timed(async () => {
          const response = await request(fileUrl, {
            sink: createWriteStream(target, { highWaterMark: CHUNK }),
          })
          if (response.status !== 200) throw new Error(`download: ${response.status}`)
        }),
      )
      if ((await stat(target)).size !== SIZE) throw new Error('download: size mismatch')
      await rm(target)
      // Keeps the disk (and the page cache) from filling up with copies across repetitions.
      await request(fileUrl, { method: 'DELETE' })
    }
  }
  const medians = {}
  for (const [name, list] of Object.entries(times)) {
    medians[name] = median(list)
    log(`  ${name}: median ${medians[name].toFixed(0)} ms of ${list.map((t) => t.toFixed(0)).join(', ')}`)
  }
  return medians
}

async function benchListing(server) {
  const info = await newRun(server.baseUrl, `bench-list-${Date.now()}`)
  // Files are written straight into the run's folder of the destination: the bench measures listing, not 10,000 uploads.
  const folder = path.join(
    server.destination,
    info.artifact_uri.replace(/^mlflow-artifacts:/, '').replace(/^\/+/, ''),
    'many',
  )
  mkdirSync(folder, { recursive: true })
  for (let i = 0; i < FILES; i++)
    writeFileSync(path.join(folder, `file-${String(i).padStart(5, '0')}.txt`), 'x')
  const base = `${server.baseUrl}/api/2.0/mlflow/artifacts/list?run_id=${info.run_id}&path=many`
  const full = await repeat(`${server.name} list all ${FILES}`, async () => {
    const response = await request(base)
    const files = JSON.parse(response.text).files ?? []
    if (files.length !== FILES) throw new Error(`listing returned ${files.length} files`)
  })
  let page
  if (server.name === 'cairn') {
    page = await repeat(`${server.name} list page of ${PAGE_SIZE}`, async () => {
      let token = ''
      let pages = 0
      const started = Date.now()
      do {
        const response = await request(
          `${base}&max_results=${PAGE_SIZE}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
        )
        const body = JSON.parse(response.text)
        token = body.next_page_token ?? ''
        pages++
      } while (token)
      if (pages !== Math.ceil(FILES / PAGE_SIZE))
        throw new Error(`${pages} pages after ${Date.now() - started} ms`)
    })
    page /= Math.ceil(FILES / PAGE_SIZE)
  }
  return { listAllMs: full, listPageMs: page }
}

async function main() {
  const work = path.join(values['work-dir'], `cairn-bench-artifacts-${process.pid}`)
  mkdirSync(work, { recursive: true })
  const source = path.join(work, 'source.bin')
  log(`writing a ${SIZE / 1024 / 1024} MiB random file`)
  const block = randomBytes(CHUNK)
  const out = createWriteStream(source)
  for (let written = 0; written < SIZE; written += CHUNK) {
    if (!out.write(block)) await new Promise((resolve) => out.once('drain', resolve))
  }
  await new Promise((resolve) => out.end(resolve))

  const result = { sizeBytes: SIZE, repeats: REPEATS, files: FILES, node: process.version, servers: {} }
  const sampler = new RssSampler({ intervalMs: 50 })
  const servers = []
  try {
    for (const name of SERVERS) {
      const dir = path.join(work, name)
      mkdirSync(dir, { recursive: true })
      const port = await freePort()
      const destination = path.join(dir, 'artifacts')
      if (name === 'bare-pipe') {
        const spec = {
          command: process.execPath,
          args: [
            path.join(REPO, 'bench/lib/bare-pipe-server.mjs'),
            '--dir',
            path.join(dir, 'files'),
            '--port',
            String(port),
          ],
        }
        servers.push(await startServer({ name, ...spec, cwd: dir }))
        continue
      }
      const spec =
        name === 'mlflow'
          ? mlflowCommand({ repoRoot: REPO, dir, port, workers: 1 })
          : cairnCommand({ cairnRoot: REPO, backendUri: `sqlite:///${path.join(dir, 'cairn.db')}`, port })
      spec.args.push('--artifacts-destination', destination)
      if (name === 'mlflow') {
        if (!existsSync(spec.command)) {
          log('no .venv/bin/mlflow: MLflow skipped')
          continue
        }
        // Proxied artifacts: the default root must be mlflow-artifacts:/ (drop the bench's local root).
        const at = spec.args.indexOf('--default-artifact-root')
        spec.args.splice(at, 2, '--serve-artifacts')
      }
      log(`starting ${name}`)
      const server = await startServer({ name, ...spec, cwd: dir })
      server.destination = destination
      servers.push(server)
      sampler.track(name, server.pid)
    }
    sampler.label('idle')
    await new Promise((resolve) => setTimeout(resolve, 500))
    sampler.label('transfer')
    const transfers = await benchTransfers(servers, source, work)
    result.copyFileMs = transfers.copyFile
    result.streamCopyMs = transfers.streamCopy
    result.loadAverage = os.loadavg()
    sampler.label('listing')
    for (const server of servers) {
      const listing = server.name === 'bare-pipe' ? { listAllMs: Number.NaN } : await benchListing(server)
      const uploadMs = transfers[`${server.name} upload`]
      const downloadMs = transfers[`${server.name} download`]
      result.servers[server.name] = {
        uploadMs,
        downloadMs,
        ...listing,
        uploadMBps: mbPerSecond(SIZE, uploadMs),
        downloadMBps: mbPerSecond(SIZE, downloadMs),
      }
    }
    const rss = await sampler.report()
    for (const server of servers) {
      Object.assign(result.servers[server.name], {
        idleRssMB: (rss[server.name]?.idle?.maxKb ?? 0) / 1024,
        transferPeakRssMB: (rss[server.name]?.transfer?.maxKb ?? 0) / 1024,
      })
    }
  } finally {
    for (const server of servers) {
      if (server.name !== 'bare-pipe') sampler.untrack(server.name)
      await server.stop()
      server.client.close()
    }
  }

  const lines = [
    `file ${SIZE / 1024 / 1024} MiB, medians of ${REPEATS}, load average ${result.loadAverage.map((load) => load.toFixed(1)).join(' ')}`,
    `plain copy beside the transfers: fs.copyFile ${mbPerSecond(SIZE, result.copyFileMs).toFixed(0)} MB/s, stream copy ${mbPerSecond(SIZE, result.streamCopyMs).toFixed(0)} MB/s`,
  ]
  for (const [name, figures] of Object.entries(result.servers)) {
    lines.push(
      `${name}: upload ${figures.uploadMBps.toFixed(0)} MB/s (${((result.streamCopyMs / figures.uploadMs) * 100).toFixed(0)}% of stream copy, ${((result.copyFileMs / figures.uploadMs) * 100).toFixed(0)}% of copyFile), ` +
        `download ${figures.downloadMBps.toFixed(0)} MB/s (${((result.streamCopyMs / figures.downloadMs) * 100).toFixed(0)}%, ${((result.copyFileMs / figures.downloadMs) * 100).toFixed(0)}%), ` +
        `list ${FILES} ${figures.listAllMs.toFixed(0)} ms${figures.listPageMs ? `, per page of ${PAGE_SIZE} ${figures.listPageMs.toFixed(1)} ms` : ''}, ` +
        `RSS idle ${figures.idleRssMB.toFixed(0)} MB, peak during transfers ${figures.transferPeakRssMB.toFixed(0)} MB`,
    )
  }
  const cairn = result.servers.cairn
  const mlflow = result.servers.mlflow
  const pipe = result.servers['bare-pipe']
  if (cairn && pipe) {
    lines.push(
      `cairn vs a bare Node HTTP pipe (the HTTP hop alone): upload ${((pipe.uploadMs / cairn.uploadMs) * 100).toFixed(0)}%, download ${((pipe.downloadMs / cairn.downloadMs) * 100).toFixed(0)}%`,
    )
  }
  if (cairn && mlflow) {
    lines.push(
      `cairn vs mlflow: upload ${(mlflow.uploadMs / cairn.uploadMs).toFixed(1)}×, download ${(mlflow.downloadMs / cairn.downloadMs).toFixed(1)}×, list ${(mlflow.listAllMs / cairn.listAllMs).toFixed(1)}×`,
    )
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n\n${lines.join('\n')}\n`)
  rmSync(work, { recursive: true, force: true })
}

await main()
