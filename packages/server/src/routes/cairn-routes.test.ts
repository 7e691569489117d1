import { expect, it } from 'vitest'
import { describeEachStore } from '../test-support/store-fixtures.js'
import { API, createExperiment, createRun, expectError, expectOk } from '../test-support/test-data.js'

const BUCKETS = '/ajax-api/2.0/cairn/metrics/get-history-buckets'

describeEachStore('cairn chart routes', (context) => {
  async function runWithSpike(): Promise<string> {
    const runId = (await createRun(context.api, await createExperiment(context.api))).info.run_id as string
    const metrics = Array.from({ length: 1000 }, (_, step) => ({
      key: 'loss',
      value: step === 777 ? 50 : 1,
      timestamp: 10 + step,
      step,
    }))
    expectOk(await context.api.post(`${API}/runs/log-batch`, { run_id: runId, metrics }))
    return runId
  }

  it('answers min/max/first/last per bucket and keeps a spike', async () => {
    const runId = await runWithSpike()
    const response = await context.api.get(BUCKETS, { run_id: [runId], metric_key: 'loss', buckets: 10 })
    expectOk(response)
    expect(response.body.buckets).toHaveLength(10)
    expect(response.body.buckets[7]).toEqual({
      run_id: runId,
      bucket: 7,
      count: 100,
      min: 1,
      max: 50,
      first_step: 700,
      first_value: 1,
      first_timestamp: 710,
      last_step: 799,
      last_value: 1,
      last_timestamp: 809,
    })
  })

  it('zooms into a step range, also under /api/2.0', async () => {
    const runId = await runWithSpike()
    const response = await context.api.get('/api/2.0/cairn/metrics/get-history-buckets', {
      run_id: [runId],
      metric_key: 'loss',
      min_step: 770,
      max_step: 779,
    })
    expectOk(response)
    expect(response.body.buckets.map((bucket: { first_step: number }) => bucket.first_step)).toEqual([
      770, 771, 772, 773, 774, 775, 776, 777, 778, 779,
    ])
  })

  it('answers MLflow errors for bad input', async () => {
    const runId = await runWithSpike()
    expectError(await context.api.get(BUCKETS, { metric_key: 'loss' }), 400, 'INVALID_PARAMETER_VALUE')
    expectError(
      await context.api.get(BUCKETS, { run_id: [runId], metric_key: 'loss', buckets: 'x' }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await context.api.get(BUCKETS, { run_id: [runId], metric_key: 'loss', buckets: 100000 }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await context.api.get(BUCKETS, { run_id: [runId], metric_key: 'loss', min_step: 3 }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await context.api.get(BUCKETS, { run_id: ['f'.repeat(32)], metric_key: 'loss' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  it('is documented in the OpenAPI document', async () => {
    const response = await context.api.get('/api/openapi.json')
    expect(Object.keys(response.body.paths)).toContain('/ajax-api/2.0/cairn/metrics/get-history-buckets')
  })
})
