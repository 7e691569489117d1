import { existsSync, statSync } from 'node:fs'
import { MlflowError } from '@cairn/core'
import { CairnClient } from '@cairn/sdk'
import {
  type BuildContext,
  buildImage,
  DEFAULT_BASE_IMAGE,
  DEFAULT_IMAGE_PORT,
  type GenerateDockerfileOptions,
  generateDockerfile,
  type ImageArch,
  ModelSource,
} from '@cairn/serving'
import { type Command, Option } from 'commander'
import { parseInteger, trackingUriOption } from '../options.js'

interface ImageCommandOptions {
  modelUri: string
  baseImage?: string
  port: number
  arch?: ImageArch
  nodeCommand?: string
  trackingUri?: string
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}

/**
 * A `-m` that `cairn models serve` would read from disk (a path or a `file:` URI, see
 * {@link ModelSource.localDirectoryOf}) is copied; anything else is a URI the SDK downloads.
 */
function modelSource(options: ImageCommandOptions): Omit<GenerateDockerfileOptions, 'directory'> {
  const common = {
    baseImage: options.baseImage,
    port: options.port,
    arch: options.arch,
    nodeCommand: options.nodeCommand,
  }
  const uri = options.modelUri
  const directory = ModelSource.localDirectoryOf(uri)
  if (directory === undefined)
    return { ...common, modelUri: uri, client: new CairnClient({ trackingUri: options.trackingUri }) }
  if (!(existsSync(directory) && statSync(directory).isDirectory()))
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Model directory '${directory}' does not exist`)
  return { ...common, modelDirectory: directory }
}

function describeContext(context: BuildContext): string {
  return [
    `Build context: ${context.directory}`,
    `  Dockerfile  ${context.dockerfile}`,
    `  base image  ${context.baseImage}`,
    `  app/        ${megabytes(context.appBytes)} (${context.packages.length} packages, onnxruntime for linux/${context.arch})`,
    `  model/      ${megabytes(context.modelBytes)}`,
    `  runs        ${context.command.join(' ')} as ${context.user}, port ${context.port}`,
  ].join('\n')
}

function addCommonOptions(command: Command): Command {
  return command
    .requiredOption(
      '-m, --model-uri <uri>',
      'models:/name@alias, models:/name/N, runs:/<id>/path, models:/m-<id>, a file: URI or a local model folder',
    )
    .option('--base-image <image>', `base image with Node.js 20 (default ${DEFAULT_BASE_IMAGE})`)
    .addOption(
      new Option('-p, --port <port>', 'port the server listens on in the image')
        .default(DEFAULT_IMAGE_PORT)
        .argParser(parseInteger('--port')),
    )
    .addOption(
      new Option(
        '--arch <arch>',
        "CPU of the image (onnxruntime's binary kept); default this machine's",
      ).choices(['x64', 'arm64']),
    )
    .option(
      '--node-command <path>',
      "the base image's node, if not `node` on its PATH (distroless: /nodejs/bin/node)",
    )
    .addOption(trackingUriOption())
}

/**
 * `cairn models generate-dockerfile` and `cairn models build-image`: a small OCI image serving one model
 * (Node.js, the scoring server and the model; no build tools, non-root user, health check), built with buildah
 * where installed.
 */
export function addImageCommands(models: Command): void {
  addCommonOptions(
    models
      .command('generate-dockerfile')
      .description('Write a build context (Dockerfile, app/, model/) for an image that serves a model.'),
  )
    .requiredOption('-d, --output-directory <dir>', 'folder to create (absent or empty)')
    .action(async (options: ImageCommandOptions & { outputDirectory: string }) => {
      const context = await generateDockerfile({
        ...modelSource(options),
        directory: options.outputDirectory,
      })
      print(describeContext(context))
      print(`Build it with: docker build -t NAME ${context.directory}`)
      print(`           or: buildah bud --format docker -t NAME ${context.directory}`)
    })

  addCommonOptions(
    models
      .command('build-image')
      .description(
        'Build an image that serves a model, with buildah when installed; otherwise write the build context and print the docker command.',
      ),
  )
    .requiredOption('-n, --name <name>', 'image name, e.g. localhost/iris:1')
    .option('-d, --output-directory <dir>', 'keep the build context here (default: a temporary folder)')
    .option(
      '--storage-driver <driver>',
      "buildah's storage driver, e.g. vfs (default $STORAGE_DRIVER or buildah's)",
    )
    .option(
      '--isolation <kind>',
      "buildah's isolation, e.g. chroot (default $BUILDAH_ISOLATION or buildah's)",
    )
    .addOption(
      new Option('--format <format>', 'image format; docker keeps the HEALTHCHECK')
        .choices(['docker', 'oci'])
        .default('docker'),
    )
    .option('--buildah-arg <arg...>', 'extra arguments for `buildah bud`, e.g. --buildah-arg=--pull=never')
    .action(
      async (
        options: ImageCommandOptions & {
          name: string
          outputDirectory?: string
          storageDriver?: string
          isolation?: string
          format: 'docker' | 'oci'
          buildahArg?: string[]
        },
      ) => {
        const result = await buildImage({
          ...modelSource(options),
          name: options.name,
          directory: options.outputDirectory,
          storageDriver: options.storageDriver,
          isolation: options.isolation,
          format: options.format,
          buildahArgs: options.buildahArg,
          onOutput: (chunk) => process.stderr.write(chunk),
        })
        if (!result.built) {
          print(describeContext(result.context))
          print('buildah is not installed; build the image with:')
          print(`  ${result.dockerCommand.join(' ')}`)
          return
        }
        print(
          `Built image ${options.name} (${result.imageId?.slice(0, 12)}): ${megabytes(result.imageBytes ?? 0)}`,
        )
        print(`Run it with: docker run -p ${result.context.port}:${result.context.port} ${options.name}`)
      },
    )
}
