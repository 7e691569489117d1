import { readFile, stat } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import type { RunStatus } from '@cairn/core'
import { TAG_GIT_COMMIT, TAG_SOURCE_NAME, TAG_SOURCE_TYPE, TAG_USER } from '@cairn/core'
import type { RunMonitor } from './active-run.js'
import { SystemMetricsMonitor } from './system-metrics.js'

/** A tracker as the exit hooks see it. */
export interface ExitAware {
  readonly busy: boolean
  shutdown(status: RunStatus): Promise<void>
}

/** The Node-only services the fluent layer loads on demand (never in browsers). */
export interface NodeRuntime {
  resolveSystemTags(): Promise<Record<string, string>>
  registerExitHooks(tracker: ExitAware): void
  startSystemMetrics(options: {
    intervalSeconds: number
    nodeId?: string
    onSample: (metrics: Record<string, number>, step: number) => void
  }): RunMonitor
}

/**
 * The system tags MLflow's Python client sets on new runs: `mlflow.user` (the OS user),
 * `mlflow.source.name` (the entry script), `mlflow.source.type` (`LOCAL`) and, when the script
 * lives in a git checkout, `mlflow.source.git.commit` (read from `.git` without spawning git).
 */
export async function resolveSystemTags(): Promise<Record<string, string>> {
  const tags: Record<string, string> = { [TAG_SOURCE_TYPE]: 'LOCAL' }
  const user = currentUser()
  if (user) tags[TAG_USER] = user
  const script = process.argv[1]
  tags[TAG_SOURCE_NAME] = script ?? process.argv0
  const commit = await readGitCommit(script ? dirname(resolve(script)) : process.cwd())
  if (commit) tags[TAG_GIT_COMMIT] = commit
  return tags
}

function currentUser(): string | undefined {
  // Same order as Python's getpass.getuser(), which MLflow uses.
  for (const name of ['LOGNAME', 'USER', 'LNAME', 'USERNAME']) {
    const value = process.env[name]
    if (value) return value
  }
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}

/** The commit checked out in the git repository containing `directory`, if any. */
export async function readGitCommit(directory: string): Promise<string | undefined> {
  const gitDir = await findGitDir(directory)
  if (!gitDir) return undefined
  try {
    const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim()
    if (/^[0-9a-f]{40,64}$/.test(head)) return head
    const ref = /^ref:\s*(\S+)$/.exec(head)?.[1]
    if (!ref) return undefined
    const commonDir = await readFile(join(gitDir, 'commondir'), 'utf8')
      .then((text) => resolve(gitDir, text.trim()))
      .catch(() => gitDir)
    for (const base of [gitDir, commonDir]) {
      const hash = await readFile(join(base, ref), 'utf8').catch(() => undefined)
      if (hash && /^[0-9a-f]{40,64}$/.test(hash.trim())) return hash.trim()
    }
    const packed = await readFile(join(commonDir, 'packed-refs'), 'utf8').catch(() => '')
    for (const line of packed.split('\n')) {
      const [hash, name] = line.trim().split(' ')
      if (name === ref && hash && /^[0-9a-f]{40,64}$/.test(hash)) return hash
    }
  } catch {
    return undefined
  }
  return undefined
}

async function findGitDir(start: string): Promise<string | undefined> {
  let directory = start
  for (;;) {
    const candidate = join(directory, '.git')
    const info = await stat(candidate).catch(() => undefined)
    if (info?.isDirectory()) return candidate
    if (info?.isFile()) {
      const pointer = /^gitdir:\s*(.+)$/m.exec(await readFile(candidate, 'utf8'))?.[1]?.trim()
      if (pointer) return isAbsolute(pointer) ? pointer : resolve(directory, pointer)
    }
    const parent = dirname(directory)
    if (parent === directory) return undefined
    directory = parent
  }
}

const trackers = new Set<ExitAware>()
let hooksInstalled = false
let exitAttempts = 0
const SIGNAL_FLUSH_TIMEOUT_MS = 5000

/**
 * Flushes queued writes and ends active runs when the process is about to exit: on `beforeExit`
 * runs end FINISHED (as MLflow's `atexit` hook does); on SIGINT/SIGTERM they end KILLED within
 * 5 seconds, then the signal is raised again. Failures are printed and set a non-zero exit code.
 */
export function registerExitHooks(tracker: ExitAware): void {
  trackers.add(tracker)
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('beforeExit', onBeforeExit)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
}

function onBeforeExit(): void {
  const busy = [...trackers].filter((tracker) => tracker.busy)
  // Each round sends work, so `beforeExit` comes again; stop if the work never drains.
  if (busy.length === 0 || exitAttempts >= 3) return
  exitAttempts++
  void shutdownAll(busy, 'FINISHED')
}

function onSignal(signal: NodeJS.Signals): void {
  const busy = [...trackers].filter((tracker) => tracker.busy)
  const timeout = new Promise<void>((resolveTimeout) =>
    setTimeout(resolveTimeout, SIGNAL_FLUSH_TIMEOUT_MS).unref(),
  )
  void Promise.race([shutdownAll(busy, 'KILLED'), timeout]).then(() => {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  })
}

async function shutdownAll(busy: ExitAware[], status: RunStatus): Promise<void> {
  const results = await Promise.allSettled(busy.map((tracker) => tracker.shutdown(status)))
  for (const result of results) {
    if (result.status === 'rejected') {
      const error = result.reason as Error
      process.stderr.write(`cairn: failed to flush run data before exit: ${error.message ?? String(error)}\n`)
      if (!process.exitCode) process.exitCode = 1
    }
  }
}

/** Starts a `SystemMetricsMonitor` for a run. */
export function startSystemMetrics(options: Parameters<NodeRuntime['startSystemMetrics']>[0]): RunMonitor {
  const monitor = new SystemMetricsMonitor(options)
  monitor.start()
  return monitor
}

/** The runtime object the fluent layer imports dynamically. */
export const nodeRuntime: NodeRuntime = { resolveSystemTags, registerExitHooks, startSystemMetrics }
