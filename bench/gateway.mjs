#!/usr/bin/env node
// LLM gateway benchmark (issue 7): the latency a gateway adds to a chat call, at a fixed request rate, against
// calling the provider directly — for Cairn's gateway and LiteLLM's proxy, in the same run, on the same fake
// provider — and the throughput ceiling of one Cairn gateway process, non-streamed and streamed.
// Everything listens on 127.0.0.1; every loop is bounded in count and time.
//
//   npx tsc -b && node bench/gateway.mjs [--rate 500] [--seconds 4] [--runs 3] [--no-litellm]
//     [--throughput-seconds 4] [--concurrency 32] [--litellm-bin .venv-bench/bin/litellm]
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/dist/bin.js')
/** Both gateways check this key (LiteLLM's master key, a Cairn `api_keys` entry); the fake provider ignores it. */
const BENCH_KEY = 'sk-cairn-bench-key'

function parseArgs(argv) {
  const options = {
    rate: 500,
    seconds: 4,
    runs: 3,
    warmup: 300,
    litellm: true,
    litellmBin: path.join(ROOT, '.venv-bench/bin/litellm'),
    throughputSeconds: 4,
    concurrency: 32,
    /** A second, lower rate every target can sustain (LiteLLM's single Python process cannot keep up with 500/s). */
    lowRate: 50,
  }
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]
    const value = () => argv[++index]
    if (flag === '--rate') options.rate = Number(value())
    else if (flag === '--seconds') options.seconds = Number(value())
    else if (flag === '--runs') options.runs = Number(value())
    else if (flag === '--warmup') options.warmup = Number(value())
    else if (flag === '--no-litellm') options.litellm = false
    else if (flag === '--litellm-bin') options.litellmBin = value()
    else if (flag === '--throughput-seconds') options.throughputSeconds = Number(value())
    else if (flag === '--concurrency') options.concurrency = Number(value())
    else if (flag === '--low-rate') options.lowRate = Number(value())
    else throw new Error(`unknown option ${flag}`)
  }
  return options
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, noDelay: true })

/** One POST; resolves with [latency ms, status]. */
function post(url, body, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint()
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${BENCH_KEY}`,
        },
      },
      (response) => {
        response.on('data', () => {})
        response.on('end', () =>
          resolve([Number(process.hrtime.bigint() - started) / 1e6, response.statusCode ?? 0]),
        )
        response.on('error', () => resolve([Number(process.hrtime.bigint() - started) / 1e6, 0]))
      },
    )
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timeout')))
    request.on('error', () => resolve([Number(process.hrtime.bigint() - started) / 1e6, 0]))
    request.end(body)
  })
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Open loop: `count` requests at `rate` per second whatever the answers' latency. */
async function openLoop(url, body, rate, count) {
  const latencies = []
  let errors = 0
  const pending = []
  const interval = 1000 / rate
  const started = performance.now()
  let sent = 0
  const deadline = started + (count / rate) * 1000 + 60_000
  while (sent < count && performance.now() < deadline) {
    const due = Math.min(count, Math.floor((performance.now() - started) / interval) + 1)
    while (sent < due) {
      sent++
      pending.push(
        post(url, body).then(([latency, status]) => {
          if (status === 200) latencies.push(latency)
          else errors++
        }),
      )
    }
    await sleep(1)
  }
  await Promise.all(pending)
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    ok: latencies.length,
    errors,
    achievedRate: sent / elapsed,
  }
}

/** Closed loop: `concurrency` clients back to back for `seconds`; answers per second. */
async function closedLoop(url, body, concurrency, seconds) {
  const stopAt = performance.now() + seconds * 1000
  let done = 0
  let errors = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < stopAt) {
        const [, status] = await post(url, body)
        if (status === 200) done++
        else errors++
      }
    }),
  )
  return { perSecond: done / seconds, errors }
}

function startProcess(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  return { child, output: () => output }
}

function stopProcess(handle) {
  if (!handle || handle.child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-handle.child.pid, 'SIGKILL')
      } catch {}
      resolve()
    }, 5000)
    handle.child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    try {
      process.kill(-handle.child.pid, 'SIGTERM')
    } catch {
      resolve()
    }
  })
}

async function waitForHttp(url, handle, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null)
      throw new Error(`process exited early:\n${handle.output().slice(-3000)}`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.status < 500) return
    } catch {}
    await sleep(200)
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${handle.output().slice(-3000)}`)
}

function freePort() {
  return new Promise((resolve) => {
    const server = http.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -b first`)
  const directory = mkdtempSync(path.join(os.tmpdir(), 'cairn-gateway-bench-'))
  const handles = []
  try {
    const fakePort = await freePort()
    const fake = startProcess(process.execPath, [
      path.join(ROOT, 'bench/gateway-fake-provider.mjs'),
      String(fakePort),
    ])
    handles.push(fake)
    const fakeUrl = `http://127.0.0.1:${fakePort}`
    await waitForHttp(`${fakeUrl}/`, fake, 10_000)

    const cairnPort = await freePort()
    const cairnConfig = path.join(directory, 'gateway.yaml')
    writeFileSync(
      cairnConfig,
      `endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: gpt-4o-mini, config: {openai_api_key: fake-key, openai_api_base: "${fakeUrl}/v1"}}\napi_keys:\n  - {name: bench, key: ${BENCH_KEY}}\n`,
    )
    const cairn = startProcess(process.execPath, [
      CLI,
      'gateway',
      'start',
      '--config-path',
      cairnConfig,
      '--port',
      String(cairnPort),
    ])
    handles.push(cairn)
    const cairnUrl = `http://127.0.0.1:${cairnPort}`
    await waitForHttp(`${cairnUrl}/health`, cairn, 30_000)

    const targets = [
      { name: 'direct', url: `${fakeUrl}/v1/chat/completions` },
      { name: 'cairn', url: `${cairnUrl}/v1/chat/completions` },
    ]
    let litellmVersion
    if (options.litellm) {
      if (!existsSync(options.litellmBin))
        throw new Error(
          `${options.litellmBin} is missing (python3 -m venv .venv-bench && .venv-bench/bin/pip install 'litellm[proxy]'), or pass --no-litellm`,
        )
      const litellmPort = await freePort()
      const litellmConfig = path.join(directory, 'litellm.yaml')
      writeFileSync(
        litellmConfig,
        `model_list:\n  - model_name: chat\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: ${fakeUrl}/v1\n      api_key: fake-key\nlitellm_settings:\n  telemetry: false\n  set_verbose: false\ngeneral_settings:\n  master_key: ${BENCH_KEY}\n`,
      )
      const litellm = startProcess(
        options.litellmBin,
        ['--config', litellmConfig, '--port', String(litellmPort), '--host', '127.0.0.1'],
        {
          env: {
            ...process.env,
            LITELLM_LOG: 'ERROR',
            LITELLM_TELEMETRY: 'False',
            TELEMETRY: 'False',
            DISABLE_SCHEMA_UPDATE: 'true',
          },
        },
      )
      handles.push(litellm)
      const litellmUrl = `http://127.0.0.1:${litellmPort}`
      await waitForHttp(`${litellmUrl}/health/liveliness`, litellm, 180_000)
      targets.push({ name: 'litellm', url: `${litellmUrl}/v1/chat/completions` })
      const versionHandle = startProcess(path.join(path.dirname(options.litellmBin), 'python'), [
        '-c',
        'import importlib.metadata as m; print(m.version("litellm"))',
      ])
      await new Promise((resolve) => versionHandle.child.once('exit', resolve))
      litellmVersion = versionHandle.output().trim()
    }

    const body = JSON.stringify({
      model: 'chat',
      messages: [{ role: 'user', content: 'Say something short.' }],
      max_tokens: 32,
    })
    const streamBody = JSON.stringify({
      model: 'chat',
      messages: [{ role: 'user', content: 'Say something short.' }],
      max_tokens: 32,
      stream: true,
    })
    const count = Math.round(options.rate * options.seconds)
    const latency = Object.fromEntries(targets.map((target) => [target.name, []]))
    for (const target of targets) {
      const check = await post(target.url, body)
      if (check[1] !== 200) throw new Error(`${target.name} answered ${check[1]} to a chat call`)
      await openLoop(target.url, body, options.rate, options.warmup) // warm-up, not measured
    }
    for (let run = 0; run < options.runs; run++) {
      for (const target of targets) {
        const result = await openLoop(target.url, body, options.rate, count)
        latency[target.name].push(result)
        process.stderr.write(
          `run ${run + 1} ${target.name}: p50 ${result.p50.toFixed(3)} ms p99 ${result.p99.toFixed(3)} ms (${result.ok} ok, ${result.errors} errors, ${result.achievedRate.toFixed(0)}/s)\n`,
        )
        await sleep(300)
      }
    }
    const added = addedLatency(targets, latency)

    const lowLatency = Object.fromEntries(targets.map((target) => [target.name, []]))
    if (options.lowRate > 0) {
      const lowCount = Math.round(options.lowRate * options.seconds)
      for (let run = 0; run < options.runs; run++) {
        for (const target of targets) {
          const result = await openLoop(target.url, body, options.lowRate, lowCount)
          lowLatency[target.name].push(result)
          process.stderr.write(
            `low-rate run ${run + 1} ${target.name}: p50 ${result.p50.toFixed(3)} ms p99 ${result.p99.toFixed(3)} ms (${result.errors} errors)\n`,
          )
          await sleep(300)
        }
      }
    }

    const upstreamClient = await compareUpstreamClients(targets[0].url, body, 3000)
    process.stderr.write(`upstream client: ${JSON.stringify(upstreamClient)}\n`)

    const throughput = {}
    for (const [name, url, payload] of [
      ['direct', targets[0].url, body],
      ['cairn', targets[1].url, body],
      ['cairn-stream', targets[1].url, streamBody],
      ...(options.litellm
        ? [
            ['litellm', targets[2].url, body],
            ['litellm-stream', targets[2].url, streamBody],
          ]
        : []),
    ]) {
      const runs = []
      for (let run = 0; run < options.runs; run++)
        runs.push(await closedLoop(url, payload, options.concurrency, options.throughputSeconds))
      throughput[name] = {
        perSecond: median(runs.map((run) => run.perSecond)),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
      }
      process.stderr.write(`throughput ${name}: ${throughput[name].perSecond.toFixed(0)}/s\n`)
    }

    const summary = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      litellmVersion,
      options,
      latency: summarizeLatency(latency),
      added,
      lowRate:
        options.lowRate > 0
          ? { latency: summarizeLatency(lowLatency), added: addedLatency(targets, lowLatency) }
          : undefined,
      throughput,
      upstreamClient,
    }
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
    const file = path.join(ROOT, 'bench/results', `gateway-${summary.date.replace(/[:.]/g, '-')}.json`)
    writeFileSync(file, JSON.stringify(summary, null, 2))
    process.stdout.write(renderMarkdown(summary))
    process.stderr.write(`results: ${file}\n`)
  } finally {
    for (const handle of handles.reverse()) await stopProcess(handle)
    agent.destroy()
    rmSync(directory, { recursive: true, force: true })
  }
}

/**
 * The gateway's own choice of HTTP client for provider calls: sequential calls to the fake provider with
 * node:http (keep-alive agent, what the gateway uses) and with the global fetch (undici), median of 3 rounds.
 */
async function compareUpstreamClients(url, body, count) {
  const viaHttp = () => post(url, body).then(([latency]) => latency)
  const viaFetch = async () => {
    const started = performance.now()
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    await response.text()
    return performance.now() - started
  }
  const result = {}
  for (const [name, call] of [
    ['node:http', viaHttp],
    ['fetch', viaFetch],
  ]) {
    const rounds = []
    for (let round = 0; round < 3; round++) {
      const latencies = []
      for (let index = 0; index < count; index++) latencies.push(await call())
      latencies.sort((a, b) => a - b)
      rounds.push({
        p50: percentile(latencies, 50),
        mean: latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
      })
    }
    result[name] = {
      p50: median(rounds.map((round) => round.p50)),
      mean: median(rounds.map((round) => round.mean)),
    }
  }
  return result
}

/** Per run, each gateway's percentile minus the direct call's; the median over runs. */
function addedLatency(targets, latency) {
  const added = {}
  for (const target of targets.filter((item) => item.name !== 'direct')) {
    const p50 = latency[target.name].map((result, run) => result.p50 - latency.direct[run].p50)
    const p99 = latency[target.name].map((result, run) => result.p99 - latency.direct[run].p99)
    added[target.name] = { p50: median(p50), p99: median(p99) }
  }
  return added
}

function summarizeLatency(latency) {
  return Object.fromEntries(
    Object.entries(latency).map(([name, results]) => [
      name,
      {
        p50: median(results.map((result) => result.p50)),
        p99: median(results.map((result) => result.p99)),
        errors: results.reduce((sum, result) => sum + result.errors, 0),
        achievedRate: median(results.map((result) => result.achievedRate)),
        runs: results,
      },
    ]),
  )
}

function latencyTable(latency, added) {
  const f = (value) => (Number.isFinite(value) ? value.toFixed(3) : 'n/a')
  const lines = [
    '| target | p50 ms | p99 ms | added p50 ms | added p99 ms | achieved req/s | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const [name, result] of Object.entries(latency)) {
    const extra = name === 'direct' ? ['–', '–'] : [f(added[name].p50), f(added[name].p99)]
    lines.push(
      `| ${name} | ${f(result.p50)} | ${f(result.p99)} | ${extra.join(' | ')} | ${result.achievedRate.toFixed(0)} | ${result.errors} |`,
    )
  }
  if (added.litellm && added.cairn)
    lines.push(
      '',
      `LiteLLM's added latency is ${(added.litellm.p50 / added.cairn.p50).toFixed(0)}× Cairn's at p50 and ${(added.litellm.p99 / added.cairn.p99).toFixed(0)}× at p99.`,
    )
  return lines
}

function renderMarkdown(summary) {
  const lines = [
    `Open loop at ${summary.options.rate} req/s, ${summary.options.seconds} s per run, median of ${summary.options.runs} runs (Node ${summary.node}, ${summary.cpus} CPUs${summary.litellmVersion ? `, LiteLLM ${summary.litellmVersion}` : ''}):`,
    '',
    ...latencyTable(summary.latency, summary.added),
  ]
  if (summary.lowRate)
    lines.push(
      '',
      `Open loop at ${summary.options.lowRate} req/s (a rate every target sustains), same runs:`,
      '',
      ...latencyTable(summary.lowRate.latency, summary.lowRate.added),
    )
  lines.push(
    '',
    `Throughput, ${summary.options.concurrency} clients back to back, ${summary.options.throughputSeconds} s, median of ${summary.options.runs}:`,
    '',
    '| target | calls/s | errors |',
    '|---|---:|---:|',
  )
  for (const [name, result] of Object.entries(summary.throughput))
    lines.push(`| ${name} | ${result.perSecond.toFixed(0)} | ${result.errors} |`)
  if (summary.upstreamClient)
    lines.push(
      '',
      'Provider-call client (sequential calls to the fake provider, median of 3 × 3000):',
      '',
      '| client | p50 ms | mean ms |',
      '|---|---:|---:|',
      ...Object.entries(summary.upstreamClient).map(
        ([name, result]) => `| ${name} | ${result.p50.toFixed(3)} | ${result.mean.toFixed(3)} |`,
      ),
    )
  return `${lines.join('\n')}\n`
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`)
  process.exit(1)
})
