import { spawn } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from './http.mjs'

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/**
 * Starts one server in its own process group (so stopping it reaches its workers and nothing else) and waits until
 * GET /health answers 200.
 */
export async function startServer({
  name,
  command,
  args,
  cwd,
  env,
  readyTimeoutMs = 180_000,
  connections = 8,
}) {
  const logFile = path.join(cwd, `${name}.log`)
  const log = createWriteStream(logFile)
  await new Promise((resolve) => log.on('open', resolve))
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', log, log],
  })
  let exited = null
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal }
      resolve(exited)
    })
  })
  const port = args[args.indexOf('--port') + 1]
  const baseUrl = `http://127.0.0.1:${port}`
  const probe = createClient(baseUrl, { connections: 1 })
  const started = Date.now()
  for (;;) {
    if (exited) {
      throw new Error(
        `${name} exited (${JSON.stringify(exited)}) before it was ready; log ${logFile}:\n${tail(logFile)}`,
      )
    }
    if (Date.now() - started > readyTimeoutMs) {
      await stopProcessGroup(child, exit)
      throw new Error(`${name} not ready after ${readyTimeoutMs} ms; log ${logFile}:\n${tail(logFile)}`)
    }
    try {
      const response = await probe.get('/health', { timeoutMs: 2000 })
      if (response.status === 200) break
    } catch {}
    await sleep(250)
  }
  probe.close()
  return {
    name,
    pid: child.pid,
    baseUrl,
    logFile,
    startupMs: Date.now() - started,
    client: createClient(baseUrl, { connections }),
    stop: () => stopProcessGroup(child, exit),
  }
}

async function stopProcessGroup(child, exit) {
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig)
    } catch {}
  }
  signal('SIGTERM')
  const result = await Promise.race([exit, sleep(20_000).then(() => null)])
  if (result === null) {
    signal('SIGKILL')
    await exit
  }
  // Workers that outlived their parent are still in the group.
  signal('SIGKILL')
}

export function mlflowCommand({ repoRoot, dir, port, workers }) {
  const args = [
    'server',
    '--backend-store-uri',
    `sqlite:///${path.join(dir, 'mlflow.db')}`,
    '--default-artifact-root',
    path.join(dir, 'artifacts'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ]
  if (workers) args.push('--workers', String(workers))
  return {
    command: path.join(repoRoot, '.venv/bin/mlflow'),
    args,
    env: { MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
  }
}

export function cairnCommand({ cairnRoot, backendUri, port, nodeArgs = [], extraArgs = [] }) {
  return {
    command: process.execPath,
    args: [
      // The flags of the `cairn` executable's shebang (packages/cli/src/bin.ts), then the caller's.
      '--max-semi-space-size=4',
      ...nodeArgs,
      path.join(cairnRoot, 'packages/cli/dist/bin.js'),
      'server',
      '--backend-store-uri',
      backendUri,
      '--host',
      '127.0.0.1',
      ...extraArgs,
      '--port',
      String(port),
    ],
    env: {},
  }
}

/** Creates a fresh database on the PostgreSQL cluster and returns its URL and a function that drops it. */
export async function createPostgresDatabase(adminUrl, name) {
  const { default: pg } = await import('pg')
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    },
  }
}
