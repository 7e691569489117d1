#!/usr/bin/env node
// Registry benchmark: registered-models/search and model-versions/search over 10,000 models × 10 versions, on
// `mlflow server` and Cairn side by side. Each server starts empty; the data is written straight into its database
// in its own schema (MLflow: SQL INSERTs into its SQLite file; Cairn: INSERTs into its SQLite file or PostgreSQL
// database), then every query is timed through the REST API. See docs/benchmarks.md ("Model registry search").
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { bodyJson } from './lib/http.mjs'
import { cairnCommand, createPostgresDatabase, freePort, mlflowCommand, startServer } from './lib/servers.mjs'
import { median, quantile } from './lib/stats.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..')

const { values: options } = parseArgs({
  options: {
    servers: { type: 'string', default: 'mlflow,cairn' },
    models: { type: 'string', default: '10000' },
    versions: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    requests: { type: 'string', default: '30' },
    'pg-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:55432/postgres' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (options.help) {
  process.stdout.write(`Usage: node bench/registry.mjs [--servers mlflow,cairn,cairn-pg] [--models 10000] [--versions 10]
    [--runs 3] [--requests 30] [--pg-url <admin url>] [--out <file>] [--keep]
`)
  process.exit(0)
}
const MODELS = Number(options.models)
const VERSIONS = Number(options.versions)
const RUNS = Number(options.runs)
const REQUESTS = Number(options.requests)
const SERVERS = options.servers.split(',').map((name) => name.trim())
const BASE_TIME = 1_700_000_000_000

const modelName = (index) => `bench-model-${String(index).padStart(5, '0')}`
const log = (message) => process.stderr.write(`[registry-bench] ${message}\n`)

/** The data set, the same for every server: model i has versions 1..V, each with one tag; model i has one tag. */
function* rows() {
  for (let model = 0; model < MODELS; model++) {
    const name = modelName(model)
    const versions = []
    for (let version = 1; version <= VERSIONS; version++) {
      const time = BASE_TIME + model * VERSIONS + version
      versions.push({
        version,
        time,
        stage: version === VERSIONS ? 'Production' : version === VERSIONS - 1 ? 'Staging' : 'None',
        source: `s3://bench-bucket/models/${name}/${version}`,
        runId: `${String(model).padStart(16, '0')}${String(version).padStart(16, '0')}`,
      })
    }
    yield {
      name,
      created: BASE_TIME + model * VERSIONS,
      updated: BASE_TIME + model * VERSIONS + VERSIONS,
      versions,
    }
  }
}

function fillMlflowSqlite(dbPath) {
  const db = new Database(dbPath, { timeout: 60_000 })
  try {
    const insertModel = db.prepare(
      'INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, NULL)',
    )
    const insertModelTag = db.prepare('INSERT INTO registered_model_tags (key, value, name) VALUES (?, ?, ?)')
    const insertVersion = db.prepare(
      `INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage,
         source, run_id, status, status_message, run_link, storage_location)
       VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, ?, 'READY', NULL, NULL, ?)`,
    )
    const insertVersionTag = db.prepare(
      'INSERT INTO model_version_tags (key, value, name, version) VALUES (?, ?, ?, ?)',
    )
    db.transaction(() => {
      for (const model of rows()) {
        insertModel.run(model.name, model.created, model.updated)
        insertModelTag.run('team', `team-${model.name.slice(-1)}`, model.name)
        for (const v of model.versions) {
          insertVersion.run(model.name, v.version, v.time, v.time, v.stage, v.source, v.runId, v.source)
          insertVersionTag.run('validated', v.version % 2 ? 'true' : 'false', model.name, v.version)
        }
      }
    })()
  } finally {
    db.close()
  }
}

function fillCairnSqlite(dbPath) {
  const db = new Database(dbPath, { timeout: 60_000 })
  try {
    const insertModel = db.prepare(
      'INSERT INTO registered_models (name, creation_time, last_updated_time) VALUES (?, ?, ?)',
    )
    const insertModelTag = db.prepare('INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)')
    const insertVersion = db.prepare(
      `INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source,
         storage_location, run_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'READY')`,
    )
    const insertVersionTag = db.prepare(
      'INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)',
    )
    db.transaction(() => {
      for (const model of rows()) {
        insertModel.run(model.name, model.created, model.updated)
        insertModelTag.run(model.name, 'team', `team-${model.name.slice(-1)}`)
        for (const v of model.versions) {
          insertVersion.run(model.name, v.version, v.time, v.time, v.stage, v.source, v.source, v.runId)
          insertVersionTag.run(model.name, v.version, 'validated', v.version % 2 ? 'true' : 'false')
        }
      }
    })()
    db.exec('ANALYZE')
  } finally {
    db.close()
  }
}

async function fillCairnPostgres(url) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const models = [...rows()]
    await client.query('BEGIN')
    await client.query(
      `INSERT INTO registered_models (name, creation_time, last_updated_time)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])`,
      [models.map((m) => m.name), models.map((m) => m.created), models.map((m) => m.updated)],
    )
    await client.query(
      `INSERT INTO registered_model_tags (name, key, value) SELECT n, 'team', v FROM unnest($1::text[], $2::text[]) AS t(n, v)`,
      [models.map((m) => m.name), models.map((m) => `team-${m.name.slice(-1)}`)],
    )
    const versions = models.flatMap((m) => m.versions.map((v) => ({ name: m.name, ...v })))
    await client.query(
      `INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source,
         storage_location, run_id, status)
       SELECT n, v, t, t, s, src, src, r, 'READY' FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[])
         AS x(n, v, t, s, src, r)`,
      [
        versions.map((v) => v.name),
        versions.map((v) => v.version),
        versions.map((v) => v.time),
        versions.map((v) => v.stage),
        versions.map((v) => v.source),
        versions.map((v) => v.runId),
      ],
    )
    await client.query(
      `INSERT INTO model_version_tags (name, version, key, value)
       SELECT n, v, 'validated', CASE WHEN v % 2 = 1 THEN 'true' ELSE 'false' END FROM unnest($1::text[], $2::int[]) AS x(n, v)`,
      [versions.map((v) => v.name), versions.map((v) => v.version)],
    )
    await client.query('COMMIT')
    await client.query('ANALYZE')
  } finally {
    await client.end()
  }
}

const target = modelName(Math.floor(MODELS * 0.4242))
const QUERIES = [
  {
    name: 'registered-models first page (100, name ASC)',
    path: '/api/2.0/mlflow/registered-models/search?max_results=100',
  },
  {
    name: "registered-models name LIKE 'bench-model-012%'",
    path: `/api/2.0/mlflow/registered-models/search?max_results=100&filter=${encodeURIComponent("name LIKE 'bench-model-012%'")}`,
  },
  {
    name: 'registered-models by last_updated_timestamp DESC',
    path: `/api/2.0/mlflow/registered-models/search?max_results=100&order_by=${encodeURIComponent('last_updated_timestamp DESC')}`,
  },
  {
    name: 'model-versions first page (100, default order)',
    path: '/api/2.0/mlflow/model-versions/search?max_results=100',
  },
  {
    name: `model-versions name = '<one model>'`,
    path: `/api/2.0/mlflow/model-versions/search?max_results=100&filter=${encodeURIComponent(`name = '${target}'`)}`,
  },
  {
    name: "model-versions tags.validated = 'true'",
    path: `/api/2.0/mlflow/model-versions/search?max_results=100&filter=${encodeURIComponent("tags.validated = 'true'")}`,
  },
]

/** Checks both servers answer the same first pages (names and versions), so the timings compare equal work. */
function fingerprint(body) {
  if (body.registered_models) return body.registered_models.map((m) => m.name).join(',')
  if (body.model_versions) return body.model_versions.map((v) => `${v.name}/${v.version}`).join(',')
  return JSON.stringify(body)
}

/**
 * Times every query on every server, interleaved: each repetition runs a query on one server, then on the next,
 * so load from elsewhere on the machine falls on all of them alike. Medians of the per-repetition p50s.
 */
async function timeQueries(servers) {
  const results = Object.fromEntries(servers.map((server) => [server.name, {}]))
  for (const query of QUERIES) {
    const perRun = Object.fromEntries(servers.map((server) => [server.name, []]))
    const shapes = {}
    for (const server of servers) for (let warm = 0; warm < 3; warm++) await server.client.get(query.path)
    for (let run = 0; run < RUNS; run++) {
      for (const server of servers) {
        const times = []
        for (let i = 0; i < REQUESTS; i++) {
          const response = await server.client.get(query.path)
          if (response.status !== 200)
            throw new Error(`${server.name} ${query.path} answered ${response.status}`)
          times.push(response.ms)
          if (run === 0 && i === 0) shapes[server.name] = fingerprint(bodyJson(response))
        }
        perRun[server.name].push({ p50: quantile(times, 0.5), p95: quantile(times, 0.95) })
      }
    }
    for (const server of servers) {
      const runs = perRun[server.name]
      results[server.name][query.name] = {
        p50: median(runs.map((r) => r.p50)),
        p95: median(runs.map((r) => r.p95)),
        runs,
        fingerprint: shapes[server.name],
      }
      log(`${server.name}: ${query.name}: p50 ${results[server.name][query.name].p50.toFixed(1)} ms`)
    }
  }
  return results
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cairn-registry-bench-'))
  const result = {
    date: new Date().toISOString(),
    models: MODELS,
    versions: VERSIONS,
    runs: RUNS,
    requests: REQUESTS,
    servers: {},
  }
  const cleanups = []
  const started = []
  try {
    for (const name of SERVERS) {
      const dir = path.join(tmp, name)
      mkdirSync(dir, { recursive: true })
      const port = await freePort()
      let spec
      let fill
      if (name === 'mlflow') {
        spec = mlflowCommand({ repoRoot: REPO, dir, port, workers: 1 })
        fill = () => fillMlflowSqlite(path.join(dir, 'mlflow.db'))
      } else {
        let backendUri = `sqlite:///${path.join(dir, 'cairn.db')}`
        if (name === 'cairn-pg') {
          const database = await createPostgresDatabase(
            options['pg-url'],
            `cairn_registry_bench_${Date.now()}`,
          )
          backendUri = database.url
          if (!options.keep) cleanups.push(database.drop)
          fill = () => fillCairnPostgres(database.url)
        } else {
          fill = () => fillCairnSqlite(path.join(dir, 'cairn.db'))
        }
        spec = cairnCommand({ cairnRoot: REPO, backendUri, port })
      }
      log(`starting ${name}`)
      const server = await startServer({ name, ...spec, cwd: dir, connections: 2 })
      started.push(server)
      const begun = Date.now()
      await fill()
      log(`${name}: wrote ${MODELS} models × ${VERSIONS} versions in ${Date.now() - begun} ms`)
    }
    const timings = await timeQueries(started)
    for (const server of started) result.servers[server.name] = { queries: timings[server.name] }
  } finally {
    for (const server of started) {
      await server.stop()
      server.client.close()
    }
    for (const cleanup of cleanups) await cleanup().catch(() => {})
    if (!options.keep) rmSync(tmp, { recursive: true, force: true })
  }

  const names = Object.keys(result.servers)
  const lines = [
    `| query | ${names.map((name) => `${name} p50 (ms)`).join(' | ')} |${
      names.includes('mlflow')
        ? ' ' +
          names
            .filter((n) => n !== 'mlflow')
            .map((n) => `${n} speed-up`)
            .join(' | ') +
          ' |'
        : ''
    }`,
  ]
  lines.push(`|${'---|'.repeat(1 + names.length + (names.includes('mlflow') ? names.length - 1 : 0))}`)
  for (const query of QUERIES) {
    const cells = names.map((name) => result.servers[name].queries[query.name].p50.toFixed(1))
    const ratios = names.includes('mlflow')
      ? names
          .filter((name) => name !== 'mlflow')
          .map(
            (name) =>
              `${(result.servers.mlflow.queries[query.name].p50 / result.servers[name].queries[query.name].p50).toFixed(0)}×`,
          )
      : []
    lines.push(`| ${query.name} | ${[...cells, ...ratios].join(' | ')} |`)
    const prints = new Set(names.map((name) => result.servers[name].queries[query.name].fingerprint))
    if (prints.size > 1) log(`WARNING: servers disagree on the first page of ${query.name}`)
  }
  result.table = lines.join('\n')
  const out = options.out ?? path.join(HERE, 'results', `registry-${result.date.replace(/[:.]/g, '-')}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${result.table}\n\nraw results: ${out}\n`)
}

await main()
