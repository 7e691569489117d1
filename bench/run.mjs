#!/usr/bin/env node
// Benchmark driver: starts fresh MLflow and Cairn servers in temp dirs, runs each phase against each of them,
// writes raw results to bench/results/<timestamp>.json and prints a Markdown table. See docs/benchmarks.md.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { renderTable, summarize } from './lib/report.mjs'
import { RssSampler } from './lib/rss.mjs'
import { cairnCommand, createPostgresDatabase, freePort, mlflowCommand, startServer } from './lib/servers.mjs'
import { create } from './phases/create.mjs'
import { history } from './phases/history.mjs'
import { ingest } from './phases/ingest.mjs'
import { search } from './phases/search.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..')
const PHASES = { ingest, create, search, history }
const SERVERS = ['mlflow', 'cairn', 'cairn-pg', 'stub']

const HELP = `Usage: npm run bench -- [options]

  --only <list>            phases to run, comma-separated: ${Object.keys(PHASES).join(',')} (default: all)
  --servers <list>         servers: ${SERVERS.join(',')} (default: mlflow,cairn; stub = a do-nothing
                           server that shows the client's own ceiling for ingest and create)
  --runs <n>               timed repetitions per phase and server; medians are reported (default 3; --quick: 1)
  --quick                  small sizes for a fast check (5,000 runs, 100,000 points, 3 s loops)
  --concurrency <n>        concurrent clients for ingest, run creation and REST population (default 4)
  --ingest-seconds <s>     time limit per ingest repetition (default 10)
  --create-seconds <s>     time limit per run-creation repetition (default 10)
  --search-runs <n>        runs in the search data set (default 100000)
  --search-queries <n>     search requests per repetition (default 20, at most --search-seconds unless < 3)
  --history-points <n>     points in the metric history (default 1000000)
  --mlflow-workers <n>     MLflow --workers (default 1: faster than MLflow's default 4 here; 'default' = omit)
  --mlflow-search-populate sql|api   how MLflow's search data is written (default sql)
  --mlflow-history-populate sql|api  how MLflow's history is written (default sql)
  --cairn-root <dir>       tree holding packages/cli/dist/bin.js (default: this repo)
  --cairn-node-args=<args> extra node flags for Cairn, e.g. --cairn-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"
  --cairn-args=<args>      extra Cairn server flags, e.g. --cairn-args="--workers 2"
  --pg-url <url>           PostgreSQL admin URL for cairn-pg (default postgresql://postgres@127.0.0.1:55432/postgres)
  --out <file>             raw results file (default bench/results/<timestamp>.json)
  --keep                   keep the temp dirs and the PostgreSQL database
`

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      servers: { type: 'string', default: 'mlflow,cairn' },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '4' },
      'ingest-seconds': { type: 'string' },
      'create-seconds': { type: 'string' },
      'search-runs': { type: 'string' },
      'search-queries': { type: 'string', default: '20' },
      'history-points': { type: 'string' },
      'mlflow-workers': { type: 'string', default: '1' },
      'mlflow-search-populate': { type: 'string', default: 'sql' },
      'mlflow-history-populate': { type: 'string', default: 'sql' },
      'cairn-root': { type: 'string', default: REPO },
      'cairn-node-args': { type: 'string', default: '' },
      'cairn-args': { type: 'string', default: '' },
      'pg-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:55432/postgres' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(HELP)
    process.exit(0)
  }
  const quick = values.quick
  const number = (value, fallback) => (value === undefined ? fallback : Number(value))
  const phases = values.only ? values.only.split(',').map((name) => name.trim()) : Object.keys(PHASES)
  for (const phase of phases) if (!PHASES[phase]) throw new Error(`unknown phase '${phase}'`)
  const servers = values.servers.split(',').map((name) => name.trim())
  for (const server of servers) if (!SERVERS.includes(server)) throw new Error(`unknown server '${server}'`)
  return {
    phases,
    servers,
    quick,
    runs: number(values.runs, quick ? 1 : 3),
    concurrency: number(values.concurrency, 4),
    ingestSeconds: number(values['ingest-seconds'], quick ? 3 : 10),
    ingestBatchesPerClient: 1000,
    ingestKeys: 10,
    createSeconds: number(values['create-seconds'], quick ? 3 : 10),
    createRunsPerClient: 20_000,
    searchRuns: number(values['search-runs'], quick ? 5000 : 100_000),
    searchQueries: number(values['search-queries'], 20),
    searchSeconds: 60,
    historyPoints: number(values['history-points'], quick ? 100_000 : 1_000_000),
    bulkQueries: 20,
    bulkSeconds: 60,
    mlflowWorkers: values['mlflow-workers'] === 'default' ? undefined : values['mlflow-workers'],
    mlflowSearchPopulate: values['mlflow-search-populate'],
    mlflowHistoryPopulate: values['mlflow-history-populate'],
    cairnRoot: path.resolve(values['cairn-root']),
    cairnNodeArgs: values['cairn-node-args'].split(' ').filter(Boolean),
    cairnArgs: values['cairn-args'].split(' ').filter(Boolean),
    pgUrl: values['pg-url'],
    out: values.out,
    keep: values.keep,
  }
}

function versions(options) {
  const read = (command, args) => {
    try {
      return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    } catch {
      return undefined
    }
  }
  const sitePackages = readdirSync(path.join(REPO, '.venv/lib'))
    .map((dir) => path.join(REPO, '.venv/lib', dir, 'site-packages'))
    .find(existsSync)
  const distInfo =
    sitePackages && readdirSync(sitePackages).find((name) => /^mlflow-\d.*\.dist-info$/.test(name))
  return {
    node: process.version,
    mlflow: distInfo?.replace(/^mlflow-/, '').replace(/\.dist-info$/, ''),
    python: read(path.join(REPO, '.venv/bin/python'), [
      '-c',
      'import sys, sqlite3; print(sys.version.split()[0], "sqlite", sqlite3.sqlite_version)',
    ]),
    ...cairnSource(options.cairnRoot, read),
    sqliteForCairn: read(process.execPath, [
      '-e',
      "const D = require('better-sqlite3'); console.log(new D(':memory:').prepare('select sqlite_version() v').get().v)",
    ]),
    postgres: postgresVersion(read),
  }
}

/** The commit Cairn was built from: the snapshot's record (bench/build-snapshot.mjs) or the tree's git state. */
function cairnSource(cairnRoot, read) {
  const snapshotFile = path.join(cairnRoot, 'SNAPSHOT.json')
  if (existsSync(snapshotFile)) return { cairnSnapshot: JSON.parse(readFileSync(snapshotFile, 'utf8')) }
  const commit = read('git', ['-C', cairnRoot, 'rev-parse', '--short', 'HEAD'])
  const changes = read('git', ['-C', cairnRoot, 'status', '--porcelain', '--', 'packages'])
  return {
    cairnCommit: commit,
    cairnUncommittedChanges: changes === undefined ? undefined : changes.length > 0,
  }
}

function postgresVersion(read) {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const latest = readdirSync(root)
    .sort((a, b) => Number(a) - Number(b))
    .at(-1)
  return latest && read(path.join(root, latest, 'bin/postgres'), ['--version'])
}

function machine() {
  const cpus = os.cpus()
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    platform: `${os.type()} ${os.arch()}`,
  }
}

async function main() {
  const options = parseOptions(process.argv.slice(2))
  const startedAt = new Date()
  const stamp = startedAt
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z')
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-'))
  const log = (line) =>
    process.stderr.write(
      `[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(5)} s] ${line}\n`,
    )
  const ctx = { options, log, t0: 1_700_000_000_000 }
  const sampler = new RssSampler({ intervalMs: 100 })
  const servers = []
  const cleanups = []
  const result = {
    startedAt: startedAt.toISOString(),
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    options,
    machine: machine(),
    versions: versions(options),
    servers: {},
    populate: {},
    phases: {},
    errors: [],
  }
  const stopAll = async () => {
    for (const server of servers.splice(0)) {
      sampler.untrack(server.name)
      await server.stop()
      server.client.close()
    }
    for (const cleanup of cleanups.splice(0)) await cleanup()
  }
  process.once('SIGINT', () => {
    log('interrupted; stopping servers')
    void stopAll().finally(() => process.exit(130))
  })

  try {
    for (const name of options.servers) {
      const dir = path.join(tmp, name)
      mkdirSync(dir, { recursive: true })
      const port = await freePort()
      let spec
      if (name === 'mlflow') {
        spec = mlflowCommand({ repoRoot: REPO, dir, port, workers: options.mlflowWorkers })
      } else if (name === 'stub') {
        spec = {
          command: process.execPath,
          args: [path.join(HERE, 'stub-server.mjs'), '--port', String(port)],
          env: {},
        }
      } else {
        const bin = path.join(options.cairnRoot, 'packages/cli/dist/bin.js')
        if (!existsSync(bin)) {
          result.errors.push(`${name}: ${bin} does not exist (build with npx tsc -b); skipped`)
          log(`skipping ${name}: ${bin} does not exist`)
          continue
        }
        let backendUri = `sqlite:///${path.join(dir, 'cairn.db')}`
        if (name === 'cairn-pg') {
          const database = await createPostgresDatabase(
            options.pgUrl,
            `cairn_bench_${stamp.replace(/\D/g, '')}`,
          )
          backendUri = database.url
          if (!options.keep) cleanups.push(database.drop)
        }
        spec = cairnCommand({
          cairnRoot: options.cairnRoot,
          backendUri,
          port,
          nodeArgs: options.cairnNodeArgs,
          extraArgs: options.cairnArgs,
        })
      }
      log(`starting ${name} on port ${port}`)
      const server = await startServer({ name, ...spec, cwd: dir, connections: options.concurrency + 4 })
      server.kind = name === 'cairn-pg' ? 'cairn' : name
      server.dir = dir
      servers.push(server)
      sampler.track(name, server.pid)
      result.servers[name] = {
        command: [spec.command, ...spec.args].join(' '),
        startupMs: server.startupMs,
        log: server.logFile,
      }
      log(`${name} ready in ${server.startupMs} ms (pid ${server.pid})`)
    }

    for (const phaseName of options.phases) {
      const phase = PHASES[phaseName]
      log(`phase ${phaseName}: preparing`)
      phase.prepare(ctx)
      // The stub server only answers what ingest and create need.
      const eligible = servers.filter((server) => server.kind !== 'stub' || phase.stubOk)
      const active = []
      if (phase.populate) {
        sampler.label(`${phaseName}:populate`)
        result.populate[phaseName] = {}
        for (const server of eligible) {
          try {
            log(`phase ${phaseName}: populating ${server.name}`)
            result.populate[phaseName][server.name] = await phase.populate(ctx, server)
            active.push(server)
          } catch (error) {
            result.errors.push(`${phaseName} populate ${server.name}: ${error.stack ?? error}`)
            log(`phase ${phaseName}: populating ${server.name} failed: ${error.message}`)
          }
        }
      } else {
        active.push(...eligible)
      }
      sampler.label(phaseName)
      result.phases[phaseName] = {}
      for (let rep = 0; rep < options.runs; rep++) {
        // Alternate the order so that neither server always runs on a warmer (or more tired) machine.
        const order = rep % 2 === 0 ? active : [...active].reverse()
        for (const server of order) {
          result.phases[phaseName][server.name] ??= []
          const reps = result.phases[phaseName][server.name]
          try {
            const loadBefore = os.loadavg()[0]
            const measured = await phase.measure(ctx, server, rep)
            measured.loadAvg1m = [loadBefore, os.loadavg()[0]]
            reps.push(measured)
            log(`phase ${phaseName}: ${server.name} rep ${rep + 1}/${options.runs}: ${brief(measured)}`)
          } catch (error) {
            reps.push({ error: String(error.stack ?? error) })
            result.errors.push(`${phaseName} ${server.name} rep ${rep + 1}: ${error.message}`)
            log(`phase ${phaseName}: ${server.name} rep ${rep + 1} failed: ${error.message}`)
          }
        }
      }
      sampler.label('idle')
    }
    result.rss = await sampler.report()
  } finally {
    await stopAll()
    await sampler.stop()
    if (!options.keep) rmSync(tmp, { recursive: true, force: true })
    else log(`kept ${tmp}`)
  }

  result.finishedAt = new Date().toISOString()
  result.summary = summarize(result)
  const out = options.out ?? path.join(HERE, 'results', `${stamp}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  log(`raw results: ${path.relative(process.cwd(), out)}`)
  process.stdout.write(`${renderTable(result)}\n`)
}

function brief(measured) {
  const round = (value) => (typeof value === 'number' ? Number(value.toPrecision(4)) : value)
  const parts = []
  for (const [key, value] of Object.entries(measured)) {
    if (key === 'loadAvg1m') parts.push(`load=${value.map((load) => load.toFixed(1)).join('→')}`)
    if (Array.isArray(value) || value === undefined) continue
    parts.push(`${key}=${round(value)}`)
  }
  return parts.join(' ')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
