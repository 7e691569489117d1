import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { MlflowError } from '@cairn/core'
import {
  type BuildContext,
  type GenerateDockerfileOptions,
  generateDockerfile,
} from './generate-dockerfile.js'

/** Options of {@link buildImage}. */
export interface BuildImageOptions extends Omit<GenerateDockerfileOptions, 'directory'> {
  /** The image name, e.g. `localhost/iris:1`. */
  readonly name: string
  /** The build context; defaults to a temporary folder, removed after a build (kept when there is no buildah). */
  readonly directory?: string
  /** The buildah to run; defaults to `buildah` on PATH. */
  readonly buildah?: string
  /** buildah's `--storage-driver` (e.g. `vfs` where overlay cannot mount); defaults to $STORAGE_DRIVER, then buildah's. */
  readonly storageDriver?: string
  /** buildah's `--isolation` (`chroot` without user namespaces); defaults to $BUILDAH_ISOLATION, then buildah's. */
  readonly isolation?: string
  /** `docker` (default: keeps the HEALTHCHECK) or `oci`. */
  readonly format?: 'docker' | 'oci'
  /** More arguments for `buildah bud`, e.g. `['--platform', 'linux/arm64']`. */
  readonly buildahArgs?: readonly string[]
  /** Receives buildah's output as it comes; by default it is dropped (its end is kept for errors). */
  readonly onOutput?: (chunk: string) => void
}

/** What {@link buildImage} did. */
export interface BuildImageResult {
  readonly context: BuildContext
  /** False when buildah is not installed: `dockerCommand` is what to run instead. */
  readonly built: boolean
  /** The buildah command run, or the docker command to run. */
  readonly command: readonly string[]
  readonly dockerCommand: readonly string[]
  /** The image's size in bytes (its layers, uncompressed) when it was built. */
  readonly imageBytes?: number
  readonly imageId?: string
}

/** The path of an executable on PATH (or the path given, when it has a slash), else undefined. */
export async function findExecutable(command: string): Promise<string | undefined> {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((directory) => path.join(directory, command))
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

/** buildah's global options (before the subcommand): the storage driver. */
function buildahGlobalArgs(options: { readonly storageDriver?: string }): string[] {
  return options.storageDriver ? ['--storage-driver', options.storageDriver] : []
}

interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly output: string
}

/** Runs buildah and collects its output; throws `INTERNAL_ERROR` with the output's end when it fails. */
export function runBuildah(
  buildah: string,
  args: readonly string[],
  onOutput?: (chunk: string) => void,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(buildah, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let output = ''
    const collect = (isStdout: boolean) => (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      if (isStdout) stdout += text
      output = (output + text).slice(-8_000)
      onOutput?.(text)
    }
    child.stdout.on('data', collect(true))
    child.stderr.on('data', collect(false))
    child.on('error', (error) =>
      reject(
        new MlflowError('INTERNAL_ERROR', `Could not run ${buildah}: ${error.message}`, { cause: error }),
      ),
    )
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ code, stdout, output })
      const status = code === null ? `signal ${signal}` : `status ${code}`
      reject(
        new MlflowError(
          'INTERNAL_ERROR',
          `${buildah} ${args.join(' ')} failed with ${status}:\n${output.trim()}`,
        ),
      )
    })
  })
}

/** The size of an image in local storage: the sum of its layers (uncompressed tar bytes) from its manifest. */
async function imageSize(options: {
  readonly buildah: string
  readonly image: string
  readonly storageDriver?: string
}): Promise<{ bytes: number; id: string }> {
  const { stdout } = await runBuildah(options.buildah, [
    ...buildahGlobalArgs(options),
    'inspect',
    '--type',
    'image',
    options.image,
  ])
  const inspected = JSON.parse(stdout) as { FromImageID?: string; Manifest?: string }
  const manifest = JSON.parse(inspected.Manifest ?? '{}') as { layers?: { size?: number }[] }
  const bytes = (manifest.layers ?? []).reduce((total, layer) => total + (layer.size ?? 0), 0)
  return { bytes, id: inspected.FromImageID ?? '' }
}

/**
 * Generates a build context ({@link generateDockerfile}) and builds it with `buildah bud` when buildah is on PATH;
 * otherwise answers the `docker build` command to run on the kept context. buildah reads $STORAGE_DRIVER,
 * $BUILDAH_ISOLATION and $CONTAINERS_STORAGE_CONF itself; the options override them.
 *
 * @example
 * const result = await buildImage({ modelUri: 'models:/iris@champion', name: 'localhost/iris:1', isolation: 'chroot' })
 */
export async function buildImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const buildah = await findExecutable(options.buildah ?? 'buildah')
  const temporary = options.directory === undefined
  const directory = options.directory ?? (await mkdtemp(path.join(tmpdir(), 'cairn-image-')))
  try {
    const context = await generateDockerfile({ ...options, directory })
    const dockerCommand = ['docker', 'build', '-t', options.name, context.directory]
    if (buildah === undefined) return { context, built: false, command: dockerCommand, dockerCommand }

    const storageDriver = options.storageDriver ?? process.env.STORAGE_DRIVER
    const isolation = options.isolation ?? process.env.BUILDAH_ISOLATION
    const command = [
      buildah,
      ...buildahGlobalArgs({ storageDriver }),
      'bud',
      '--format',
      options.format ?? 'docker',
      ...(isolation ? ['--isolation', isolation] : []),
      ...(options.buildahArgs ?? []),
      '--tag',
      options.name,
      '--file',
      context.dockerfile,
      context.directory,
    ]
    await runBuildah(buildah, command.slice(1), options.onOutput)
    const { bytes, id } = await imageSize({ buildah, image: options.name, storageDriver })
    return { context, built: true, command, dockerCommand, imageBytes: bytes, imageId: id }
  } catch (error) {
    if (temporary) await rm(directory, { recursive: true, force: true })
    throw error
  } finally {
    if (temporary && buildah !== undefined) await rm(directory, { recursive: true, force: true })
  }
}
