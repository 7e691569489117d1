#!/usr/bin/env node
// Model serving benchmark (issue 6): `/invocations` throughput and latency of `cairn models serve` (the skl2onnx
// conversion of a scikit-learn model, on onnxruntime-node) against `mlflow models serve --env-manager local` (the
// pickled scikit-learn model), same model, same signature, same machine, each server with its own default
// workers (MLflow one uvicorn process, Cairn predicting on its main thread) unless `--workers` /
// `--cairn-workers` say otherwise, both idle but for the one under load. `--model logreg` (default): a
// LogisticRegression on iris, whose predictions cost microseconds; `--model mlp`: an MLPClassifier costing about a
// millisecond per single-row prediction on one core (bench/serving/prepare_models.py). A closed loop of `--connections` keep-alive connections sends
// single-row `dataframe_split` requests back to back for a fixed time; medians over `--runs`. The `stub` target, a
// do-nothing HTTP server answering the same JSON, shows the load generator's own ceiling on this machine.
// Everything listens on 127.0.0.1; every loop is bounded in time. See docs/benchmarks.md ("Model serving").
//
//   npx tsc -b && node bench/serving.mjs [--model logreg|mlp] [--servers cairn,mlflow,stub] [--seconds 10]
//     [--warmup 3] [--runs 3] [--connections 64] [--workers 1] [--cairn-workers 0,2] [--cairn-root <dir>]
//     [--cairn-args="--max-batch-size 64"] [--out <file>]
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { RssSampler } from './lib/rss.mjs'
import { freePort, startServer } from './lib/servers.mjs'
import { median, quantile } from './lib/stats.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..')
const VENV_BIN = path.join(REPO, '.venv/bin')
const TARGETS = ['cairn', 'mlflow', 'stub']
const MODELS = ['logreg', 'mlp']
const TITLES = {
  cairn: 'Cairn `models serve` (ONNX)',
  mlflow: 'MLflow `models serve` (pickle)',
  stub: 'stub server (client ceiling)',
}
/** Each server of a run by its key: `cairn`, or `cairn-w<N>` when several `--cairn-workers` are compared. */
const kindOf = (key) => (key.startsWith('cairn') ? 'cairn' : key)
const titleOf = (key) =>
  key === kindOf(key) ? TITLES[key] : `${TITLES.cairn}, \`--workers ${key.slice('cairn-w'.length)}\``
const shortTitleOf = (key) =>
  key === kindOf(key) ? 'Cairn' : `Cairn --workers ${key.slice('cairn-w'.length)}`

const HELP = `Usage: node bench/serving.mjs [options]

  --model <name>         ${MODELS.join(' or ')}: the scikit-learn model served (default logreg; see
                         bench/serving/prepare_models.py)
  --servers <list>       targets: ${TARGETS.join(',')} (default cairn,mlflow,stub)
  --seconds <s>          length of one timed run (default 10)
  --warmup <s>           untimed load on each server before the first run (default 3)
  --runs <n>             timed runs per server, interleaved; the table shows medians (default 3)
  --connections <n>      concurrent keep-alive connections (default 64)
  --latency-seconds <s>  per run, also this long with one connection (unloaded latency; default 3, 0 = skip)
  --workers <n>          MLflow's --workers: uvicorn processes (default 1, MLflow's default)
  --cairn-workers <list> Cairn's --workers: worker threads, each with its own ONNX session (default 0, Cairn's
                         default: predict on the main thread); several, e.g. 0,2: one Cairn server per value,
                         measured interleaved with the others
  --cairn-root <dir>     tree holding packages/cli/dist/bin.js (default: this repo; see bench/build-snapshot.mjs)
  --cairn-args=<args>    extra \`cairn models serve\` flags, e.g. --cairn-args="--max-batch-size 64"
  --image                also build the Cairn image of the ONNX model with \`cairn models build-image\` on a base
                         made by scripts/make-base-image.sh (buildah, vfs storage in the temp dir) and report its
                         size; needs a --cairn-root with real node_modules (this repo, not a snapshot)
  --out <file>           raw results (default bench/results/serving-<timestamp>.json)
  --keep                 keep the temp dir (models, server logs)
`

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'logreg' },
      servers: { type: 'string', default: TARGETS.join(',') },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      runs: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      'latency-seconds': { type: 'string', default: '3' },
      workers: { type: 'string', default: '1' },
      'cairn-workers': { type: 'string' },
      'cairn-root': { type: 'string', default: REPO },
      'cairn-args': { type: 'string', default: '' },
      image: { type: 'boolean', default: false },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(HELP)
    process.exit(0)
  }
  const servers = values.servers.split(',').map((name) => name.trim())
  for (const server of servers) if (!TARGETS.includes(server)) throw new Error(`unknown server '${server}'`)
  if (!MODELS.includes(values.model)) throw new Error(`unknown model '${values.model}'`)
  const cairnWorkers = (values['cairn-workers'] ?? '0').split(',').map((value) => Number(value.trim()))
  for (const workers of [Number(values.workers), ...cairnWorkers])
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`bad worker count '${workers}'`)
  return {
    model: values.model,
    servers,
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    runs: Number(values.runs),
    connections: Number(values.connections),
    latencySeconds: Number(values['latency-seconds']),
    workers: Number(values.workers),
    cairnWorkers,
    cairnRoot: path.resolve(values['cairn-root']),
    cairnArgs: values['cairn-args'].split(' ').filter(Boolean),
    image: values.image,
    out: values.out,
    keep: values.keep,
  }
}

const log = (message) => process.stderr.write(`[serving-bench] ${message}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `connections` loops, each with its own keep-alive socket, POST the same body back to back until `seconds` have
 * passed. Latency is the time from writing the request to the last byte of the answer. The first `checkBodies`
 * answers are kept so the caller can check them.
 */
async function closedLoop({ url, body, connections, seconds, checkBodies = 0 }) {
  const target = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) }
  const latencies = []
  const bodies = []
  const errors = {}
  const countError = (key) => {
    errors[key] = (errors[key] ?? 0) + 1
  }
  const once = () =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint()
      const request = http.request(
        {
          agent,
          hostname: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers,
        },
        (response) => {
          const chunks = []
          response.on('data', (chunk) => chunks.push(chunk))
          response.on('end', () => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6
            if (response.statusCode === 200) latencies.push(ms)
            else countError(`HTTP ${response.statusCode}`)
            if (bodies.length < checkBodies) bodies.push(Buffer.concat(chunks).toString('utf8'))
            resolve()
          })
          response.on('error', (error) => {
            countError(error.code ?? error.message)
            resolve()
          })
        },
      )
      request.setTimeout(30_000, () => request.destroy(new Error('timeout')))
      request.on('error', (error) => {
        countError(error.code ?? error.message)
        resolve()
      })
      request.end(body)
    })
  const started = performance.now()
  const stopAt = started + seconds * 1000
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) await once()
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  return {
    perSecond: latencies.length / elapsed,
    ok: latencies.length,
    errors,
    elapsedSeconds: elapsed,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: quantile(latencies, 1),
    bodies,
  }
}

/** The predicted class in any of the answer shapes the servers give for one row. */
function labelOf(answer) {
  let predictions = JSON.parse(answer).predictions
  if (Array.isArray(predictions)) predictions = predictions[0]
  if (typeof predictions === 'number') return predictions
  const key = Object.keys(predictions).find((name) => /label/.test(name)) ?? Object.keys(predictions)[0]
  let value = predictions[key]
  while (Array.isArray(value)) value = value[0]
  return Number(value)
}

/** Mean requests and rows per model prediction over the server's life, from its Prometheus histograms. */
async function batchingOf(baseUrl) {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`)).text()
    const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
    return {
      predictions: value('cairn_scoring_batch_requests_count'),
      requestsPerPrediction:
        value('cairn_scoring_batch_requests_sum') / value('cairn_scoring_batch_requests_count'),
      rowsPerPrediction: value('cairn_scoring_batch_rows_sum') / value('cairn_scoring_batch_rows_count'),
    }
  } catch {
    return undefined
  }
}

/**
 * Builds the image that serves the ONNX model on a base made from this machine's node, in buildah storage private to
 * this run (vfs, chroot isolation), and answers its size as buildah reports it.
 */
function buildImage({ options, models, tmp }) {
  const storage = path.join(tmp, 'containers')
  mkdirSync(storage, { recursive: true })
  const storageConf = path.join(storage, 'storage.conf')
  writeFileSync(
    storageConf,
    `[storage]\ndriver = "vfs"\ngraphroot = "${storage}/graph"\nrunroot = "${storage}/run"\n`,
  )
  const env = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: storageConf,
    STORAGE_DRIVER: 'vfs',
    BUILDAH_ISOLATION: 'chroot',
  }
  const run = (command, args) =>
    execFileSync(command, args, {
      env,
      encoding: 'utf8',
      timeout: 180_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  const base = 'localhost/cairn-serving-bench-base:20'
  const image = 'localhost/cairn-serving-bench-iris:1'
  const started = performance.now()
  run('bash', [path.join(REPO, 'scripts/make-base-image.sh'), base])
  const baseMs = performance.now() - started
  const output = run(process.execPath, [
    path.join(options.cairnRoot, 'packages/cli/dist/bin.js'),
    'models',
    'build-image',
    '-m',
    path.join(models, 'onnx'),
    '-n',
    image,
    '--base-image',
    base,
    '--storage-driver',
    'vfs',
    '--isolation',
    'chroot',
  ])
  const size = (name) => run('buildah', ['images', '--format', '{{.Size}}', name]).trim()
  return {
    image,
    size: size(image),
    base,
    baseSize: size(base),
    cairnReport: /Built image .*$/m.exec(output)?.[0],
    baseBuildMs: Math.round(baseMs),
    imageBuildMs: Math.round(performance.now() - started - baseMs),
  }
}

/** The servers of a run: `--servers` in order, Cairn once per `--cairn-workers` value. */
function targetsOf(options) {
  return options.servers.flatMap((name) =>
    name !== 'cairn'
      ? [{ key: name, workers: options.workers }]
      : options.cairnWorkers.map((workers) => ({
          key: options.cairnWorkers.length > 1 ? `cairn-w${workers}` : 'cairn',
          workers,
        })),
  )
}

function targetCommand(target, { options, models, port }) {
  const name = kindOf(target.key)
  if (name === 'cairn') {
    const bin = path.join(options.cairnRoot, 'packages/cli/dist/bin.js')
    if (!existsSync(bin))
      throw new Error(`${bin} is missing: run npx tsc -b (or bench/build-snapshot.mjs) first`)
    return {
      command: process.execPath,
      // The flag of the `cairn` executable's shebang (packages/cli/src/bin.ts).
      args: [
        '--max-semi-space-size=4',
        bin,
        'models',
        'serve',
        '-m',
        path.join(models, 'onnx'),
        '--host',
        '127.0.0.1',
        '--workers',
        String(target.workers),
        ...options.cairnArgs,
        '--port',
        String(port),
      ],
      env: {},
    }
  }
  if (name === 'mlflow') {
    return {
      command: path.join(VENV_BIN, 'mlflow'),
      args: [
        'models',
        'serve',
        '-m',
        path.join(models, 'sklearn'),
        '--env-manager',
        'local',
        '--host',
        '127.0.0.1',
        '--workers',
        String(target.workers),
        '--port',
        String(port),
      ],
      // MLflow starts `uvicorn` by name.
      env: {
        PATH: `${VENV_BIN}${path.delimiter}${process.env.PATH}`,
        MLFLOW_DISABLE_TELEMETRY: 'true',
        DO_NOT_TRACK: 'true',
      },
    }
  }
  return {
    command: process.execPath,
    args: [path.join(HERE, 'serving/stub-scoring-server.mjs'), '--port', String(port)],
    env: {},
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
  const snapshotFile = path.join(options.cairnRoot, 'SNAPSHOT.json')
  const cairn = existsSync(snapshotFile)
    ? { cairnSnapshot: JSON.parse(readFileSync(snapshotFile, 'utf8')) }
    : {
        cairnCommit: read('git', ['-C', options.cairnRoot, 'rev-parse', '--short', 'HEAD']),
        cairnUncommittedChanges: Boolean(
          read('git', ['-C', options.cairnRoot, 'status', '--porcelain', '--', 'packages']),
        ),
      }
  let onnxruntimeNode
  try {
    const file = path.join(options.cairnRoot, 'node_modules/onnxruntime-node/package.json')
    onnxruntimeNode = JSON.parse(readFileSync(file, 'utf8')).version
  } catch {}
  return { node: process.version, onnxruntimeNode, ...cairn }
}

function machine() {
  const cpus = os.cpus()
  return { cpus: cpus.length, model: cpus[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30) }
}

function renderTable(result) {
  const { summary, options } = result
  const number = (value, digits = 0) =>
    value === null || value === undefined || Number.isNaN(value)
      ? 'n/a'
      : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  const lines = [
    `| single-row dataframe_split | requests/s (${options.connections} conn.) | p50 (ms) | p99 (ms) | ` +
      'p50, 1 conn. (ms) | p99, 1 conn. (ms) | errors | max RSS (MB) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const [name, entry] of Object.entries(summary.servers)) {
    lines.push(
      `| ${titleOf(name)} | ${number(entry.perSecond)} | ${number(entry.p50, 2)} | ${number(entry.p99, 2)} | ` +
        `${number(entry.single?.p50, 2)} | ${number(entry.single?.p99, 2)} | ${entry.errors} | ${entry.maxRssMb ?? 'n/a'} |`,
    )
  }
  const { mlflow } = summary.servers
  for (const [key, cairn] of Object.entries(summary.servers)) {
    if (kindOf(key) !== 'cairn' || !mlflow) continue
    const ratio = cairn.perSecond / mlflow.perSecond
    lines.push(
      '',
      `${shortTitleOf(key)}/MLflow throughput: ${number(ratio, 1)}× ` +
        `(target ≥ 10×: ${ratio >= 10 ? 'met' : 'not met'}); ` +
        `Cairn p99 ${number(cairn.p99, 2)} ms at ${options.connections} connections` +
        (cairn.single ? `, ${number(cairn.single.p99, 2)} ms at 1` : '') +
        ` (target ≤ 10 ms: ${cairn.p99 <= 10 ? 'met' : 'not met'} at ${options.connections}` +
        (cairn.single ? `, ${cairn.single.p99 <= 10 ? 'met' : 'not met'} at 1` : '') +
        `); MLflow/Cairn p50: ${number(mlflow.p50 / cairn.p50, 1)}×.`,
    )
  }
  if (result.image?.size) {
    lines.push(
      '',
      `Image serving the ONNX model (\`cairn models build-image\`): ${result.image.size}, of which ` +
        `${result.image.baseSize} is the base made by scripts/make-base-image.sh (node and its libraries).`,
    )
  } else if (result.image?.error) {
    lines.push('', `Image build failed: ${result.image.error.split('\n')[0]}`)
  }
  for (const [key, entry] of Object.entries(result.servers)) {
    const batching = entry.batching
    if (!batching?.predictions) continue
    lines.push(
      '',
      `${shortTitleOf(key)}: micro-batching merged ` +
        `${batching.requestsPerPrediction.toFixed(1)} requests per ONNX prediction on average over ` +
        `${batching.predictions.toLocaleString('en-US')} predictions (warm-up and all runs).`,
    )
  }
  const workers = options.cairnWorkers.join(', ')
  lines.push(
    '',
    `Model: ${options.model}` +
      (result.modelCost?.onnxSingleRowMs
        ? ` (one single-row prediction: ${result.modelCost.onnxSingleRowMs.toPrecision(2)} ms in onnxruntime, one thread)`
        : '') +
      '. ' +
      `Medians of ${options.runs} runs of ${options.seconds} s at ${options.connections} connections ` +
      (options.latencySeconds > 0 ? `and ${options.latencySeconds} s at 1 connection ` : '') +
      `(after ${options.warmup} s of warm-up), ` +
      (workers === String(options.workers)
        ? `--workers ${options.workers} for both servers.`
        : `--workers ${workers} for Cairn` +
          (options.servers.includes('mlflow') ? `, ${options.workers} for MLflow.` : '.')),
  )
  return lines.join('\n')
}

async function main() {
  const options = parseOptions(process.argv.slice(2))
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cairn-serving-bench-'))
  const started = []
  const sampler = new RssSampler({ intervalMs: 200 })
  const result = {
    date: new Date().toISOString(),
    options,
    versions: versions(options),
    machine: machine(),
    servers: {},
  }
  try {
    const models = path.join(tmp, 'models')
    log('training the model and writing it as a pickle and as ONNX')
    const prepare = [path.join(HERE, 'serving/prepare_models.py'), models, '--model', options.model]
    execFileSync(path.join(VENV_BIN, 'python'), prepare, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
    })
    const body = readFileSync(path.join(models, 'request.json'))
    const expected = JSON.parse(readFileSync(path.join(models, 'expected.json'), 'utf8'))
    result.versions.python = expected.versions
    result.modelCost = { onnxSingleRowMs: expected.onnxSingleRowMs }
    result.request = body.toString('utf8')
    if (options.image) {
      log('building the image of the ONNX model')
      try {
        result.image = buildImage({ options, models, tmp })
        log(`image ${result.image.image}: ${result.image.size} (base ${result.image.baseSize})`)
      } catch (error) {
        result.image = { error: String(error.stderr || error.message).slice(0, 2000) }
        log(`image build failed: ${result.image.error}`)
      }
    }

    for (const target of targetsOf(options)) {
      const name = target.key
      const port = await freePort()
      const spec = targetCommand(target, { options, models, port })
      log(`starting ${name}`)
      const server = await startServer({ name, ...spec, cwd: tmp, connections: 1 })
      started.push(server)
      sampler.track(name, server.pid)
      const answer = await fetch(`${server.baseUrl}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      const text = await answer.text()
      if (answer.status !== 200) throw new Error(`${name} answered ${answer.status}: ${text.slice(0, 500)}`)
      if (name !== 'stub' && labelOf(text) !== expected.label)
        throw new Error(`${name} predicted ${text}, scikit-learn ${expected.label}`)
      result.servers[name] = {
        workers: target.workers,
        startupMs: server.startupMs,
        firstAnswer: text,
        runs: [],
        singleRuns: [],
      }
      log(`${name} ready in ${server.startupMs} ms, answers ${text}`)
    }

    const url = (server) => `${server.baseUrl}/invocations`
    sampler.label('warmup')
    for (const server of started) {
      const warm = await closedLoop({
        url: url(server),
        body,
        connections: options.connections,
        seconds: options.warmup,
      })
      log(`${server.name} warm-up: ${warm.perSecond.toFixed(0)}/s`)
    }
    sampler.label('load')
    for (let run = 0; run < options.runs; run++) {
      for (const server of started) {
        await sleep(500)
        const measured = await closedLoop({
          url: url(server),
          body,
          connections: options.connections,
          seconds: options.seconds,
          checkBodies: 50,
        })
        const { bodies, ...kept } = measured
        kept.wrongAnswers =
          server.name === 'stub' ? 0 : bodies.filter((text) => labelOf(text) !== expected.label).length
        result.servers[server.name].runs.push(kept)
        log(
          `run ${run + 1} ${server.name}: ${kept.perSecond.toFixed(0)}/s p50 ${kept.p50.toFixed(2)} ms ` +
            `p99 ${kept.p99.toFixed(2)} ms errors ${JSON.stringify(kept.errors)}` +
            (kept.wrongAnswers ? ` WRONG ANSWERS ${kept.wrongAnswers}` : ''),
        )
        if (options.latencySeconds > 0) {
          await sleep(300)
          const { bodies: _, ...single } = await closedLoop({
            url: url(server),
            body,
            connections: 1,
            seconds: options.latencySeconds,
          })
          result.servers[server.name].singleRuns.push(single)
          log(
            `run ${run + 1} ${server.name}, 1 connection: p50 ${single.p50.toFixed(2)} ms p99 ${single.p99.toFixed(2)} ms`,
          )
        }
      }
    }
    const rss = await sampler.report()
    for (const server of started)
      if (kindOf(server.name) === 'cairn')
        result.servers[server.name].batching = await batchingOf(server.baseUrl)
    const summary = { servers: {} }
    for (const [name, entry] of Object.entries(result.servers)) {
      const runs = entry.runs
      summary.servers[name] = {
        perSecond: median(runs.map((run) => run.perSecond)),
        p50: median(runs.map((run) => run.p50)),
        p99: median(runs.map((run) => run.p99)),
        errors: [...runs, ...entry.singleRuns].reduce(
          (sum, run) => sum + Object.values(run.errors).reduce((a, b) => a + b, 0),
          0,
        ),
        single: entry.singleRuns.length
          ? {
              p50: median(entry.singleRuns.map((run) => run.p50)),
              p99: median(entry.singleRuns.map((run) => run.p99)),
              perSecond: median(entry.singleRuns.map((run) => run.perSecond)),
            }
          : undefined,
        wrongAnswers: runs.reduce((sum, run) => sum + run.wrongAnswers, 0),
        maxRssMb: rss[name]?.load ? Math.round(rss[name].load.maxKb / 1024) : undefined,
      }
    }
    for (const [key, entry] of Object.entries(summary.servers))
      if (kindOf(key) === 'cairn' && summary.servers.mlflow)
        entry.ratioToMlflow = entry.perSecond / summary.servers.mlflow.perSecond
    if (summary.servers.cairn?.ratioToMlflow) summary.ratio = summary.servers.cairn.ratioToMlflow
    result.summary = summary
    result.rss = rss
  } finally {
    await sampler.stop().catch(() => {})
    for (const server of started) {
      await server.stop()
      server.client.close()
    }
    if (!options.keep) rmSync(tmp, { recursive: true, force: true })
    else log(`kept ${tmp}`)
  }

  result.table = renderTable(result)
  const out = options.out ?? path.join(HERE, 'results', `serving-${result.date.replace(/[:.]/g, '-')}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${result.table}\n\nraw results: ${out}\n`)
}

await main()
