import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunningServer } from './start-server.js'
import { startServer } from './start-server.js'

describe('startServer', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'cairn-server-'))
  let server: RunningServer | undefined

  afterAll(async () => {
    await server?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('serves the API over HTTP on a random port and stops cleanly', async () => {
    server = await startServer({
      port: 0,
      backendStoreUri: `sqlite:///${path.join(directory, 'cairn.db')}`,
      handleSignals: false,
    })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const health = await fetch(`${server.url}/health`)
    expect([health.status, await health.text()]).toEqual([200, 'OK'])

    const created = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'over-http' }),
    })
    expect(created.status).toBe(200)
    const { experiment_id: experimentId } = (await created.json()) as { experiment_id: string }

    const run = await fetch(`${server.url}/api/2.0/mlflow/runs/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_id: experimentId }),
    })
    const runId = ((await run.json()) as { run: { info: { run_id: string } } }).run.info.run_id
    const metrics = Array.from({ length: 3000 }, (_, step) => ({
      key: 'm',
      value: step,
      timestamp: step,
      step,
    }))
    for (let start = 0; start < metrics.length; start += 1000) {
      const logged = await fetch(`${server.url}/api/2.0/mlflow/runs/log-batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ run_id: runId, metrics: metrics.slice(start, start + 1000) }),
      })
      expect(logged.status).toBe(200)
    }
    const history = await fetch(
      `${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=m`,
    )
    expect(history.status).toBe(200)
    expect(((await history.json()) as { metrics: unknown[] }).metrics).toHaveLength(3000)

    const fetched = await fetch(
      `${server.url}/ajax-api/2.0/mlflow/experiments/get?experiment_id=${experimentId}`,
    )
    expect(
      ((await fetched.json()) as { experiment: { artifact_location: string } }).experiment.artifact_location,
    ).toBe(`mlflow-artifacts:/${experimentId}`)

    const running = server
    server = undefined
    await running.close()
    await expect(fetch(`${running.url}/health`)).rejects.toThrow()
  })
})
