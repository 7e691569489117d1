import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildProject } from '../../../sdk/src/test-support/build-project.js'
import { addImageCommands } from './models-image-commands.js'

const REPO = fileURLToPath(new URL('../../../..', import.meta.url))
const FIXTURES = path.join(REPO, 'packages/models/src/flavors/onnx/__fixtures__')

let work: string
let modelDirectory: string

/** Runs `models <args>` through commander in this process and answers what it printed. */
async function models(args: string[]): Promise<string> {
  const command = new Command('models').exitOverride()
  addImageCommands(command)
  for (const child of command.commands) child.exitOverride()
  let printed = ''
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += chunk.toString()
    return true
  })
  try {
    await command.parseAsync(args, { from: 'user' })
  } finally {
    write.mockRestore()
  }
  return printed
}

beforeAll(async () => {
  await buildProject(REPO, 'packages/serving')
  work = await mkdtemp(path.join(tmpdir(), 'cairn-cli-image-'))
  modelDirectory = path.join(work, 'iris')
  await mkdir(modelDirectory)
  await copyFile(path.join(FIXTURES, 'iris-logreg.onnx'), path.join(modelDirectory, 'model.onnx'))
  await writeFile(
    path.join(modelDirectory, 'MLmodel'),
    'flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.23.2\nmodel_uuid: 0123456789abcdef0123456789abcdef\n',
  )
}, 180_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('cairn models generate-dockerfile', () => {
  it('writes the build context for a local model folder with the given base image and port', async () => {
    const directory = path.join(work, 'context')
    const printed = await models([
      'generate-dockerfile',
      '-m',
      modelDirectory,
      '-d',
      directory,
      '--base-image',
      'localhost/cairn-node-base:20',
      '--port',
      '9090',
    ])
    expect(printed).toContain(`Build context: ${directory}`)
    expect(printed).toContain(`docker build -t NAME ${directory}`)
    expect((await readdir(directory)).sort()).toEqual(['.dockerignore', 'Dockerfile', 'app', 'model'])
    const dockerfile = await readFile(path.join(directory, 'Dockerfile'), 'utf8')
    expect(dockerfile).toContain('FROM localhost/cairn-node-base:20\n')
    expect(dockerfile).toContain('EXPOSE 9090\n')
    expect(dockerfile).toContain('USER 10001:10001\n')
    expect(dockerfile).not.toMatch(/^RUN /m)
    expect(existsSync(path.join(directory, 'model', 'MLmodel'))).toBe(true)
  })

  it('fails with the MLflow error for a non-empty output directory', async () => {
    const directory = path.join(work, 'occupied')
    await mkdir(directory)
    await writeFile(path.join(directory, 'keep.txt'), 'mine')
    await expect(models(['generate-dockerfile', '-m', modelDirectory, '-d', directory])).rejects.toThrow(
      /is not empty/,
    )
    expect(await readdir(directory)).toEqual(['keep.txt'])
  })
})

describe('cairn models build-image', () => {
  const path0 = process.env.PATH
  afterEach(() => {
    process.env.PATH = path0
  })

  it('prints the Dockerfile path and the docker command when buildah is not on PATH', async () => {
    process.env.PATH = path.join(work, 'empty-bin')
    const directory = path.join(work, 'no-buildah')
    const printed = await models([
      'build-image',
      '-m',
      modelDirectory,
      '-n',
      'localhost/iris:1',
      '-d',
      directory,
    ])
    expect(printed).toContain('buildah is not installed')
    expect(printed).toContain(`Dockerfile  ${path.join(directory, 'Dockerfile')}`)
    expect(printed).toContain(`docker build -t localhost/iris:1 ${directory}`)
    expect(existsSync(path.join(directory, 'Dockerfile'))).toBe(true)
  })

  it('refuses an unknown image format and CPU', async () => {
    await expect(models(['build-image', '-m', modelDirectory, '-n', 'x', '--format', 'tar'])).rejects.toThrow(
      /Allowed choices are docker, oci/,
    )
    await expect(models(['build-image', '-m', modelDirectory, '-n', 'x', '--arch', 'ia32'])).rejects.toThrow(
      /Allowed choices are x64, arm64/,
    )
  })
})
