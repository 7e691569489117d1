// Starts Cairn server processes from the built CLI, for the process-level tests and scripts/test.mjs.
// Plain JavaScript so that scripts/test.mjs can use it without a build step; types in cairn-process.d.mts.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const CLI_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'dist', 'bin.js')

const live = new Set()
let exitHookInstalled = false

function installExitHook() {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // A server left behind by a crashed test run would hold its port and database: end each one we started.
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL')
  })
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {}
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** MLflow-style URI for an SQLite file: `sqlite:////abs/path.db`. */
export function sqliteUri(file) {
  return `sqlite:///${path.resolve(file)}`
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'cairn-test-') {
  return mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function assertCliBuilt() {
  if (!existsSync(CLI_BIN)) {
    throw new Error(`${CLI_BIN} is missing: build first with \`npx tsc -b\` (npm test does this)`)
  }
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

async function waitUntilHealthy(url, child, logFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let lastError = 'no answer'
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Cairn server exited (${child.exitCode ?? child.signalCode}) before it was ready; log:\n${tail(logFile)}`,
      )
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return
      lastError = `HTTP ${response.status}`
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(
    `Cairn server at ${url} not healthy after ${timeoutMs} ms (${lastError}); log:\n${tail(logFile)}`,
  )
}

/**
 * Starts `cairn server` from the built CLI on 127.0.0.1 and resolves once GET /health answers 200.
 * The server runs in its own process group in a temporary working directory, with its output in a log file.
 */
export async function startCairn(options) {
  assertCliBuilt()
  installExitHook()
  const port = options.port ?? (await freePort())
  const workDir = options.cwd ?? tempDir('cairn-server-')
  const logFile = path.join(workDir, `server-${port}.log`)
  const args = [
    // The flags of the `cairn` executable's shebang (packages/cli/src/bin.ts).
    '--max-semi-space-size=4',
    CLI_BIN,
    'server',
    '--backend-store-uri',
    options.backendStoreUri,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    ...(options.extraArgs ?? []),
  ]
  const fd = openSync(logFile, 'a')
  const child = spawn(process.execPath, args, {
    cwd: workDir,
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: ['ignore', fd, fd],
    detached: true,
  })
  closeSync(fd)
  const pid = child.pid
  if (pid === undefined) throw new Error('could not spawn the Cairn server')
  live.add(pid)
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid)
      resolve({ code, signal })
    })
  })
  const url = `http://127.0.0.1:${port}`
  const handle = {
    url,
    port,
    pid,
    workDir,
    logFile,
    exited,
    logTail: (lines) => tail(logFile, lines),
    async kill() {
      if (!live.has(pid)) return
      killGroup(pid, 'SIGKILL')
      await exited
    },
    async stop(timeoutMs = 10_000) {
      if (!live.has(pid)) return exited
      killGroup(pid, 'SIGTERM')
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), timeoutMs)
      const result = await exited
      clearTimeout(timer)
      // Workers of a cluster may outlive the primary for a moment: make sure the group is gone.
      killGroup(pid, 'SIGKILL')
      return result
    },
  }
  try {
    await waitUntilHealthy(url, child, logFile, options.readyTimeoutMs ?? 60_000)
  } catch (error) {
    await handle.kill()
    throw error
  }
  return handle
}

/**
 * POSTs a JSON body to `/api/2.0/mlflow/<route>` of a server and answers its status and parsed body (`{}` when
 * empty). Times out after 30 s so a hung server fails the test instead of stalling it.
 */
export async function postMlflow(baseUrl, route, body) {
  const response = await fetch(new URL(`/api/2.0/mlflow/${route}`, baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await response.text()
  return { status: response.status, text, body: text ? JSON.parse(text) : {} }
}
