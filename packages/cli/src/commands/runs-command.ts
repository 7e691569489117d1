import type { Run, ViewType } from '@cairn/core'
import { CairnClient } from '@cairn/sdk'
import { Command, Option } from 'commander'
import { formatTable, formatTime, toJson } from '../format.js'
import { jsonOption, parseInteger, trackingUriOption, viewOption } from '../options.js'

interface ClientOptions {
  trackingUri?: string
}

/** `cairn runs …`: list, describe, delete and restore runs through the REST API. */
export function runsCommand(): Command {
  const runs = new Command('runs').description('Manage runs on a tracking server.')

  runs
    .command('list')
    .description('List the runs of an experiment, newest first.')
    .addOption(
      new Option('-x, --experiment-id <id>', 'experiment whose runs to list')
        .env('MLFLOW_EXPERIMENT_ID')
        .makeOptionMandatory(),
    )
    .addOption(viewOption())
    .option('--filter <filter>', 'search filter, e.g. "metrics.rmse < 1 AND params.model = \'tree\'"')
    .option('--order-by <clause...>', "ordering, e.g. 'metrics.rmse ASC'")
    .option('--max-results <n>', 'stop after this many runs', parseInteger('--max-results'))
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(
      async (
        options: ClientOptions & {
          experimentId: string
          view: string
          filter?: string
          orderBy?: string[]
          maxResults?: number
          json?: boolean
        },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        const found: Run[] = []
        for await (const run of client.searchRunsAll({
          experimentIds: [options.experimentId],
          runViewType: options.view.toUpperCase() as ViewType,
          filter: options.filter,
          orderBy: options.orderBy,
          maxResults: Math.min(options.maxResults ?? 1000, 1000) || 1,
        })) {
          if (options.maxResults !== undefined && found.length >= options.maxResults) break
          found.push(run)
        }
        if (options.json) {
          print(toJson(found))
          return
        }
        const rows = found.map(({ info }) => [
          formatTime(info.startTime),
          info.runName,
          info.runId,
          info.status,
          info.lifecycleStage,
        ])
        print(formatTable(['Date', 'Name', 'ID', 'Status', 'Stage'], rows))
      },
    )

  runs
    .command('describe')
    .description('Show a run: its info, params, latest metrics and tags.')
    .requiredOption('-r, --run-id <id>', 'run to describe')
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(async (options: ClientOptions & { runId: string; json?: boolean }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      const run = await client.getRun(options.runId)
      print(options.json ? toJson(run) : describeRun(run))
    })

  runs
    .command('delete')
    .description('Mark a run as deleted (restorable until `cairn gc`).')
    .requiredOption('-r, --run-id <id>', 'run to delete')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { runId: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.deleteRun(options.runId)
      print(`Run with id ${options.runId} has been deleted.`)
    })

  runs
    .command('restore')
    .description('Restore a deleted run.')
    .requiredOption('-r, --run-id <id>', 'run to restore')
    .addOption(trackingUriOption())
    .action(async (options: ClientOptions & { runId: string }) => {
      const client = new CairnClient({ trackingUri: options.trackingUri })
      await client.restoreRun(options.runId)
      print(`Run with id ${options.runId} has been restored.`)
    })

  return runs
}

function describeRun(run: Run): string {
  const { info, data } = run
  const sections = [
    formatTable(
      ['Field', 'Value'],
      [
        ['Run ID', info.runId],
        ['Name', info.runName],
        ['Experiment ID', info.experimentId],
        ['User', info.userId],
        ['Status', info.status],
        ['Stage', info.lifecycleStage],
        ['Started', formatTime(info.startTime)],
        ['Ended', formatTime(info.endTime)],
        ['Artifact URI', info.artifactUri],
      ],
    ),
  ]
  if (data.params.length > 0) {
    sections.push(
      formatTable(
        ['Param', 'Value'],
        data.params.map((param) => [param.key, param.value]),
      ),
    )
  }
  if (data.metrics.length > 0) {
    sections.push(
      formatTable(
        ['Metric', 'Value', 'Step', 'Time'],
        data.metrics.map((metric) => [
          metric.key,
          String(metric.value),
          String(metric.step),
          formatTime(metric.timestamp),
        ]),
      ),
    )
  }
  if (data.tags.length > 0) {
    sections.push(
      formatTable(
        ['Tag', 'Value'],
        data.tags.map((tag) => [tag.key, tag.value.replace(/\n/g, '\\n')]),
      ),
    )
  }
  return sections.join('\n\n')
}

function print(text: string): void {
  process.stdout.write(`${text}\n`)
}
