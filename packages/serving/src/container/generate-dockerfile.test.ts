import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { MlflowError } from '@cairn/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildProject } from '../../../sdk/src/test-support/build-project.js'
import { type IrisExpectations, readIrisExpectations, writeIrisModel } from '../test-support/onnx-models.js'
import { buildImage } from './build-image.js'
import { DEFAULT_BASE_IMAGE, IMAGE_SERVER_ENTRY, renderDockerfile } from './dockerfile.js'
import { type BuildContext, generateDockerfile } from './generate-dockerfile.js'

const REPO = fileURLToPath(new URL('../../../..', import.meta.url))

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
}

/** Starts the bundled server with this machine's node, from a folder outside the repository's node_modules. */
async function startBundledServer(context: BuildContext): Promise<{ url: string; child: ChildProcess }> {
  const entry = path.join(context.directory, 'app', path.relative('/opt/cairn', IMAGE_SERVER_ENTRY))
  const child = spawn(
    process.execPath,
    [entry, '--model-dir', path.join(context.directory, 'model'), '--host', '127.0.0.1', '--port', '0'],
    { cwd: context.directory, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let log = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bundled server did not start:\n${log}`)), 20_000)
    const read = (chunk: Buffer) => {
      log += chunk.toString()
      const found = /at (http:\/\/[^\s]+)/.exec(log)
      if (found) {
        clearTimeout(timer)
        resolve(found[1]!.replace(/\/$/, ''))
      }
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the bundled server exited with ${code}:\n${log}`))
    })
  })
  return { url, child }
}

let work: string
let modelDirectory: string
let expected: IrisExpectations

beforeAll(async () => {
  await buildProject(REPO, 'packages/serving')
  work = await mkdtemp(path.join(tmpdir(), 'cairn-dockerfile-'))
  modelDirectory = path.join(work, 'iris-model')
  await writeIrisModel(modelDirectory)
  // mlflow.onnx writes external data readable by its owner only; the image's user must still read it.
  await chmod(path.join(modelDirectory, 'model.onnx'), 0o600)
  expected = await readIrisExpectations()
}, 180_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('generateDockerfile', () => {
  let context: BuildContext

  beforeAll(async () => {
    context = await generateDockerfile({ modelDirectory, directory: path.join(work, 'context') })
  }, 60_000)

  it('writes a Dockerfile without RUN steps that runs the server as a numeric non-root user', async () => {
    const dockerfile = await readFile(context.dockerfile, 'utf8')
    const instructions = dockerfile.split('\n').filter((line) => line && !line.startsWith('#'))
    expect(instructions.map((line) => line.split(' ')[0])).toEqual([
      'FROM',
      'LABEL',
      'ENV',
      'COPY',
      'COPY',
      'USER',
      'EXPOSE',
      'HEALTHCHECK',
      'ENTRYPOINT',
      'CMD',
    ])
    expect(instructions[0]).toBe(`FROM ${DEFAULT_BASE_IMAGE}`)
    // Root owns the code and the model: the server's user can read them but not change them.
    expect(instructions).toContain('COPY app /opt/cairn')
    expect(instructions).toContain('COPY model /opt/model')
    expect(dockerfile).not.toContain('--chown')
    expect(instructions).toContain('USER 10001:10001')
    expect(instructions).toContain('EXPOSE 8080')
    const exec = (keyword: string) =>
      JSON.parse(
        instructions
          .find((line) => line.startsWith(keyword))!
          .replace(/^(HEALTHCHECK .*? CMD|ENTRYPOINT|CMD) /, ''),
      ) as string[]
    expect(exec('HEALTHCHECK').slice(0, 2)).toEqual(['node', '-e'])
    expect(exec('HEALTHCHECK')[2]).toContain('http://127.0.0.1:8080/ping')
    expect(exec('ENTRYPOINT')).toEqual(['node', IMAGE_SERVER_ENTRY])
    expect(exec('CMD')).toEqual(['--model-dir', '/opt/model', '--host', '0.0.0.0', '--port', '8080'])
    expect(context.command).toEqual([...exec('ENTRYPOINT'), ...exec('CMD')])
  })

  it('bundles the serving packages and their production dependencies only', async () => {
    const names = context.packages.map((bundled) => bundled.name).sort()
    expect(names).toEqual(
      expect.arrayContaining([
        '@cairn/core',
        '@cairn/models',
        '@cairn/sdk',
        '@cairn/serving',
        'onnxruntime-common',
        'onnxruntime-node',
        'yaml',
        'zod',
      ]),
    )
    for (const unwanted of [
      'better-sqlite3',
      '@cairn/server',
      '@cairn/store',
      'adm-zip',
      'global-agent',
      'typescript',
    ])
      expect(names).not.toContain(unwanted)
    const files = await filesUnder(path.join(context.directory, 'app'))
    expect(files.filter((file) => /\.(ts|map)$/.test(file) && !file.endsWith('.d.ts'))).toEqual([])
    expect(files.filter((file) => file.endsWith('.d.ts'))).toEqual([])
    const binaries = files.filter((file) => file.includes(`onnxruntime-node${path.sep}bin${path.sep}`))
    expect(binaries.sort()).toEqual([
      path.join('node_modules/onnxruntime-node/bin/napi-v6/linux', context.arch, 'libonnxruntime.so.1'),
      path.join('node_modules/onnxruntime-node/bin/napi-v6/linux', context.arch, 'onnxruntime_binding.node'),
    ])
    expect(files).toContain(path.join('node_modules/@cairn/serving/dist/bin.js'))
    expect(files.some((file) => file.includes(`${path.sep}src${path.sep}`) && file.includes('@cairn'))).toBe(
      false,
    )
    // onnxruntime's native library is most of it; the rest is a few MB.
    expect(context.appBytes).toBeLessThan(60_000_000)
    expect(context.modelBytes).toBeLessThan(10_000)
    expect(existsSync(path.join(context.directory, 'model', 'MLmodel'))).toBe(true)
  })

  it('makes every file of the context readable by all, keeping executables executable', async () => {
    for (const part of ['app', 'model']) {
      const entries = await readdir(path.join(context.directory, part), {
        withFileTypes: true,
        recursive: true,
      })
      for (const entry of entries) {
        if (entry.isSymbolicLink()) continue
        const { mode } = await stat(path.join(entry.parentPath, entry.name))
        const wanted = entry.isDirectory() ? 0o555 : 0o444
        expect(mode & wanted, `${entry.name} ${(mode & 0o777).toString(8)}`).toBe(wanted)
      }
    }
    expect((await stat(path.join(context.directory, 'model', 'model.onnx'))).mode & 0o777).toBe(0o644)
  })

  it('keeps credentials and query tokens of the model URI out of the Dockerfile', () => {
    const dockerfile = renderDockerfile({
      baseImage: 'node:20-slim',
      port: 8080,
      nodeCommand: 'node',
      modelUri: 'https://alice:s3cret@artifacts.example.com/models/iris?X-Amz-Signature=abc123#frag',
    })
    expect(dockerfile).not.toMatch(/alice|s3cret|abc123|Signature|frag/)
    expect(dockerfile).toContain('https://artifacts.example.com/models/iris')
    const alias = renderDockerfile({
      baseImage: 'b',
      port: 1,
      nodeCommand: 'node',
      modelUri: 'models:/iris@champion',
    })
    expect(alias).toContain('ai.cairn.model-uri="models:/iris@champion"')
  })

  it('gives a bundle that serves the model with nothing from the repository', async () => {
    const { url, child } = await startBundledServer(context)
    try {
      expect((await fetch(`${url}/ping`)).status).toBe(200)
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: expected.rows }),
      })
      const body = (await response.json()) as { predictions: { label: number[]; probabilities: number[][] } }
      expect(response.status).toBe(200)
      expect(body.predictions.label).toEqual(expected.labels)
      for (const [index, row] of body.predictions.probabilities.entries())
        for (const [column, value] of row.entries())
          expect(value).toBeCloseTo(expected.probabilities[index]![column]!, 5)
    } finally {
      child.kill('SIGTERM')
    }
  })

  it('downloads a model URI, and takes the base image, port and node command', async () => {
    const directory = path.join(work, 'from-uri')
    const generated = await generateDockerfile({
      modelUri: pathToFileURL(modelDirectory).href,
      directory,
      baseImage: 'localhost/cairn-node-base:20',
      port: 9000,
      nodeCommand: '/nodejs/bin/node',
    })
    const dockerfile = await readFile(generated.dockerfile, 'utf8')
    expect(dockerfile).toContain('FROM localhost/cairn-node-base:20\n')
    expect(dockerfile).toContain('EXPOSE 9000\n')
    expect(dockerfile).toContain(`ENTRYPOINT ["/nodejs/bin/node","${IMAGE_SERVER_ENTRY}"]`)
    expect(dockerfile).toContain('"--port","9000"]')
    expect(dockerfile).toContain('http://127.0.0.1:9000/ping')
    expect(await readdir(directory)).toEqual(expect.arrayContaining(['Dockerfile', 'app', 'model']))
    expect(await readdir(directory)).not.toContain('model.download')
    expect(await readFile(path.join(directory, 'model', 'model.onnx'))).toEqual(
      await readFile(path.join(modelDirectory, 'model.onnx')),
    )
  })

  it('copies the model folder itself when given a symlink to it, leaving the source untouched', async () => {
    const link = path.join(work, 'iris-link')
    await symlink(modelDirectory, link)
    const generated = await generateDockerfile({
      modelDirectory: link,
      directory: path.join(work, 'via-link'),
    })
    const model = path.join(generated.directory, 'model')
    expect((await lstat(model)).isDirectory()).toBe(true)
    expect(await readFile(path.join(model, 'model.onnx'))).toEqual(
      await readFile(path.join(modelDirectory, 'model.onnx')),
    )
    // Only the context's copy is made readable by all; the user's model keeps its modes.
    expect((await stat(path.join(modelDirectory, 'model.onnx'))).mode & 0o777).toBe(0o600)
  })

  it('leaves no partial download behind when a model URI cannot be downloaded, so a retry can reuse the folder', async () => {
    const directory = path.join(work, 'failed-download')
    const missing = pathToFileURL(path.join(work, 'no-such-model')).href
    await expect(generateDockerfile({ modelUri: missing, directory })).rejects.toThrow()
    expect(existsSync(directory) ? await readdir(directory) : []).toEqual([])
    const retried = await generateDockerfile({ modelDirectory, directory })
    expect(existsSync(retried.dockerfile)).toBe(true)
  })

  it('refuses a non-empty directory, a folder without MLmodel and a missing or double model source', async () => {
    const rejects = async (promise: Promise<unknown>, message: RegExp) => {
      const error = await promise.then(
        () => undefined,
        (caught: unknown) => caught,
      )
      expect(error).toBeInstanceOf(MlflowError)
      expect((error as MlflowError).code).toBe('INVALID_PARAMETER_VALUE')
      expect((error as MlflowError).message).toMatch(message)
    }
    await rejects(generateDockerfile({ modelDirectory, directory: context.directory }), /is not empty/)
    const notAModel = path.join(work, 'not-a-model')
    await mkdir(notAModel)
    await writeFile(path.join(notAModel, 'README'), 'hello')
    await rejects(
      generateDockerfile({ modelDirectory: notAModel, directory: path.join(work, 'bad-model') }),
      /has no MLmodel/,
    )
    await rejects(generateDockerfile({ directory: path.join(work, 'no-model') }), /exactly one/)
    await rejects(
      generateDockerfile({
        modelDirectory,
        modelUri: 'models:/x/1',
        directory: path.join(work, 'two-models'),
      }),
      /exactly one/,
    )
    await rejects(
      generateDockerfile({ modelDirectory, directory: path.join(work, 'bad-port'), port: 70_000 }),
      /Port/,
    )
  })
})

describe('buildImage', () => {
  it('keeps the build context and answers the docker command when buildah is not installed', async () => {
    const result = await buildImage({
      modelDirectory,
      name: 'localhost/iris:test',
      buildah: path.join(work, 'no-such-buildah'),
    })
    expect(result.built).toBe(false)
    expect(result.imageBytes).toBeUndefined()
    expect(result.dockerCommand).toEqual([
      'docker',
      'build',
      '-t',
      'localhost/iris:test',
      result.context.directory,
    ])
    expect(existsSync(result.context.dockerfile)).toBe(true)
    await rm(result.context.directory, { recursive: true, force: true })
  })
})
