import { existsSync } from 'node:fs'
import { chmod, cp, lstat, mkdir, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { MlflowError } from '@cairn/core'
import { CairnClient } from '@cairn/sdk'
import { downloadModel } from '@cairn/sdk/node'
import {
  DEFAULT_BASE_IMAGE,
  DEFAULT_IMAGE_PORT,
  IMAGE_USER,
  imageCommand,
  renderDockerfile,
} from './dockerfile.js'
import { type BundledPackage, copyServingRuntime, directorySize, type ImageArch } from './runtime-bundle.js'

/** Options of {@link generateDockerfile}. Give exactly one of `modelUri` and `modelDirectory`. */
export interface GenerateDockerfileOptions {
  /** A model URI the SDK downloads: `runs:/…`, `models:/name/1`, `models:/name@alias`, `models:/m-…`, a `file:` URI. */
  readonly modelUri?: string
  /** A local model folder (the one holding `MLmodel`), copied instead of downloaded. */
  readonly modelDirectory?: string
  /** The build context to create; it must be absent or empty. */
  readonly directory: string
  /** Defaults to {@link DEFAULT_BASE_IMAGE}; any image with Node.js 20 works, a shell is not needed. */
  readonly baseImage?: string
  /** The port inside the image; defaults to 8080. */
  readonly port?: number
  /** The client that downloads `modelUri`; defaults to one for $CAIRN_TRACKING_URI / $MLFLOW_TRACKING_URI. */
  readonly client?: CairnClient
  /** The CPU the image is for (the onnxruntime binary kept); defaults to this machine's. */
  readonly arch?: ImageArch
  /** The `node` of the base image; defaults to `node` on its PATH (distroless images: `/nodejs/bin/node`). */
  readonly nodeCommand?: string
}

/** A generated build context. */
export interface BuildContext {
  readonly directory: string
  readonly dockerfile: string
  readonly baseImage: string
  readonly port: number
  readonly arch: ImageArch
  /** What the image runs: ENTRYPOINT then CMD. */
  readonly command: readonly string[]
  readonly user: string
  /** The packages in `app/node_modules`. */
  readonly packages: readonly BundledPackage[]
  /** Bytes of `app/` and `model/`: what the image adds to its base. */
  readonly appBytes: number
  readonly modelBytes: number
}

function defaultArch(): ImageArch {
  if (process.arch === 'x64' || process.arch === 'arm64') return process.arch
  throw new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `No onnxruntime binary for '${process.arch}': pass arch x64 or arm64`,
  )
}

async function prepareDirectory(directory: string): Promise<void> {
  if (existsSync(directory) && (await readdir(directory)).length > 0)
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Directory '${directory}' is not empty`)
  await mkdir(directory, { recursive: true })
}

async function placeModel(options: GenerateDockerfileOptions, target: string): Promise<void> {
  if (options.modelDirectory !== undefined) {
    // The folder's real path: cp copies a symlink given as its source as a link, which would dangle in the image.
    const given = path.resolve(options.modelDirectory)
    const source = await realpath(given).catch(() => given)
    await cp(source, target, { recursive: true, verbatimSymlinks: true })
  } else {
    // A runs:/ URI can answer a subfolder of the download: download beside the target, then move the model in.
    const staging = `${target}.download`
    const client = options.client ?? new CairnClient()
    const downloaded = await downloadModel(client, options.modelUri!, staging)
    await rename(downloaded, target)
    await rm(staging, { recursive: true, force: true })
  }
  if (!existsSync(path.join(target, 'MLmodel'))) {
    const source = options.modelDirectory ?? options.modelUri
    throw new MlflowError('INVALID_PARAMETER_VALUE', `'${source}' is not a model: it has no MLmodel file`)
  }
}

/**
 * Gives everyone read permission on every file and folder (and execute where the owner has it, plus on folders), and
 * nobody but the owner write permission: the image copies them owned by root, and its non-root user must read them
 * (MLflow writes some model files 0600) but not change them.
 */
async function makeReadableByAll(directory: string): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true })
  for (const target of [directory, ...entries.map((entry) => path.join(entry.parentPath, entry.name))]) {
    const info = await lstat(target)
    if (info.isSymbolicLink()) continue
    const executable = info.isDirectory() || (info.mode & 0o100) !== 0
    await chmod(target, (info.mode & 0o7755) | 0o444 | (executable ? 0o111 : 0))
  }
}

/**
 * Writes a build context for a model server image: `model/` (the model, downloaded with the SDK or copied),
 * `app/` (the scoring server's built code and production dependencies, with onnxruntime's binary for one Linux
 * CPU only) and a `Dockerfile` (no RUN step, numeric non-root user, HEALTHCHECK on /ping).
 *
 * @example
 * const context = await generateDockerfile({ modelUri: 'models:/iris@champion', directory: 'iris-image' })
 * // docker build -t iris iris-image
 */
export async function generateDockerfile(options: GenerateDockerfileOptions): Promise<BuildContext> {
  if ((options.modelUri === undefined) === (options.modelDirectory === undefined))
    throw new MlflowError('INVALID_PARAMETER_VALUE', 'Give exactly one of a model URI and a model directory')
  const port = options.port ?? DEFAULT_IMAGE_PORT
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Port ${port} is not between 1 and 65535`)
  const directory = path.resolve(options.directory)
  const arch = options.arch ?? defaultArch()
  const baseImage = options.baseImage ?? DEFAULT_BASE_IMAGE
  const nodeCommand = options.nodeCommand ?? 'node'
  const { entrypoint, cmd } = imageCommand(nodeCommand, port)

  await prepareDirectory(directory)
  const modelDirectory = path.join(directory, 'model')
  const appDirectory = path.join(directory, 'app')
  const dockerfile = path.join(directory, 'Dockerfile')
  let packages: BundledPackage[]
  try {
    await placeModel(options, modelDirectory)
    packages = await copyServingRuntime({ destination: appDirectory, arch })
    await makeReadableByAll(modelDirectory)
    await makeReadableByAll(appDirectory)
    await writeFile(
      dockerfile,
      renderDockerfile({
        baseImage,
        port,
        nodeCommand,
        modelUri: options.modelUri ?? options.modelDirectory,
      }),
    )
    await writeFile(path.join(directory, '.dockerignore'), '*\n!app\n!model\n')
  } catch (error) {
    // The folder was empty: empty it again, so that running the command once more does not find it "not empty".
    for (const entry of await readdir(directory))
      await rm(path.join(directory, entry), { recursive: true, force: true })
    throw error
  }
  return {
    directory,
    dockerfile,
    baseImage,
    port,
    arch,
    command: [...entrypoint, ...cmd],
    user: IMAGE_USER,
    packages,
    appBytes: await directorySize(appDirectory),
    modelBytes: await directorySize(modelDirectory),
  }
}
