#!/usr/bin/env node
// `npm test`: Biome (format and lint), the type check of sources and tests, build, Vitest (unit, store, server and
// process-level tests), then the real MLflow Python client suite (compat/) and schemathesis against a freshly started
// Cairn server on SQLite and on PostgreSQL.
//
//   node scripts/test.mjs                      every stage
//   node scripts/test.mjs compat schemathesis  only the named stages (check, typecheck, build, vitest, compat,
//                                              schemathesis)
//   STORES=sqlite node scripts/test.mjs        no PostgreSQL stages
//
// Locally a stage whose service (PostgreSQL, the .venv) is missing is reported as skipped; under CI=true it fails.
// Ends with the plain line `N passed, N failed[, N skipped]` and exits non-zero when anything failed.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT, sqliteUri, startCairn, tempDir } from '../tests/integration/helpers/cairn-process.mjs'
import {
  createDatabase,
  postgresProblem,
  postgresUrl,
  requestedStores,
} from '../tests/integration/helpers/postgres.mjs'
import { startS3rverProcess } from '../tests/integration/helpers/s3rver.mjs'

const CI = process.env.CI === 'true' || process.env.CI === '1'
const STAGES = ['check', 'typecheck', 'build', 'vitest', 'compat', 'schemathesis']
const selected = process.argv.slice(2)
for (const name of selected) {
  if (!STAGES.includes(name)) {
    console.error(`unknown stage '${name}'; stages: ${STAGES.join(', ')}`)
    process.exit(2)
  }
}
const wanted = (name) => selected.length === 0 || selected.includes(name)

const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python')
const VENV_SCHEMATHESIS = path.join(REPO_ROOT, '.venv', 'bin', 'schemathesis')
const SCHEMATHESIS_MAX_EXAMPLES = process.env.CAIRN_SCHEMATHESIS_MAX_EXAMPLES ?? '25'
const work = tempDir('cairn-npm-test-')
const results = []
const running = new Set()

// Child processes run in their own process group so that a timeout or Ctrl-C ends them and all of theirs.
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {}
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const pid of running) killGroup(pid, 'SIGKILL')
    process.exit(130)
  })
}

function run(command, args, { env = {}, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    })
    running.add(child.pid)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      console.error(`\n!! ${command} ${args.join(' ')} exceeded ${timeoutMs / 1000}s: stopping it`)
      killGroup(child.pid, 'SIGTERM')
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000).unref()
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      running.delete(child.pid)
      resolve({ code: 127, timedOut, error })
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      running.delete(child.pid)
      resolve({ code: code ?? (signal ? 128 : 1), timedOut })
    })
  })
}

/** Sums the counts of every <testsuite> of a JUnit XML report (pytest and schemathesis both write one). */
function junitCounts(file) {
  if (!existsSync(file)) return undefined
  const xml = readFileSync(file, 'utf8')
  const counts = { tests: 0, failures: 0, errors: 0, skipped: 0 }
  let suites = 0
  for (const match of xml.matchAll(/<testsuite\b(?!s)([^>]*)>/g)) {
    suites++
    for (const key of Object.keys(counts)) {
      const value = new RegExp(`\\b${key}="(\\d+)"`).exec(match[1] ?? '')
      counts[key] += value ? Number(value[1]) : 0
    }
  }
  if (suites === 0) return undefined
  const failed = counts.failures + counts.errors
  return { passed: counts.tests - failed - counts.skipped, failed, skipped: counts.skipped }
}

/** Counts from a finished command and its report; a failing exit code never reads as a pass. */
function outcome({ code, timedOut }, counts, what) {
  const result = counts ?? { passed: 0, failed: 0, skipped: 0 }
  if (timedOut) return { ...result, failed: result.failed + 1, note: `${what} timed out` }
  if (code !== 0 && result.failed === 0) return { ...result, failed: 1, note: `${what} exited with ${code}` }
  if (code === 0 && result.passed === 0 && result.failed === 0)
    return { ...result, failed: 1, note: `${what} ran no test` }
  return result
}

/** A missing service: skipped locally, a failure under CI. */
function unavailable(reason) {
  return CI
    ? { passed: 0, failed: 1, skipped: 0, note: `${reason} (required under CI=true)` }
    : { skipped: 1, note: reason }
}

async function stage(name, body) {
  console.log(`\n==================== ${name} ====================`)
  const started = Date.now()
  let result
  try {
    result = await body()
  } catch (error) {
    result = { failed: 1, note: error instanceof Error ? error.message : String(error) }
  }
  const entry = {
    name,
    passed: result.passed ?? 0,
    failed: result.failed ?? 0,
    skipped: result.skipped ?? 0,
    note: result.note,
    seconds: (Date.now() - started) / 1000,
  }
  entry.status = entry.failed > 0 ? 'FAILED' : entry.passed > 0 ? 'passed' : 'skipped'
  results.push(entry)
  console.log(
    `-- ${name}: ${entry.status} (${entry.passed} passed, ${entry.failed} failed, ${entry.skipped} skipped) ` +
      `in ${entry.seconds.toFixed(1)}s${entry.note ? ` — ${entry.note}` : ''}`,
  )
  return entry
}

/** One command that either passes or fails as a whole. */
async function commandStage(command, args, timeoutMs) {
  const result = await run(command, args, { timeoutMs })
  const what = [command, ...args].join(' ')
  if (result.timedOut) return { failed: 1, note: `${what} timed out` }
  return result.code === 0 ? { passed: 1 } : { failed: 1, note: `${what} exited with ${result.code}` }
}

async function buildStage() {
  const packages = await commandStage('npx', ['tsc', '-b'], 15 * 60_000)
  if (packages.failed) return packages
  // The web UI: its type check, then `vite build` into packages/ui/dist (served by `cairn server` at /).
  const uiTypes = await commandStage('npx', ['tsc', '-p', 'packages/ui/tsconfig.json'], 5 * 60_000)
  if (uiTypes.failed) return uiTypes
  return commandStage('npm', ['run', 'build', '--workspace', '@cairn/ui'], 5 * 60_000)
}

async function vitestStage() {
  const report = path.join(work, 'vitest.json')
  const result = await run(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { timeoutMs: 30 * 60_000 },
  )
  let counts
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'))
    // A file that fails to load, or whose beforeAll throws, reports no failed test of its own: count it once.
    const brokenFiles = (json.testResults ?? []).filter(
      (file) =>
        file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
    ).length
    counts = {
      passed: json.numPassedTests ?? 0,
      failed: (json.numFailedTests ?? 0) + brokenFiles,
      skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
    }
  }
  return outcome(result, counts, 'vitest')
}

async function pytestStage(url, store, extraEnv = {}) {
  const report = path.join(work, `pytest-${store}.xml`)
  const result = await run(
    VENV_PYTHON,
    ['-m', 'pytest', 'compat', '-p', 'no:cacheprovider', '-q', '-rfEs', `--junitxml=${report}`],
    { env: { CAIRN_COMPAT_URL: url, CAIRN_COMPAT_STORE: store, ...extraEnv }, timeoutMs: 15 * 60_000 },
  )
  return outcome(result, junitCounts(report), 'pytest')
}

async function schemathesisStage(url, store) {
  const report = path.join(work, `schemathesis-${store}.xml`)
  const result = await run(
    VENV_SCHEMATHESIS,
    [
      'run',
      `${url}/api/openapi.json`,
      '--url',
      url,
      // not_a_server_error, less the 500 that MLflow's protocol defines for INVALID_STATE (compat/schemathesis_hooks.py).
      '--checks',
      'mlflow_not_a_server_error',
      '--max-examples',
      SCHEMATHESIS_MAX_EXAMPLES,
      '--phases',
      'examples,coverage,fuzzing,stateful',
      '--workers',
      '2',
      '--request-timeout',
      '30',
      '--seed',
      '42',
      '--generation-database',
      'none',
      '--suppress-health-check',
      'all',
      '--no-color',
      '--report',
      'junit',
      '--report-junit-path',
      report,
    ],
    {
      env: {
        SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
        PYTHONPATH: [path.join(REPO_ROOT, 'compat'), process.env.PYTHONPATH]
          .filter(Boolean)
          .join(path.delimiter),
      },
      timeoutMs: 10 * 60_000,
    },
  )
  return outcome(result, junitCounts(report), 'schemathesis')
}

/** The compat suite and schemathesis against one freshly started server on `store`. */
async function liveServerStages(store) {
  const names = ['compat', 'schemathesis'].filter(wanted).map((name) => `${name}:${store}`)
  if (names.length === 0) return
  const skipAll = async (reason) => {
    for (const name of names) await stage(name, async () => reason)
  }
  if (!requestedStores().includes(store)) {
    for (const name of names)
      await stage(name, async () => ({ skipped: 1, note: `STORES=${process.env.STORES}` }))
    return
  }
  if (!existsSync(VENV_PYTHON) || !existsSync(VENV_SCHEMATHESIS)) {
    return skipAll(unavailable('no .venv with mlflow and schemathesis (see .ci/run)'))
  }
  let backendStoreUri
  let database
  let sqliteDir
  if (store === 'postgres') {
    const problem = await postgresProblem()
    if (problem) return skipAll(unavailable(`PostgreSQL at ${postgresUrl()} unreachable: ${problem}`))
    database = await createDatabase(postgresUrl(), 'cairn_npm_test')
    backendStoreUri = database.url
  } else {
    sqliteDir = tempDir('cairn-npm-test-sqlite-')
    backendStoreUri = sqliteUri(path.join(sqliteDir, 'cairn.db'))
  }
  let server
  let s3
  const before = results.length
  try {
    // Artifacts: the SQLite server proxies to a local folder, the PostgreSQL one to S3 (an s3rver on
    // loopback); both suites also log to a direct s3:// experiment root (compat/test_artifacts.py).
    s3 = await startS3rverProcess()
    const s3Destination = `s3://${s3.bucket}/proxied-${store}`
    const artifactEnv = {
      ...s3.env,
      CAIRN_COMPAT_S3_ROOT:
        store === 'postgres' ? `${s3Destination}/direct` : `s3://${s3.bucket}/direct-${store}`,
      CAIRN_COMPAT_S3_SERVED: store === 'postgres' ? '1' : '0',
    }
    console.log(`\nstarting Cairn on ${store} (${backendStoreUri})`)
    try {
      server = await startCairn({
        backendStoreUri,
        env: s3.env,
        extraArgs: store === 'postgres' ? ['--artifacts-destination', s3Destination] : [],
      })
    } catch (error) {
      const note = `server did not start: ${error instanceof Error ? error.message : String(error)}`
      for (const name of names) await stage(name, async () => ({ failed: 1, note }))
      return
    }
    console.log(`Cairn on ${store} listening at ${server.url} (log: ${server.logFile})`)
    if (wanted('compat')) await stage(`compat:${store}`, () => pytestStage(server.url, store, artifactEnv))
    if (wanted('schemathesis'))
      await stage(`schemathesis:${store}`, () => schemathesisStage(server.url, store))
    const alive = await fetch(`${server.url}/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (!alive) {
      await stage(`server:${store}`, async () => ({
        failed: 1,
        note: `the server died during the run; log tail:\n${server.logTail(60)}`,
      }))
    }
  } finally {
    await server?.stop()
    await s3?.close()
    await database
      ?.drop()
      .catch((error) => console.error(`could not drop ${database.name}: ${error.message}`))
    // Keep the server's log and data for a look when something failed.
    if (results.slice(before).some((entry) => entry.failed > 0)) {
      if (server) console.log(`server log kept at ${server.logFile}`)
    } else {
      if (server) rmSync(server.workDir, { recursive: true, force: true })
      if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true })
    }
  }
}

async function main() {
  console.log(
    `Cairn tests — node ${process.version}, CI=${CI}, STORES=${process.env.STORES ?? '(both)'}, ` +
      `PostgreSQL ${postgresUrl()}`,
  )
  if (wanted('check'))
    await stage('check', () =>
      commandStage('npx', ['biome', 'check', '.', '--max-diagnostics=100'], 5 * 60_000),
    )
  if (wanted('typecheck'))
    await stage('typecheck', () => commandStage('npx', ['tsc', '-p', 'tsconfig.spec.json'], 10 * 60_000))
  if (wanted('build')) await stage('build', buildStage)
  if (wanted('vitest')) await stage('vitest', vitestStage)
  await liveServerStages('sqlite')
  await liveServerStages('postgres')

  console.log('\n==================== summary ====================')
  for (const entry of results) {
    console.log(
      `${entry.status.padEnd(8)} ${entry.name.padEnd(22)} ${String(entry.passed).padStart(5)} passed ` +
        `${String(entry.failed).padStart(4)} failed ${String(entry.skipped).padStart(4)} skipped ` +
        `${entry.seconds.toFixed(1).padStart(7)}s${entry.note ? `  ${entry.note.split('\n')[0]}` : ''}`,
    )
  }
  const total = (key) => results.reduce((sum, entry) => sum + entry[key], 0)
  const passed = total('passed')
  const failed = total('failed')
  const skipped = total('skipped')
  rmSync(work, { recursive: true, force: true })
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0
}

await main()
