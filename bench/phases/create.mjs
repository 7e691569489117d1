import { performance } from 'node:perf_hooks'
import { API, createExperiment, lanes } from '../lib/api.mjs'
import { bodyJson, bodyText } from '../lib/http.mjs'

/**
 * Run creation: `concurrency` clients, each looping runs/create followed by one small runs/log-batch
 * (5 metrics, 5 params, 2 tags) on the new run. A run counts when both calls answered 200.
 */
export const create = {
  name: 'create',
  stubOk: true,
  unit: 'runs/s',

  prepare(ctx) {
    const metrics = Array.from({ length: 5 }, (_, i) => ({
      key: `m${i}`,
      value: i / 7,
      timestamp: ctx.t0,
      step: 0,
    }))
    const params = Array.from({ length: 5 }, (_, i) => ({ key: `p${i}`, value: `value-${i}` }))
    const tags = [
      { key: 'team', value: 'bench' },
      { key: 'stage', value: 'create' },
    ]
    this.logSuffix = Buffer.from(`${JSON.stringify({ metrics, params, tags }).replace(/^\{/, '",')}`)
    this.logPrefix = Buffer.from('{"run_id":"')
    this.warmed = new Set()
  },

  async measure(ctx, server, rep) {
    const { concurrency, createSeconds, createRunsPerClient } = ctx.options
    const { client } = server
    const experimentId = await createExperiment(client, `bench-create-${rep}-${Date.now()}`)
    const createPath = `${API}/runs/create`
    const logPath = `${API}/runs/log-batch`
    const createBody = (lane, n) =>
      Buffer.from(
        `{"experiment_id":"${experimentId}","run_name":"c${rep}-${lane}-${n}","start_time":${ctx.t0 + n},"user_id":"bench","tags":[{"key":"source","value":"bench"}]}`,
      )
    const one = async (lane, n) => {
      const created = await client.post(createPath, createBody(lane, n))
      if (created.status !== 200)
        return { ok: false, error: `create ${created.status} ${bodyText(created).slice(0, 300)}` }
      const runId = bodyJson(created).run.info.run_id
      const logged = await client.post(logPath, [this.logPrefix, Buffer.from(runId), this.logSuffix])
      if (logged.status !== 200)
        return { ok: false, error: `log-batch ${logged.status} ${bodyText(logged).slice(0, 300)}` }
      return { ok: true, ms: created.ms + logged.ms }
    }
    if (!this.warmed.has(server.name)) {
      this.warmed.add(server.name)
      for (let n = 0; n < 20; n++) await one(99, n)
    }
    let ok = 0
    let errors = 0
    let firstError
    const deadline = performance.now() + createSeconds * 1000
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    let finished = started
    await lanes(concurrency, async (lane) => {
      for (let n = 0; n < createRunsPerClient && performance.now() < deadline; n++) {
        const result = await one(lane, n)
        finished = Math.max(finished, performance.now())
        if (result.ok) ok += 1
        else {
          errors += 1
          firstError ??= result.error
        }
      }
    })
    const seconds = (finished - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    return {
      value: ok / seconds,
      runs: ok,
      errors,
      firstError,
      seconds,
      clientCpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
    }
  },
}
