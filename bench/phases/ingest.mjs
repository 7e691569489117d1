import { performance } from 'node:perf_hooks'
import { API, createExperiment, createRun, lanes } from '../lib/api.mjs'
import { bodyText } from '../lib/http.mjs'
import { rng } from '../lib/stats.mjs'

/**
 * log-batch ingest: `concurrency` clients, each logging 1000-metric batches (10 keys x 100 steps) to its own run,
 * back to back, until the batch cap or the time limit is reached. Bodies are serialised before the clock starts;
 * only the run-id prefix differs between runs.
 */
export const ingest = {
  name: 'ingest',
  stubOk: true,
  unit: 'metrics/s',

  prepare(ctx) {
    const { ingestBatchesPerClient: batches, ingestKeys: keys } = ctx.options
    const stepsPerBatch = 1000 / keys
    const random = rng(42)
    const chunks = []
    for (let batch = 0; batch < batches; batch++) {
      const parts = []
      for (let s = 0; s < stepsPerBatch; s++) {
        const step = batch * stepsPerBatch + s
        const timestamp = ctx.t0 + step
        for (let k = 0; k < keys; k++) {
          parts.push(`{"key":"m${k}","value":${random()},"timestamp":${timestamp},"step":${step}}`)
        }
      }
      chunks.push(Buffer.from(`","metrics":[${parts.join(',')}]}`))
    }
    this.chunks = chunks
    this.warmed = new Set()
  },

  async measure(ctx, server, rep) {
    const { concurrency, ingestSeconds } = ctx.options
    const { client } = server
    const experimentId = await createExperiment(client, `bench-ingest-${rep}-${Date.now()}`)
    const runIds = []
    for (let i = 0; i < concurrency; i++) {
      runIds.push(
        await createRun(client, {
          experiment_id: experimentId,
          run_name: `ingest-${rep}-${i}`,
          start_time: ctx.t0,
        }),
      )
    }
    const prefixes = runIds.map((id) => Buffer.from(`{"run_id":"${id}`))
    const path = `${API}/runs/log-batch`
    if (!this.warmed.has(server.name)) {
      // Warm-up on separate runs, not timed.
      this.warmed.add(server.name)
      const warmRun = await createRun(client, {
        experiment_id: experimentId,
        run_name: 'warm-up',
        start_time: ctx.t0,
      })
      const warmPrefix = Buffer.from(`{"run_id":"${warmRun}`)
      for (let b = 0; b < 10; b++) await client.post(path, [warmPrefix, this.chunks[b]])
    }
    let okMetrics = 0
    let errors = 0
    let firstError
    const latencies = []
    const deadline = performance.now() + ingestSeconds * 1000
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    let finished = started
    await lanes(concurrency, async (lane) => {
      for (let b = 0; b < this.chunks.length && performance.now() < deadline; b++) {
        const response = await client.post(path, [prefixes[lane], this.chunks[b]])
        finished = Math.max(finished, performance.now())
        latencies.push(response.ms)
        if (response.status === 200) okMetrics += 1000
        else {
          errors += 1
          firstError ??= `${response.status} ${bodyText(response).slice(0, 300)}`
        }
      }
    })
    const seconds = (finished - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    return {
      value: okMetrics / seconds,
      metrics: okMetrics,
      batches: latencies.length,
      errors,
      firstError,
      seconds,
      clientCpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
    }
  },
}
