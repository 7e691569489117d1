import { stat } from 'node:fs/promises'
import type { ArtifactProgress } from '@cairn/sdk'
import { CairnClient } from '@cairn/sdk'
import { downloadArtifacts, logArtifact, logArtifacts } from '@cairn/sdk/node'
import { MultiBar, Presets, type SingleBar } from 'cli-progress'
import { Command, Option } from 'commander'
import { formatTable, toJson } from '../format.js'
import { jsonOption, parseInteger, trackingUriOption } from '../options.js'

interface ClientOptions {
  trackingUri?: string
  progress: boolean
}

function runIdOption(): Option {
  return new Option('-r, --run-id <id>', 'run whose artifacts to use')
    .env('MLFLOW_RUN_ID')
    .makeOptionMandatory()
}

function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return ''
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

/**
 * Progress bars on a terminal (one per file in flight, plus a files total); silent otherwise, so
 * scripts and CI logs stay clean.
 */
function progressReporter(enabled: boolean): {
  onProgress?: (progress: ArtifactProgress) => void
  stop(): void
} {
  if (!enabled || process.stderr.isTTY !== true) return { stop() {} }
  const bars = new MultiBar(
    {
      stream: process.stderr,
      format: '{name} [{bar}] {percentage}% {done}/{size}',
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  )
  const byPath = new Map<string, SingleBar>()
  let files: SingleBar | undefined
  return {
    onProgress(progress) {
      if (progress.filesTotal !== undefined) {
        files ??= bars.create(progress.filesTotal, 0, { name: 'files', done: 0, size: progress.filesTotal })
        files.update(progress.filesDone ?? 0, { done: progress.filesDone ?? 0, size: progress.filesTotal })
      }
      if (progress.totalBytes === undefined) return
      let bar = byPath.get(progress.path)
      if (!bar) {
        bar = bars.create(progress.totalBytes, 0, {
          name: progress.path,
          done: '',
          size: formatBytes(progress.totalBytes),
        })
        byPath.set(progress.path, bar)
      }
      bar.update(progress.bytes, { done: formatBytes(progress.bytes) })
      if (progress.bytes >= progress.totalBytes) {
        bars.remove(bar)
        byPath.delete(progress.path)
      }
    },
    stop() {
      bars.stop()
    },
  }
}

/** `cairn artifacts …`: log, list and download run artifacts through the server's artifact proxy. */
export function artifactsCommand(): Command {
  const artifacts = new Command('artifacts').description("Log, list and download a run's artifacts.")

  artifacts
    .command('log')
    .description('Upload a local file or folder as run artifacts (streamed; folders keep their layout).')
    .argument('<local-path>', 'file or folder to upload')
    .addOption(runIdOption())
    .option('-a, --artifact-path <path>', 'folder inside the run to upload into (default: the root)')
    .option('-j, --concurrency <n>', 'files uploaded at once (default 4)', parseInteger('--concurrency'))
    .option('--no-progress', 'no progress bars (they are only shown on a terminal anyway)')
    .addOption(trackingUriOption())
    .action(
      async (
        localPath: string,
        options: ClientOptions & { runId: string; artifactPath?: string; concurrency?: number },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        const reporter = progressReporter(options.progress)
        try {
          if ((await stat(localPath)).isDirectory()) {
            await logArtifacts(client, options.runId, localPath, {
              artifactPath: options.artifactPath,
              concurrency: options.concurrency,
              onProgress: reporter.onProgress,
            })
          } else {
            await logArtifact(client, options.runId, localPath, {
              artifactPath: options.artifactPath,
              onProgress: reporter.onProgress,
            })
          }
        } finally {
          reporter.stop()
        }
        process.stdout.write(`Logged '${localPath}' to run ${options.runId}.\n`)
      },
    )

  artifacts
    .command('list')
    .description('List the artifacts directly inside a folder of a run (default: its root).')
    .addOption(runIdOption())
    .option('-a, --artifact-path <path>', 'folder inside the run to list')
    .addOption(trackingUriOption())
    .addOption(jsonOption())
    .action(
      async (
        options: Omit<ClientOptions, 'progress'> & { runId: string; artifactPath?: string; json?: boolean },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        const files = await client.artifacts.listArtifacts(options.runId, options.artifactPath)
        if (options.json) {
          process.stdout.write(`${toJson(files)}\n`)
          return
        }
        const rows = files.map((file) => [
          file.isDir ? `${file.path}/` : file.path,
          file.isDir ? '' : formatBytes(file.fileSize),
        ])
        process.stdout.write(`${formatTable(['path', 'size'], rows)}\n`)
      },
    )

  artifacts
    .command('download')
    .description("Download a run's artifact file or folder (default: everything) at its run-relative path.")
    .addOption(runIdOption())
    .option('-a, --artifact-path <path>', 'file or folder inside the run (default: the whole root)')
    .option('-d, --dst-path <dir>', 'local folder to download into (default: the working directory)')
    .option('-j, --concurrency <n>', 'files downloaded at once (default 4)', parseInteger('--concurrency'))
    .option('--no-progress', 'no progress bars (they are only shown on a terminal anyway)')
    .addOption(trackingUriOption())
    .action(
      async (
        options: ClientOptions & {
          runId: string
          artifactPath?: string
          dstPath?: string
          concurrency?: number
        },
      ) => {
        const client = new CairnClient({ trackingUri: options.trackingUri })
        const reporter = progressReporter(options.progress)
        let local: string
        try {
          local = await downloadArtifacts(client, options.runId, {
            artifactPath: options.artifactPath,
            destination: options.dstPath,
            concurrency: options.concurrency,
            onProgress: reporter.onProgress,
          })
        } finally {
          reporter.stop()
        }
        process.stdout.write(`${local}\n`)
      },
    )

  return artifacts
}
