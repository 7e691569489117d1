// A model server image built with buildah, without a registry or a Docker engine: scripts/make-base-image.sh makes a
// base from this machine's node, `buildImage` builds the iris logistic-regression ONNX model on it, and the server
// runs inside the image with `buildah run` (chroot isolation shares the host's network) and must answer scikit-learn's
// predictions, as uid 10001, from an image of at most 200 MB. Everything lives in a throw-away vfs storage.
// Skipped when buildah is missing, except under CI=true, where that fails.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildProject } from '../../packages/sdk/src/test-support/build-project.js'
import { buildImage, findExecutable, runBuildah } from '../../packages/serving/src/container/index.js'
import { readIrisExpectations, writeIrisModel } from '../../packages/serving/src/test-support/onnx-models.js'
import { freePort, REPO_ROOT } from './helpers/cairn-process.mjs'

const CI = process.env.CI === 'true' || process.env.CI === '1'
const BUILDAH = await findExecutable('buildah')
const MAX_IMAGE_BYTES = 200_000_000
const ID = `${process.pid}-${Date.now().toString(36)}`
const BASE_IMAGE = `localhost/cairn-test-node-base:${ID}`
const IMAGE = `localhost/cairn-test-iris:${ID}`
const run = promisify(execFile)

interface ImageConfig {
  User?: string
  Entrypoint?: string[]
  Cmd?: string[]
  ExposedPorts?: Record<string, unknown>
  Healthcheck?: { Test?: string[] }
}

let work: string
let storageConf: string
const containers: string[] = []
const started: ChildProcess[] = []
const timings: Record<string, number> = {}
const savedEnv = {
  CONTAINERS_STORAGE_CONF: process.env.CONTAINERS_STORAGE_CONF,
  STORAGE_DRIVER: process.env.STORAGE_DRIVER,
  BUILDAH_ISOLATION: process.env.BUILDAH_ISOLATION,
}

async function timed<T>(label: string, task: () => Promise<T>): Promise<T> {
  const start = performance.now()
  try {
    return await task()
  } finally {
    timings[label] = Math.round(performance.now() - start)
  }
}

/** buildah with this test's storage: every call, the script's and buildImage's included, reads the same conf. */
function buildah(args: string[]) {
  return runBuildah(BUILDAH!, args)
}

async function newContainer(image: string): Promise<string> {
  const { stdout } = await buildah(['from', '--pull=never', image])
  const container = stdout.trim().split('\n').pop()!
  containers.push(container)
  return container
}

/** Runs a command in a container as its image's user, on the host's network. */
function runIn(container: string, command: string[]): Promise<string> {
  return buildah(['run', '--isolation', 'chroot', '--network', 'host', container, '--', ...command]).then(
    (result) => result.stdout,
  )
}

async function waitForPing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the server in the image exited (${child.exitCode}):\n${log()}`)
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.status === 200,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`the server in the image did not answer /ping within 60 s:\n${log()}`)
}

describe.skipIf(!BUILDAH && !CI)('model server image built with buildah', () => {
  let built: Awaited<ReturnType<typeof buildImage>>
  let config: ImageConfig

  beforeAll(async () => {
    if (!BUILDAH)
      throw new Error(
        'buildah is not installed, and CI=true does not skip this test (apt-get install buildah)',
      )
    work = await mkdtemp(path.join(tmpdir(), 'cairn-model-image-'))
    storageConf = path.join(work, 'storage.conf')
    await writeFile(
      storageConf,
      `[storage]\ndriver = "vfs"\ngraphroot = "${work}/storage"\nrunroot = "${work}/run"\n`,
    )
    // buildah reads these itself, in this process's children and in the base-image script alike.
    process.env.CONTAINERS_STORAGE_CONF = storageConf
    process.env.STORAGE_DRIVER = 'vfs'
    process.env.BUILDAH_ISOLATION = 'chroot'
    await timed('build packages', () => buildProject(REPO_ROOT, 'packages/serving'))
    await timed('base image', () =>
      run('bash', [path.join(REPO_ROOT, 'scripts/make-base-image.sh'), BASE_IMAGE], { env: process.env }),
    )
    const modelDirectory = path.join(work, 'iris-model')
    await writeIrisModel(modelDirectory)
    await chmod(path.join(modelDirectory, 'model.onnx'), 0o600)
    built = await timed('model image', () =>
      buildImage({
        modelDirectory,
        name: IMAGE,
        baseImage: BASE_IMAGE,
        isolation: 'chroot',
        storageDriver: 'vfs',
      }),
    )
    const { stdout } = await buildah(['inspect', '--type', 'image', IMAGE])
    config = (JSON.parse(stdout) as { Docker: { config: ImageConfig } }).Docker.config
  }, 600_000)

  afterAll(async () => {
    const start = performance.now()
    for (const child of started) if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    if (BUILDAH && work) {
      for (const container of containers) await buildah(['rm', container]).catch(() => {})
      for (const image of [IMAGE, BASE_IMAGE]) await buildah(['rmi', '--force', image]).catch(() => {})
      await rm(work, { recursive: true, force: true })
    }
    timings.cleanup = Math.round(performance.now() - start)
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
    console.log(`model-image timings (ms): ${JSON.stringify(timings)}; image ${built?.imageBytes} bytes`)
  }, 120_000)

  it('builds an image of at most 200 MB that runs as uid 10001 with a health check', async () => {
    expect(built.built).toBe(true)
    expect(built.imageBytes).toBeGreaterThan(50_000_000)
    expect(built.imageBytes).toBeLessThanOrEqual(MAX_IMAGE_BYTES)
    const { stdout } = await buildah(['images', '--format', '{{.Size}}', IMAGE])
    console.log(`image ${IMAGE}: ${stdout.trim()} (${built.imageBytes} bytes of layers)`)

    expect(config.User).toBe('10001:10001')
    expect(config.ExposedPorts).toHaveProperty('8080/tcp')
    expect(config.Healthcheck?.Test?.slice(0, 3)).toEqual(['CMD', 'node', '-e'])
    expect([...(config.Entrypoint ?? []), ...(config.Cmd ?? [])]).toEqual(built.context.command)

    const container = await newContainer(IMAGE)
    const identity = JSON.parse(
      await runIn(container, [
        'node',
        '-e',
        "const fs = require('fs'); const can = (file, mode) => { try { fs.accessSync(file, mode); return true } " +
          'catch { return false } }; console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), ' +
          "model: fs.statSync('/opt/model/MLmodel').uid, app: fs.statSync('/opt/cairn').uid, " +
          "readable: can('/opt/model/model.onnx', fs.constants.R_OK), " +
          "writable: ['/opt/model', '/opt/model/model.onnx', '/opt/cairn', '/opt/cairn/node_modules/@cairn/serving/dist/bin.js']" +
          ".filter((file) => can(file, fs.constants.W_OK)), shell: fs.existsSync('/bin/sh') }))",
      ]),
    ) as Record<string, unknown>
    // The server's user reads the code and the model (model.onnx was 0600 on the host) but owns and changes neither.
    expect(identity).toEqual({
      uid: 10001,
      gid: 10001,
      model: 0,
      app: 0,
      readable: true,
      writable: [],
      shell: false,
    })
  })

  it('serves correct predictions from inside the image', async () => {
    const expected = await readIrisExpectations()
    const container = await newContainer(IMAGE)
    const port = await freePort()
    // The image's own ENTRYPOINT and CMD, on a free port: chroot isolation shares the host's network.
    const command = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])]
    command[command.indexOf('--port') + 1] = String(port)
    let log = ''
    const child = spawn(
      BUILDAH!,
      ['run', '--isolation', 'chroot', '--network', 'host', container, '--', ...command],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    started.push(child)
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
    const url = `http://127.0.0.1:${port}`
    await timed('server start', () => waitForPing(url, child, () => log))

    const response = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputs: expected.rows }),
    })
    const text = await response.text()
    expect(response.status, text).toBe(200)
    const { predictions } = JSON.parse(text) as {
      predictions: { label: number[]; probabilities: number[][] }
    }
    expect(predictions.label).toEqual(expected.labels)
    for (const [index, row] of predictions.probabilities.entries())
      for (const [column, value] of row.entries())
        expect(value).toBeCloseTo(expected.probabilities[index]![column]!, 5)
    const bad = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"inputs": [[1, 2]]}',
    })
    expect(bad.status).toBe(400)

    // The image's health check, aimed at this port, passes while the server is up.
    const probe = config.Healthcheck!.Test!.slice(1).map((word) => word.replace(':8080/', `:${port}/`))
    await expect(runIn(container, probe)).resolves.toBe('')

    process.kill(-child.pid!, 'SIGTERM')
    await new Promise((resolve) => child.once('close', resolve))
  })
})
