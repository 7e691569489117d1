import type { ModelVersion, RegisteredModel } from '@cairn/core'
import { CairnClient, MlflowError } from '@cairn/sdk'
import { Command } from 'commander'
import { formatTable, formatTime, toJson } from '../format.js'
import { jsonOption, parseInteger, trackingUriOption } from '../options.js'
import { addImageCommands } from './models-image-commands.js'
import { addServeCommand } from './models-serve-command.js'

interface ClientOptions {
  trackingUri?: string
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

function parseTags(values: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const value of values ?? []) {
    const at = value.indexOf('=')
    if (at <= 0)
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Tag '${value}' is not of the form key=value`)
    tags[value.slice(0, at)] = value.slice(at + 1)
  }
  return tags
}

function versionRows(versions: readonly ModelVersion[]): string[][] {
  return versions.map((version) => [
    version.version,
    version.currentStage,
    version.aliases.join(','),
    formatTime(version.creationTimestamp),
    version.runId ?? '',
    version.source,
  ])
}

const VERSION_HEADERS = ['Version', 'Stage', 'Aliases', 'Created', 'Run ID', 'Source']

function describeModel(model: RegisteredModel, versions: readonly ModelVersion[]): string {
  return [
    formatTable(
      ['Field', 'Value'],
      [
        ['Name', model.name],
        ['Description', model.description ?? ''],
        ['Created', formatTime(model.creationTimestamp)],
        ['Updated', formatTime(model.lastUpdatedTimestamp)],
        ['Tags', model.tags.map((tag) => `${tag.key}=${tag.value}`).join(', ')],
        ['Aliases', model.aliases.map((alias) => `${alias.alias}→${alias.version}`).join(', ')],
      ],
    ),
    formatTable(VERSION_HEADERS, versionRows(versions)),
  ].join('\n')
}

/** `cairn models …`: the model registry through the REST API. */
export function modelsCommand(): Command {
  const models = new Command('models').description(
    'Manage registered models and their versions, serve them, and build their container images.',
  )

  models
    .command('list')
    .description('List registered models by name.')
    .option('--filter <filter>', 'search filter, e.g. "name LIKE \'iris%\'" or "tags.team = \'ml\'"')
    .option('--max-results <n>', 'stop after this many models', parseInteger('--max-results'))
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(async (options: ClientOptions & { filter?: string; maxResults?: number; json?: boolean }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      const found: RegisteredModel[] = []
      for await (const model of client.registry.searchRegisteredModelsAll({
        filter: options.filter,
        maxResults: Math.min(options.maxResults ?? 1000, 1000) || 1,
      })) {
        if (options.maxResults !== undefined && found.length >= options.maxResults) break
        found.push(model)
      }
      if (options.json) return print(toJson(found))
      const rows = found.map((model) => [
        model.name,
        String(Math.max(0, ...model.latestVersions.map((version) => Number(version.version)))),
        model.aliases.map((alias) => `${alias.alias}→${alias.version}`).join(','),
        formatTime(model.lastUpdatedTimestamp),
      ])
      print(formatTable(['Name', 'Latest version', 'Aliases', 'Updated'], rows))
    })

  models
    .command('describe')
    .description('Show a registered model and its versions.')
    .requiredOption('-n, --name <name>', 'registered model')
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(async (options: ClientOptions & { name: string; json?: boolean }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      const model = await client.registry.getRegisteredModel(options.name)
      const filter = `name = '${options.name.replaceAll("'", "\\'")}'`
      const versions = await client.registry
        .searchModelVersionsAll({ filter, orderBy: ['version_number DESC'] })
        .toArray()
      print(options.json ? toJson({ ...model, versions }) : describeModel(model, versions))
    })

  models
    .command('create')
    .description('Create a registered model.')
    .requiredOption('-n, --name <name>', 'name of the new model')
    .option('-d, --description <text>', 'description')
    .option('-t, --tag <key=value...>', 'tags')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { name: string; description?: string; tag?: string[] }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.registry.createRegisteredModel({
        name: options.name,
        description: options.description,
        tags: parseTags(options.tag),
      })
      print(`Registered model '${options.name}' created.`)
    })

  models
    .command('register')
    .description(
      'Register a new version from a source: runs:/<run>/<path>, models:/<model_id>, models:/<name>@<alias> or a URI.',
    )
    .requiredOption('-n, --name <name>', 'registered model (created when missing)')
    .requiredOption('-s, --source <uri>', 'where the model is')
    .option('-r, --run-id <id>', 'run that produced the model (taken from runs:/ sources)')
    .option('-m, --model-id <id>', 'logged model (taken from models:/m-… sources)')
    .option('-d, --description <text>', 'description of the version')
    .option('-t, --tag <key=value...>', 'version tags')
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(
      async (
        options: ClientOptions & {
          name: string
          source: string
          runId?: string
          modelId?: string
          description?: string
          tag?: string[]
          json?: boolean
        },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        await client.registry.createRegisteredModel({ name: options.name }).catch((error: unknown) => {
          if (!(error instanceof MlflowError) || error.code !== 'RESOURCE_ALREADY_EXISTS') throw error
        })
        const runId = options.runId ?? /^runs:\/+([^/]+)/.exec(options.source)?.[1]
        const modelId = options.modelId ?? /^models:\/+(m-[0-9a-f]{32})\/?$/.exec(options.source)?.[1]
        const version = await client.registry.createModelVersion({
          name: options.name,
          source: options.source,
          runId,
          modelId,
          description: options.description,
          tags: parseTags(options.tag),
        })
        print(
          options.json ? toJson(version) : `Created version ${version.version} of model '${options.name}'.`,
        )
      },
    )

  const alias = models.command('alias').description('Set or delete an alias of a registered model.')
  alias
    .command('set')
    .description('Point an alias at a version.')
    .requiredOption('-n, --name <name>', 'registered model')
    .requiredOption('-a, --alias <alias>', 'alias, e.g. champion')
    .requiredOption('-v, --version <version>', 'version number')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { name: string; alias: string; version: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.registry.setRegisteredModelAlias(options.name, options.alias, options.version)
      print(`Alias '${options.alias}' of '${options.name}' points to version ${options.version}.`)
    })
  alias
    .command('delete')
    .description('Delete an alias.')
    .requiredOption('-n, --name <name>', 'registered model')
    .requiredOption('-a, --alias <alias>', 'alias to delete')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { name: string; alias: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.registry.deleteRegisteredModelAlias(options.name, options.alias)
      print(`Alias '${options.alias}' of '${options.name}' deleted.`)
    })

  models
    .command('stage')
    .description('Move a version to a stage: None, Staging, Production or Archived.')
    .requiredOption('-n, --name <name>', 'registered model')
    .requiredOption('-v, --version <version>', 'version number')
    .requiredOption('-s, --stage <stage>', 'target stage')
    .option('--archive-existing', 'archive the other versions in that stage (Staging/Production only)')
    .addOption(trackingUriOption())
    .action(
      async (
        options: ClientOptions & { name: string; version: string; stage: string; archiveExisting?: boolean },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        const version = await client.registry.transitionModelVersionStage({
          name: options.name,
          version: options.version,
          stage: options.stage,
          archiveExistingVersions: options.archiveExisting ?? false,
        })
        print(`Version ${version.version} of '${options.name}' is now in stage ${version.currentStage}.`)
      },
    )

  models
    .command('delete')
    .description('Delete a registered model with all its versions, or one version with --version.')
    .requiredOption('-n, --name <name>', 'registered model')
    .option('-v, --version <version>', 'delete only this version')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { name: string; version?: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      if (options.version !== undefined) {
        await client.registry.deleteModelVersion(options.name, options.version)
        print(`Version ${options.version} of '${options.name}' deleted.`)
      } else {
        await client.registry.deleteRegisteredModel(options.name)
        print(`Registered model '${options.name}' deleted.`)
      }
    })

  addServeCommand(models)
  addImageCommands(models)
  return models
}
