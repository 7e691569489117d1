import type { Experiment, ViewType } from '@cairn/core'
import { CairnClient } from '@cairn/sdk'
import { Command } from 'commander'
import { formatTable, formatTime, toJson } from '../format.js'
import { jsonOption, parseInteger, trackingUriOption, viewOption } from '../options.js'

interface ClientOptions {
  trackingUri?: string
}

/** `cairn experiments …`: create, list, rename, delete and restore experiments through the REST API. */
export function experimentsCommand(): Command {
  const experiments = new Command('experiments').description('Manage experiments on a tracking server.')

  experiments
    .command('create')
    .description('Create an experiment and print its id.')
    .requiredOption('-n, --experiment-name <name>', 'name of the new experiment')
    .option('-l, --artifact-location <uri>', 'artifact root of its runs (default: the server decides)')
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(
      async (
        options: ClientOptions & { experimentName: string; artifactLocation?: string; json?: boolean },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        const experimentId = await client.createExperiment({
          name: options.experimentName,
          artifactLocation: options.artifactLocation,
        })
        if (options.json) print(toJson({ experimentId }))
        else print(`Created experiment '${options.experimentName}' with id ${experimentId}`)
      },
    )

  experiments
    .command('list')
    .alias('search')
    .description('List experiments.')
    .addOption(viewOption())
    .option('--filter <filter>', 'search filter, e.g. "name LIKE \'fraud%\'"')
    .option('--order-by <clause...>', "ordering, e.g. 'name ASC'")
    .option('--max-results <n>', 'stop after this many experiments', parseInteger('--max-results'))
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(
      async (
        options: ClientOptions & {
          view: string
          filter?: string
          orderBy?: string[]
          maxResults?: number
          json?: boolean
        },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        const found: Experiment[] = []
        for await (const experiment of client.searchExperimentsAll({
          viewType: options.view.toUpperCase() as ViewType,
          filter: options.filter,
          orderBy: options.orderBy,
          maxResults: Math.min(options.maxResults ?? 1000, 1000) || 1,
        })) {
          if (options.maxResults !== undefined && found.length >= options.maxResults) break
          found.push(experiment)
        }
        if (options.json) {
          print(toJson(found))
          return
        }
        const rows = found.map((experiment) => [
          experiment.experimentId,
          experiment.name,
          experiment.lifecycleStage,
          formatTime(experiment.creationTime),
          experiment.artifactLocation,
        ])
        print(formatTable(['Experiment Id', 'Name', 'Stage', 'Created', 'Artifact Location'], rows))
      },
    )

  experiments
    .command('rename')
    .description('Rename an active experiment.')
    .requiredOption('-x, --experiment-id <id>', 'experiment to rename')
    .requiredOption('--new-name <name>', 'its new name')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { experimentId: string; newName: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.updateExperiment({ experimentId: options.experimentId, newName: options.newName })
      print(`Experiment with id ${options.experimentId} renamed to '${options.newName}'.`)
    })

  experiments
    .command('delete')
    .description('Mark an experiment and its runs as deleted (restorable until `cairn gc`).')
    .requiredOption('-x, --experiment-id <id>', 'experiment to delete')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { experimentId: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.deleteExperiment(options.experimentId)
      print(`Experiment with id ${options.experimentId} has been deleted.`)
    })

  experiments
    .command('restore')
    .description('Restore a deleted experiment and its runs.')
    .requiredOption('-x, --experiment-id <id>', 'experiment to restore')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { experimentId: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.restoreExperiment(options.experimentId)
      print(`Experiment with id ${options.experimentId} has been restored.`)
    })

  return experiments
}

function print(text: string): void {
  process.stdout.write(`${text}\n`)
}
