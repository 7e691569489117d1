// The npm `mlflow` client (2.0.7) against a real Cairn server started from the built CLI.
// It only covers the calls that package makes correctly: `Experiments.list` targets the endpoint MLflow 2 removed,
// `Experiments.setExperimentTag` builds a broken path, and artifacts are a later issue.
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import mlflowExport from 'mlflow'
import { RunStatus, ViewType } from 'mlflow/enum.js'
import type * as MlflowModule from 'mlflow/lib/mlflow.js'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type CairnProcess, sqliteUri, startCairn, tempDir } from './helpers/cairn-process.mjs'

// The package is CommonJS (`module.exports = MLflow`) while its types declare an ES default export.
type MLflowClass = typeof MlflowModule.default.default
const MLflow = mlflowExport as unknown as MLflowClass
type MLflow = InstanceType<MLflowClass>

let server: CairnProcess
let client: MLflow

beforeAll(async () => {
  // The package prints every request body with console.log.
  vi.spyOn(console, 'log').mockImplementation(() => {})
  server = await startCairn({ backendStoreUri: sqliteUri(path.join(tempDir(), 'npm-client.db')) })
  client = new MLflow({ endpoint: server.url })
})

afterAll(async () => {
  await server?.stop()
  vi.restoreAllMocks()
})

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 12)}`

/** The package throws `Error("Error: {status, statusText, data}")` for every non-200 answer. */
async function failure(
  call: Promise<unknown>,
): Promise<{ status: number; data: { error_code?: string } | null }> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(Error)
  return JSON.parse((error as Error).message.replace(/^Error: /, ''))
}

async function newExperiment(): Promise<string> {
  const { experiment_id } = await client.Experiments.create({
    name: uniqueName('npm'),
    artifact_location: '',
  })
  return experiment_id
}

describe('the npm mlflow client', () => {
  it('creates, reads, renames, deletes and restores experiments', async () => {
    const name = uniqueName('npm-exp')
    const { experiment_id } = await client.Experiments.create({ name, artifact_location: '' })
    expect(experiment_id).toMatch(/^\d+$/)

    const { experiment } = await client.Experiments.get({ experiment_id })
    expect(experiment).toMatchObject({ experiment_id, name, lifecycle_stage: 'active' })
    expect(experiment.creation_time).toBeGreaterThan(0)

    await client.Experiments.update({ experiment_id, new_name: `${name}-renamed` })
    expect((await client.Experiments.get({ experiment_id })).experiment.name).toBe(`${name}-renamed`)

    await client.Experiments.delete({ experiment_id })
    expect((await client.Experiments.get({ experiment_id })).experiment.lifecycle_stage).toBe('deleted')
    await client.Experiments.restore({ experiment_id })
    expect((await client.Experiments.get({ experiment_id })).experiment.lifecycle_stage).toBe('active')
  })

  it('answers a duplicate name with RESOURCE_ALREADY_EXISTS and an unknown id with RESOURCE_DOES_NOT_EXIST', async () => {
    const name = uniqueName('npm-dup')
    await client.Experiments.create({ name, artifact_location: '' })
    const duplicate = await failure(client.Experiments.create({ name, artifact_location: '' }))
    expect(duplicate.status).toBe(400)
    expect(duplicate.data?.error_code).toBe('RESOURCE_ALREADY_EXISTS')

    const missing = await failure(client.Experiments.get({ experiment_id: '987654321' }))
    expect(missing.status).toBe(404)
    expect(missing.data?.error_code).toBe('RESOURCE_DOES_NOT_EXIST')

    const missingRun = await failure(client.Runs.get({ run_id: 'f'.repeat(32) }))
    expect(missingRun.status).toBe(404)
    expect(missingRun.data?.error_code).toBe('RESOURCE_DOES_NOT_EXIST')
  })

  it('creates a run and logs metrics, params, tags and batches', async () => {
    const experiment_id = await newExperiment()
    const { run } = await client.Runs.create({
      experiment_id,
      user_id: 'npm-user',
      start_time: 123,
      tags: [{ key: 'origin', value: 'npm' }],
    })
    const run_id = run.info.run_id
    expect(run.info).toMatchObject({ experiment_id, user_id: 'npm-user', start_time: 123, status: 'RUNNING' })

    await client.Runs.logMetric({ run_id, key: 'loss', value: 0.5, timestamp: 10, step: 1 })
    await client.Runs.logMetric({ run_id, key: 'loss', value: 0.25, timestamp: 20, step: 2 })
    await client.Runs.logParameter({ run_id, key: 'lr', value: '0.01' })
    await client.Runs.setTag({ run_id, key: 'stage', value: 'train' })
    await client.Runs.setTag({ run_id, key: 'temporary', value: 'x' })
    await client.Runs.deleteTag({ run_id, key: 'temporary' })
    await client.Runs.logBatch({
      run_id,
      metrics: [
        { key: 'acc', value: 0.75, timestamp: 30, step: 0 },
        { key: 'acc', value: 0.8, timestamp: 31, step: 1 },
      ],
      params: [{ key: 'epochs', value: '3' }],
      tags: [{ key: 'team', value: 'red' }],
    })

    const { run: fetched } = await client.Runs.get({ run_id })
    const metrics = Object.fromEntries(fetched.data.metrics.map((metric) => [metric.key, metric.value]))
    const params = Object.fromEntries(fetched.data.params.map((param) => [param.key, param.value]))
    const tags = Object.fromEntries(fetched.data.tags.map((tag) => [tag.key, tag.value]))
    expect(metrics).toEqual({ loss: 0.25, acc: 0.8 })
    expect(params).toEqual({ lr: '0.01', epochs: '3' })
    expect(tags).toMatchObject({ origin: 'npm', stage: 'train', team: 'red' })
    expect(tags).not.toHaveProperty('temporary')

    const { metrics: history } = await client.Metrics.getHistory({ run_id, metric_key: 'loss' })
    expect(history.map(({ value, timestamp, step }) => ({ value, timestamp, step }))).toEqual([
      { value: 0.5, timestamp: 10, step: 1 },
      { value: 0.25, timestamp: 20, step: 2 },
    ])
  })

  it('searches runs with a filter, order and paging', async () => {
    const experiment_id = await newExperiment()
    const ids: string[] = []
    for (let index = 0; index < 5; index++) {
      const { run } = await client.Runs.create({ experiment_id, user_id: 'npm', start_time: 1000 + index })
      await client.Runs.logMetric({ run_id: run.info.run_id, key: 'score', value: index, timestamp: 1 })
      ids.push(run.info.run_id)
    }
    const filtered = await client.Runs.search({
      experiment_ids: [experiment_id],
      filter: 'metrics.score >= 2',
      order_by: ['metrics.score DESC'],
    })
    expect(filtered.runs.map((run) => run.info.run_id)).toEqual([ids[4], ids[3], ids[2]])

    const first = await client.Runs.search({ experiment_ids: [experiment_id], max_results: 2 })
    expect(first.runs.map((run) => run.info.run_id)).toEqual([ids[4], ids[3]])
    expect(first.next_page_token).toBeTruthy()
    const second = await client.Runs.search({
      experiment_ids: [experiment_id],
      max_results: 2,
      page_token: first.next_page_token,
    })
    expect(second.runs.map((run) => run.info.run_id)).toEqual([ids[2], ids[1]])
  })

  it('terminates, deletes and restores runs', async () => {
    const experiment_id = await newExperiment()
    const { run } = await client.Runs.create({ experiment_id, user_id: 'npm', start_time: Date.now() })
    const run_id = run.info.run_id

    const { run_info } = await client.Runs.update({ run_id, status: RunStatus.FINISHED, end_time: 4242 })
    expect(run_info).toMatchObject({ run_id, status: 'FINISHED', end_time: 4242 })

    await client.Runs.delete({ run_id })
    expect((await client.Runs.get({ run_id })).run.info.lifecycle_stage).toBe('deleted')
    const deletedOnly = await client.Runs.search({
      experiment_ids: [experiment_id],
      run_view_type: ViewType.DELETED_ONLY,
    })
    expect(deletedOnly.runs.map((found) => found.info.run_id)).toEqual([run_id])
    const activeOnly = await client.Runs.search({
      experiment_ids: [experiment_id],
      run_view_type: ViewType.ACTIVE_ONLY,
    })
    expect(activeOnly.runs ?? []).toEqual([])

    await client.Runs.restore({ run_id })
    expect((await client.Runs.get({ run_id })).run.info.lifecycle_stage).toBe('active')
  })
})
