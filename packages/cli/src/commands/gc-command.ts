import { rm } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openArtifactRepository, openDestinationRepository } from '@cairn/artifacts'
import { MlflowError } from '@cairn/core'
import { createTrackingStore, type TrackingStore } from '@cairn/store'
import { SingleBar } from 'cli-progress'
import { Command } from 'commander'
import { parseDuration } from '../parse-duration.js'

interface GcOptions {
  backendStoreUri?: string
  artifactsDestination?: string
  olderThan?: string
  experimentIds?: string
  runIds?: string
  progress: boolean
}

/**
 * `cairn gc`: permanently deletes runs and experiments in the `deleted` stage, with their local
 * artifacts, reading the backend store directly (like `mlflow gc`).
 */
export function gcCommand(): Command {
  return new Command('gc')
    .description(
      'Permanently delete runs and experiments in the `deleted` lifecycle stage, with their artifacts.',
    )
    .option(
      '--backend-store-uri <uri>',
      'backend store to clean (default $CAIRN_BACKEND_STORE_URI, $MLFLOW_BACKEND_STORE_URI or sqlite:///./cairn-data/cairn.db, as `cairn server`)',
    )
    .option(
      '--artifacts-destination <uri>',
      'where the server keeps proxied (mlflow-artifacts:/) artifacts, to delete them too (default as `cairn server`)',
    )
    .option('--older-than <age>', "only what was deleted longer ago than this, e.g. '30d', '1d2h3m4s'")
    .option(
      '--experiment-ids <ids>',
      'comma-separated deleted experiments to remove with all their runs (default: all deleted ones)',
    )
    .option('--run-ids <ids>', 'comma-separated deleted runs to remove (default: all deleted ones)')
    .option('--no-progress', 'no progress bar (it is only shown on a terminal anyway)')
    .action(async (options: GcOptions) => {
      const olderThan = options.olderThan !== undefined ? parseDuration(options.olderThan) : undefined
      const backendStoreUri =
        options.backendStoreUri ??
        env('CAIRN_BACKEND_STORE_URI') ??
        env('MLFLOW_BACKEND_STORE_URI') ??
        `sqlite:///${resolve('cairn-data', 'cairn.db')}`
      const artifactsDestination =
        options.artifactsDestination ??
        env('CAIRN_ARTIFACTS_DESTINATION') ??
        env('MLFLOW_ARTIFACTS_DESTINATION') ??
        resolve('cairn-data', 'artifacts')
      const store = await createTrackingStore(backendStoreUri, { defaultArtifactRoot: artifactsDestination })
      try {
        await collectGarbage(store, { ...options, artifactsDestination, olderThan })
      } finally {
        await store.close()
      }
    })
}

async function collectGarbage(
  store: TrackingStore,
  options: Omit<GcOptions, 'olderThan'> & { olderThan?: number },
): Promise<void> {
  const { olderThan } = options
  const threshold = Date.now() - (olderThan ?? 0)
  const oldEnough = new Set(await store.listDeletedRunIds(olderThan !== undefined ? { olderThan } : {}))
  const runIds = new Set(options.runIds ? splitIds(options.runIds) : oldEnough)

  let experimentIds: string[]
  if (options.experimentIds) {
    experimentIds = splitIds(options.experimentIds)
    const experiments = await Promise.all(experimentIds.map((id) => store.getExperiment(id)))
    const active = experiments.filter((experiment) => experiment.lifecycleStage !== 'deleted')
    if (active.length > 0) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Experiments ${list(active.map((experiment) => experiment.experimentId))} are not in the deleted lifecycle stage. Only experiments in the deleted lifecycle stage can be hard-deleted.`,
      )
    }
    if (olderThan !== undefined) {
      const recent = experiments.filter((experiment) => experiment.lastUpdateTime >= threshold)
      if (recent.length > 0) {
        throw new MlflowError(
          'INVALID_PARAMETER_VALUE',
          `Experiments ${list(recent.map((experiment) => experiment.experimentId))} are not older than the required age. Only experiments older than ${options.olderThan} can be deleted.`,
        )
      }
    }
  } else {
    experimentIds = []
    for (const id of await store.listDeletedExperimentIds()) {
      if (olderThan === undefined || (await store.getExperiment(id)).lastUpdateTime < threshold)
        experimentIds.push(id)
    }
  }
  if (experimentIds.length > 0) {
    for (const id of await store.listDeletedRunIds({ experimentIds })) runIds.add(id)
  }

  // Check everything before deleting anything, so a refusal leaves the store untouched.
  const artifactUris = new Map<string, string>()
  for (const runId of runIds) {
    const info = await store.getRunInfo(runId)
    if (info.lifecycleStage !== 'deleted') {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Run ${runId} is not in \`deleted\` lifecycle stage. Only runs in \`deleted\` lifecycle stage can be deleted.`,
      )
    }
    if (olderThan !== undefined && !oldEnough.has(runId)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Run ${runId} is not older than the required age. Only runs older than ${options.olderThan} can be deleted.`,
      )
    }
    artifactUris.set(runId, info.artifactUri)
  }

  const showBar = options.progress && process.stderr.isTTY === true
  const bar = showBar
    ? new SingleBar({
        stream: process.stderr,
        format: 'gc [{bar}] {value}/{total} {item}',
        hideCursor: true,
        clearOnComplete: false,
      })
    : undefined
  bar?.start(runIds.size + experimentIds.length, 0, { item: '' })
  const report = (line: string) => {
    if (!bar) process.stdout.write(`${line}\n`)
  }
  const warn = (line: string) => {
    if (bar) bar.update({ item: line })
    else process.stderr.write(`Warning: ${line}\n`)
  }
  try {
    for (const [runId, artifactUri] of artifactUris) {
      const removed = await deleteRunArtifacts(artifactUri, options.artifactsDestination)
      if (!removed && artifactUri)
        warn(
          `artifacts of run ${runId} at '${artifactUri}' were left in place (${removed === false ? 'unsupported location' : 'no destination'})`,
        )
      await store.purgeRun(runId)
      bar?.increment({ item: `run ${runId}` })
      report(`Run with ID ${runId} has been permanently deleted.`)
    }
    for (const experimentId of experimentIds) {
      await store.purgeExperiment(experimentId)
      bar?.increment({ item: `experiment ${experimentId}` })
      report(`Experiment with ID ${experimentId} has been permanently deleted.`)
    }
  } finally {
    bar?.stop()
  }
  if (bar) {
    process.stdout.write(
      `Permanently deleted ${runIds.size} run${runIds.size === 1 ? '' : 's'} and ${experimentIds.length} experiment${experimentIds.length === 1 ? '' : 's'}.\n`,
    )
  }
}

/**
 * Deletes a purged run's artifacts wherever they live: a local folder, S3 (`s3://…`, with the
 * standard AWS settings and `MLFLOW_S3_ENDPOINT_URL`) or the server's destination for
 * `mlflow-artifacts:` roots. Answers false for a location it cannot reach (e.g. another scheme),
 * undefined for a proxied root without a known destination.
 */
async function deleteRunArtifacts(
  uri: string,
  artifactsDestination: string | undefined,
): Promise<boolean | undefined> {
  if (!uri) return true
  const local = localArtifactPath(uri, artifactsDestination)
  if (local) {
    await rm(local, { recursive: true, force: true })
    return true
  }
  if (/^mlflow-artifacts:/i.test(uri) && !artifactsDestination) return undefined
  try {
    const repository = await openArtifactRepository(uri, {
      proxiedDestination: artifactsDestination
        ? await openDestinationRepository(artifactsDestination)
        : undefined,
    })
    await repository.delete('')
    return true
  } catch (error) {
    if (error instanceof MlflowError && error.code === 'INVALID_PARAMETER_VALUE') return false
    throw error
  }
}

/** The local directory of an artifact URI, or undefined when it is remote or cannot be resolved. */
export function localArtifactPath(uri: string, artifactsDestination: string | undefined): string | undefined {
  if (uri.startsWith('file:')) return fileURLToPath(uri)
  if (uri.startsWith('mlflow-artifacts:')) {
    if (!artifactsDestination) return undefined
    const base = artifactsDestination.startsWith('file:')
      ? fileURLToPath(artifactsDestination)
      : artifactsDestination
    if (/^[a-z][a-z0-9+.-]*:/i.test(base)) return undefined
    const relative = uri.replace(/^mlflow-artifacts:(\/\/[^/]*)?/, '').replace(/^\/+/, '')
    return join(resolve(base), relative)
  }
  if (isAbsolute(uri)) return uri
  return undefined
}

function env(name: string): string | undefined {
  const value = process.env[name]
  return value === undefined || value === '' ? undefined : value
}

function splitIds(text: string): string[] {
  return text
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '')
}

function list(ids: string[]): string {
  return `[${ids.map((id) => `'${id}'`).join(', ')}]`
}
