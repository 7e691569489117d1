import { expect, it } from 'vitest'
import { describeEachStore } from '../test-support/store-fixtures.js'
import {
  API,
  asMap,
  createExperiment,
  createRun,
  expectError,
  expectOk,
  getRun,
} from '../test-support/test-data.js'

const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef'

describeEachStore('run routes', (context) => {
  it('creates a run with every field and reads it back', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const created = await createRun(api, experimentId, {
      start_time: 456,
      run_name: 'my name',
      user_id: 'someone',
      tags: [
        { key: 'my', value: 'tag' },
        { key: 'empty', value: '' },
      ],
    })
    const info = created.info
    expect(info.run_id).toMatch(/^[0-9a-f]{32}$/)
    expect(info).toMatchObject({
      run_uuid: info.run_id,
      run_name: 'my name',
      experiment_id: experimentId,
      user_id: 'someone',
      status: 'RUNNING',
      start_time: 456,
      lifecycle_stage: 'active',
    })
    expect(info).not.toHaveProperty('end_time')
    expect(typeof info.artifact_uri).toBe('string')
    expect(asMap(created.data.tags)).toEqual({ my: 'tag', empty: '', 'mlflow.runName': 'my name' })

    const fetched = await getRun(api, info.run_id)
    expect(fetched.info).toEqual(info)
    expect(asMap(fetched.data.tags)).toEqual(asMap(created.data.tags))
    expect(fetched.inputs).toEqual({})
    expect(fetched.outputs).toEqual({})
  })

  it('fills run defaults: status, start time, generated name, user from the mlflow.user tag', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const before = Date.now()
    const run = await createRun(api, experimentId, { tags: [{ key: 'mlflow.user', value: 'tag-user' }] })
    expect(run.info.status).toBe('RUNNING')
    expect(run.info.start_time).toBeGreaterThanOrEqual(before)
    expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/)
    expect(run.info.run_name.length).toBeLessThanOrEqual(20)
    expect(run.info.user_id).toBe('tag-user')
    expect(asMap(run.data.tags)['mlflow.runName']).toBe(run.info.run_name)

    const named = await createRun(api, experimentId, { tags: [{ key: 'mlflow.runName', value: 'from-tag' }] })
    expect(named.info.run_name).toBe('from-tag')
    const anonymous = await createRun(api, experimentId)
    expect(anonymous.info.user_id).toBe('unknown')
  })

  it('creates runs in the Default experiment when no experiment is given', async () => {
    const { api } = context
    const response = await api.post(`${API}/runs/create`, {})
    expectOk(response)
    expect(response.body.run.info.experiment_id).toBe('0')
  })

  it('accepts int64 fields as strings and enums as numbers', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const run = await createRun(api, experimentId, { start_time: '789' })
    expect(run.info.start_time).toBe(789)
    const updated = await api.post(`${API}/runs/update`, {
      run_id: run.info.run_id,
      status: 3,
      end_time: '800',
    })
    expectOk(updated)
    expect(updated.body.run_info).toMatchObject({ status: 'FINISHED', end_time: 800 })
    const byName = await api.post(`${API}/runs/update`, { run_id: run.info.run_id, status: 'KILLED' })
    expect(byName.body.run_info.status).toBe('KILLED')
    const byNumberText = await api.post(`${API}/runs/update`, { run_id: run.info.run_id, status: '4' })
    expect(byNumberText.body.run_info.status).toBe('FAILED')
    expectError(
      await api.post(`${API}/runs/update`, { run_id: run.info.run_id, status: 'DONE' }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await api.post(`${API}/runs/update`, { run_id: run.info.run_id, status: 9 }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await api.post(`${API}/runs/create`, { experiment_id: experimentId, start_time: 'soon' }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await api.post(`${API}/runs/create`, { experiment_id: experimentId, start_time: 1.5 }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expectError(
      await api.post(`${API}/runs/create`, {
        experiment_id: experimentId,
        start_time: '99999999999999999999',
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
  })

  it('rejects a run name that disagrees with the mlflow.runName tag', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const message = expectError(
      await api.post(`${API}/runs/create`, {
        experiment_id: experimentId,
        run_name: 'one',
        tags: [{ key: 'mlflow.runName', value: 'two' }],
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expect(message).toBe(
      "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='one', mlflow.runName='two').",
    )
    const agreeing = await createRun(api, experimentId, {
      run_name: 'same',
      tags: [{ key: 'mlflow.runName', value: 'same' }],
    })
    expect(agreeing.info.run_name).toBe('same')
  })

  it('answers 404 for unknown runs and experiments', async () => {
    const { api } = context
    expectError(await api.get(`${API}/runs/get`, { run_id: UNKNOWN_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST')
    expectError(
      await api.post(`${API}/runs/create`, { experiment_id: '987654321' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expectError(await api.post(`${API}/runs/delete`, { run_id: UNKNOWN_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST')
    expectError(
      await api.post(`${API}/runs/restore`, { run_id: UNKNOWN_RUN }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expectError(
      await api.post(`${API}/runs/update`, { run_id: UNKNOWN_RUN, status: 'FINISHED' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expectError(
      await api.post(`${API}/runs/log-metric`, { run_id: UNKNOWN_RUN, key: 'm', value: 1, timestamp: 1 }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expectError(
      await api.post(`${API}/runs/log-batch`, { run_id: 'f'.repeat(32), params: [] }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expectError(
      await api.post(`${API}/runs/delete-tag`, { run_id: UNKNOWN_RUN, key: 'k' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expect(expectError(await api.get(`${API}/runs/get`), 400, 'INVALID_PARAMETER_VALUE')).toBe(
      "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
    )
  })

  it('accepts the legacy run_uuid wherever run_id goes', async () => {
    const { api } = context
    const run = await createRun(api, await createExperiment(api))
    const runUuid = run.info.run_id
    expectOk(await api.post(`${API}/runs/set-tag`, { run_uuid: runUuid, key: 'k', value: 'v' }))
    expectOk(await api.post(`${API}/runs/log-parameter`, { run_uuid: runUuid, key: 'p', value: 'v' }))
    expectOk(
      await api.post(`${API}/runs/log-metric`, { run_uuid: runUuid, key: 'm', value: 1, timestamp: 1 }),
    )
    expectOk(await api.post(`${API}/runs/log-batch`, { run_uuid: runUuid, tags: [{ key: 'b', value: 'c' }] }))
    expectOk(await api.post(`${API}/runs/update`, { run_uuid: runUuid, status: 'FINISHED' }))
    const fetched = await api.get(`${API}/runs/get`, { run_uuid: runUuid })
    expectOk(fetched)
    expect(fetched.body.run.info.status).toBe('FINISHED')
    expect(asMap(fetched.body.run.data.tags)).toMatchObject({ k: 'v', b: 'c' })
    expectOk(await api.post(`${API}/runs/delete`, { run_uuid: runUuid }))
    expectOk(await api.post(`${API}/runs/restore`, { run_uuid: runUuid }))
  })

  it('logs metrics, params and tags and returns the latest metric values', async () => {
    const { api } = context
    const run = await createRun(api, await createExperiment(api))
    const runId = run.info.run_id
    const logMetric = (fields: Record<string, unknown>) =>
      api.post(`${API}/runs/log-metric`, { run_id: runId, ...fields })
    expectOk(await logMetric({ key: 'loss', value: 5, timestamp: 100, step: 5 }))
    expectOk(await logMetric({ key: 'loss', value: 2, timestamp: 999, step: 2 }))
    expectOk(await logMetric({ key: 'nan', value: 'NaN', timestamp: 1 }))
    expectOk(await logMetric({ key: 'inf', value: 'Infinity', timestamp: 1 }))
    expectOk(await logMetric({ key: 'neg-inf', value: '-Infinity', timestamp: 1 }))
    expectOk(await logMetric({ key: 'text-number', value: '2.5', timestamp: 1 }))
    expectOk(await logMetric({ key: 'negative-step', value: 1.5, timestamp: 0, step: -3 }))
    expectOk(await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' }))
    expectOk(await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'empty' }))
    expectOk(await api.post(`${API}/runs/set-tag`, { run_id: runId, key: 'stage', value: 'one' }))
    expectOk(await api.post(`${API}/runs/set-tag`, { run_id: runId, key: 'stage', value: 'two' }))

    const fetched = await getRun(api, runId)
    const metrics = Object.fromEntries(
      fetched.data.metrics.map((m: { key: string }) => [m.key, m]),
    ) as Record<string, { value: unknown; step: number; timestamp: number }>
    expect(metrics.loss).toMatchObject({ value: 5, step: 5, timestamp: 100 })
    expect(metrics.nan?.value).toBe('NaN')
    expect(
      metrics.inf?.value === 'Infinity' || (metrics.inf?.value as number) >= 1.7976931348623157e308,
    ).toBe(true)
    expect(
      metrics['neg-inf']?.value === '-Infinity' ||
        (metrics['neg-inf']?.value as number) <= -1.7976931348623157e308,
    ).toBe(true)
    expect(metrics['text-number']?.value).toBe(2.5)
    expect(metrics['negative-step']?.step).toBe(-3)
    expect(asMap(fetched.data.params)).toEqual({ lr: '0.1', empty: '' })
    expect(asMap(fetched.data.tags).stage).toBe('two')
  })

  it('keeps params write-once', async () => {
    const { api } = context
    const runId = (await createRun(api, await createExperiment(api))).info.run_id
    expectOk(await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' }))
    expectOk(await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' }))
    expectError(
      await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.2' }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expect(asMap((await getRun(api, runId)).data.params)).toEqual({ lr: '0.1' })
  })

  it('validates log-metric, log-parameter and set-tag requests with MLflow’s messages', async () => {
    const { api } = context
    const runId = (await createRun(api, await createExperiment(api))).info.run_id
    const metric = { run_id: runId, key: 'metric', value: 41, timestamp: 59, step: 26 }
    const metricCases: [Record<string, unknown>, string][] = [
      [{ run_id: 31 }, "Invalid value 31 for parameter 'run_id' supplied"],
      [{ key: 31 }, "Invalid value 31 for parameter 'key' supplied"],
      [{ step: 'foo' }, 'Invalid value "foo" for parameter \'step\' supplied'],
      [{ timestamp: 'foo' }, 'Invalid value "foo" for parameter \'timestamp\' supplied'],
      [{ value: 'abc' }, 'Invalid value "abc" for parameter \'value\' supplied'],
      [
        { value: true },
        "Invalid value true for parameter 'value' supplied:  Hint: Value was of type 'bool'.",
      ],
      [{ run_id: undefined }, "Missing value for required parameter 'run_id'"],
      [{ key: undefined }, "Missing value for required parameter 'key'"],
      [{ key: '' }, "Missing value for required parameter 'key'"],
      [{ value: undefined }, "Missing value for required parameter 'value'"],
      [{ timestamp: undefined }, "Missing value for required parameter 'timestamp'"],
      [
        { timestamp: -1 },
        "Invalid value -1 for parameter 'timestamp' supplied: metric 'metric' (value=41.0).",
      ],
      [{ key: 'bad!key' }, 'Invalid value "bad!key" for parameter \'name\' supplied: Names may only contain'],
      [{ key: '../up' }, "This name would resolve to '../up'"],
      [{ key: 'k'.repeat(251) }, "'Metric name' exceeds the maximum length of 250 characters"],
    ]
    for (const [overrides, message] of metricCases) {
      const response = await api.post(`${API}/runs/log-metric`, { ...metric, ...overrides })
      expect(expectError(response, 400, 'INVALID_PARAMETER_VALUE')).toContain(message)
    }
    const nullKey = await api.post(`${API}/runs/log-metric`, { ...metric, key: null })
    expect(expectError(nullKey, 400, 'INVALID_PARAMETER_VALUE')).toContain(
      "Missing value for required parameter 'key'",
    )

    expect(
      expectError(
        await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 31, value: '41' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Invalid value 31 for parameter 'key' supplied")
    expect(
      expectError(
        await api.post(`${API}/runs/set-tag`, { run_id: runId, key: 'tag', value: 41 }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Invalid value 41 for parameter 'value' supplied")
    expect(
      expectError(
        await api.post(`${API}/runs/set-tag`, { run_id: runId, value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Missing value for required parameter 'key'")
    expect(
      expectError(
        await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'p'.repeat(251), value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe("'Param key' exceeds the maximum length of 250 characters")
  })

  it('truncates long param and tag values (MLFLOW_TRUNCATE_LONG_VALUES)', async () => {
    const { api } = context
    const runId = (await createRun(api, await createExperiment(api))).info.run_id
    expectOk(
      await api.post(`${API}/runs/log-parameter`, {
        run_id: runId,
        key: 'at-limit',
        value: 'a'.repeat(6000),
      }),
    )
    expectOk(
      await api.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'over', value: 'b'.repeat(7000) }),
    )
    expectOk(
      await api.post(`${API}/runs/set-tag`, { run_id: runId, key: 'long-tag', value: 'c'.repeat(9000) }),
    )
    const run = await getRun(api, runId)
    const params = asMap(run.data.params) as Record<string, string>
    expect(params['at-limit']).toHaveLength(6000)
    expect(params.over).toBe('b'.repeat(6000))
    expect((asMap(run.data.tags) as Record<string, string>)['long-tag']).toBe('c'.repeat(8000))
  })

  it('updates only the given run fields and keeps the name and its tag in sync', async () => {
    const { api } = context
    const run = await createRun(api, await createExperiment(api), { run_name: 'before' })
    const runId = run.info.run_id
    const finished = await api.post(`${API}/runs/update`, {
      run_id: runId,
      status: 'FINISHED',
      end_time: 1234,
    })
    expect(finished.body.run_info).toMatchObject({ status: 'FINISHED', end_time: 1234, run_name: 'before' })
    const renamed = await api.post(`${API}/runs/update`, { run_id: runId, run_name: 'after' })
    expect(renamed.body.run_info).toMatchObject({ status: 'FINISHED', end_time: 1234, run_name: 'after' })
    expect(asMap((await getRun(api, runId)).data.tags)['mlflow.runName']).toBe('after')

    expectOk(await api.post(`${API}/runs/set-tag`, { run_id: runId, key: 'mlflow.runName', value: 'by-tag' }))
    const byTag = await getRun(api, runId)
    expect(byTag.info.run_name).toBe('by-tag')
    expect(asMap(byTag.data.tags)['mlflow.runName']).toBe('by-tag')

    expectOk(
      await api.post(`${API}/runs/log-batch`, {
        run_id: runId,
        tags: [{ key: 'mlflow.runName', value: 'by-batch' }],
      }),
    )
    expect((await getRun(api, runId)).info.run_name).toBe('by-batch')
  })

  it('deletes and restores runs, and refuses writes to deleted runs', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const kept = (await createRun(api, experimentId)).info.run_id
    const gone = (await createRun(api, experimentId)).info.run_id
    expectOk(await api.post(`${API}/runs/set-tag`, { run_id: gone, key: 'k', value: 'v' }))
    expectOk(await api.post(`${API}/runs/delete`, { run_id: gone }))
    expect((await getRun(api, gone)).info.lifecycle_stage).toBe('deleted')

    const writes: [string, Record<string, unknown>][] = [
      ['runs/log-parameter', { key: 'p', value: 'v' }],
      ['runs/log-metric', { key: 'm', value: 1, timestamp: 1 }],
      ['runs/set-tag', { key: 't', value: 'v' }],
      ['runs/delete-tag', { key: 'k' }],
      ['runs/log-batch', { params: [{ key: 'p', value: 'v' }] }],
      ['runs/update', { status: 'FINISHED' }],
      ['runs/log-inputs', { models: [{ model_id: 'm-1' }] }],
      ['runs/outputs', { models: [{ model_id: 'm-1', step: 1 }] }],
      [
        'runs/log-model',
        {
          model_json: JSON.stringify({
            artifact_path: 'm',
            flavors: {},
            utc_time_created: 'x',
            run_id: gone,
          }),
        },
      ],
    ]
    for (const [path, body] of writes) {
      const message = expectError(
        await api.post(`${API}/${path}`, { run_id: gone, ...body }),
        400,
        'INVALID_PARAMETER_VALUE',
      )
      expect(message).toBe(`The run ${gone} must be in the 'active' state. Current state is deleted.`)
    }

    const search = (viewType?: string) =>
      api.post(`${API}/runs/search`, { experiment_ids: [experimentId], run_view_type: viewType })
    const ids = async (viewType?: string) =>
      new Set(
        ((await search(viewType)).body.runs ?? []).map((r: { info: { run_id: string } }) => r.info.run_id),
      )
    expect(await ids()).toEqual(new Set([kept]))
    expect(await ids('DELETED_ONLY')).toEqual(new Set([gone]))
    expect(await ids('ALL')).toEqual(new Set([kept, gone]))

    expectOk(await api.post(`${API}/runs/restore`, { run_id: gone }))
    expect(await ids('ACTIVE_ONLY')).toEqual(new Set([kept, gone]))
  })

  it('deletes run tags and reports missing ones', async () => {
    const { api } = context
    const runId = (await createRun(api, await createExperiment(api))).info.run_id
    expectOk(await api.post(`${API}/runs/set-tag`, { run_id: runId, key: 'taggity', value: 'do-dah' }))
    expectOk(await api.post(`${API}/runs/delete-tag`, { run_id: runId, key: 'taggity' }))
    expect(asMap((await getRun(api, runId)).data.tags)).not.toHaveProperty('taggity')
    expectError(
      await api.post(`${API}/runs/delete-tag`, { run_id: runId, key: 'taggity' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  it('searches runs with filters, order and paging', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const runIds: string[] = []
    for (let index = 0; index < 5; index++) {
      const run = await createRun(api, experimentId, { start_time: 1000, run_name: `r${index}` })
      runIds.push(run.info.run_id)
      await api.post(`${API}/runs/log-metric`, {
        run_id: run.info.run_id,
        key: 'acc',
        value: index / 10,
        timestamp: 1,
      })
    }
    const pages: string[][] = []
    let token: string | undefined
    do {
      const page = await api.post(`${API}/runs/search`, {
        experiment_ids: [experimentId],
        max_results: 2,
        page_token: token,
      })
      expectOk(page)
      pages.push((page.body.runs ?? []).map((r: { info: { run_id: string } }) => r.info.run_id))
      token = page.body.next_page_token
    } while (token && pages.length < 5)
    expect(pages.flat()).toEqual([...runIds].sort())

    const filtered = await api.post(`${API}/runs/search`, {
      experiment_ids: [Number(experimentId)],
      filter: 'metrics.acc >= 0.3',
      order_by: ['metrics.acc DESC'],
    })
    expectOk(filtered)
    expect(filtered.body.runs.map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual([
      'r4',
      'r3',
    ])

    const none = await api.post(`${API}/runs/search`, { experiment_ids: ['987654320'] })
    expectOk(none)
    expect(none.body).toEqual({})
  })

  it('rejects bad run searches with INVALID_PARAMETER_VALUE and keeps the data', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const runId = (await createRun(api, experimentId)).info.run_id
    const bad: Record<string, unknown>[] = [
      { max_results: 123456789 },
      { max_results: 50001 },
      { max_results: 0 },
      { max_results: -5 },
      { filter: 'metrics.acc > ' },
      { filter: 'params.p = 1' },
      { filter: "attributes.status = 'RUNNING'; DELETE FROM runs" },
      { filter: "tags.x = 'a' UNION SELECT * FROM runs" },
      { filter: 'nonsense ~~ 3' },
      { order_by: ['metrics.acc SIDEWAYS'] },
      { order_by: [42] },
      { experiment_ids: ['abc'] },
      { experiment_ids: 'not-a-list' },
      { run_view_type: 'SOME' },
      { page_token: '!!nope' },
      { filter: 5 },
    ]
    for (const body of bad) {
      const response = await api.post(`${API}/runs/search`, { experiment_ids: [experimentId], ...body })
      expectError(response, 400, 'INVALID_PARAMETER_VALUE')
    }
    expect(
      expectError(
        await api.post(`${API}/runs/search`, { experiment_ids: [experimentId], max_results: 123456789 }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Invalid value 123456789 for parameter 'max_results' supplied")
    expectOk(await api.post(`${API}/runs/search`, { experiment_ids: [experimentId], max_results: 50000 }))
    expect((await getRun(api, runId)).info.lifecycle_stage).toBe('active')
  })

  it('appends logged models to the mlflow.log-model.history tag', async () => {
    const { api } = context
    const runId = (await createRun(api, await createExperiment(api))).info.run_id
    const model = (artifactPath: string) => ({
      run_id: runId,
      artifact_path: artifactPath,
      utc_time_created: '2024-01-01 00:00:00.000000',
      model_uuid: 'abc',
      flavors: { python_function: { loader_module: 'x', config: { secret: 1 } } },
      signature: { inputs: '[]' },
    })
    expectOk(
      await api.post(`${API}/runs/log-model`, { run_id: runId, model_json: JSON.stringify(model('one')) }),
    )
    expectOk(
      await api.post(`${API}/runs/log-model`, { run_id: runId, model_json: JSON.stringify(model('two')) }),
    )
    const history = JSON.parse(
      asMap((await getRun(api, runId)).data.tags)['mlflow.log-model.history'] as string,
    )
    expect(history).toEqual([
      {
        run_id: runId,
        artifact_path: 'one',
        utc_time_created: '2024-01-01 00:00:00.000000',
        model_uuid: 'abc',
        flavors: { python_function: { loader_module: 'x' } },
      },
      {
        run_id: runId,
        artifact_path: 'two',
        utc_time_created: '2024-01-01 00:00:00.000000',
        model_uuid: 'abc',
        flavors: { python_function: { loader_module: 'x' } },
      },
    ])
    expect(
      expectError(
        await api.post(`${API}/runs/log-model`, { run_id: runId, model_json: '{nope' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain('Malformed model info')
    expect(
      expectError(
        await api.post(`${API}/runs/log-model`, {
          run_id: runId,
          model_json: JSON.stringify({ artifact_path: 'x' }),
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe("Model json is missing mandatory fields: {'flavors', 'utc_time_created', 'run_id'}")
    expectError(await api.post(`${API}/runs/log-model`, { run_id: runId }), 400, 'INVALID_PARAMETER_VALUE')
  })

  it('logs dataset and model inputs and model outputs', async () => {
    const { api } = context
    const runId = (await createRun(api, await createExperiment(api))).info.run_id
    const dataset = {
      name: 'name1',
      digest: 'digest1',
      source_type: 'code',
      source: 'source1',
      schema: '{}',
      profile: '{"n": 1}',
    }
    expectOk(
      await api.post(`${API}/runs/log-inputs`, {
        run_id: runId,
        datasets: [{ dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
        models: [{ model_id: 'm-123' }],
      }),
    )
    expectOk(
      await api.post(`${API}/runs/outputs`, { run_id: runId, models: [{ model_id: 'm-456', step: '7' }] }),
    )
    const run = await getRun(api, runId)
    expect(run.inputs.dataset_inputs).toEqual([
      { dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] },
    ])
    expect(run.inputs.model_inputs).toEqual([{ model_id: 'm-123' }])
    expect(run.outputs.model_outputs).toEqual([{ model_id: 'm-456', step: 7 }])

    expect(
      expectError(
        await api.post(`${API}/runs/log-inputs`, { datasets: [{ dataset }] }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Missing value for required parameter 'run_id'")
    expectError(
      await api.post(`${API}/runs/log-inputs`, { run_id: 'f'.repeat(32), datasets: [{ dataset }] }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    const oversized: [Record<string, unknown>, string][] = [
      [{ ...dataset, name: 'n'.repeat(501) }, "'name' exceeds the maximum length of 500 characters"],
      [{ ...dataset, digest: 'd'.repeat(37) }, "'digest' exceeds the maximum length of 36 characters"],
      [{ ...dataset, source: 's'.repeat(65536) }, "'source' exceeds the maximum length of 65535 characters"],
    ]
    for (const [bad, message] of oversized) {
      const response = await api.post(`${API}/runs/log-inputs`, {
        run_id: runId,
        datasets: [{ dataset: bad }],
      })
      expect(expectError(response, 400, 'INVALID_PARAMETER_VALUE')).toBe(message)
    }
    expectOk(
      await api.post(`${API}/runs/log-inputs`, {
        run_id: runId,
        datasets: [{ dataset: { ...dataset, name: 'n'.repeat(500), digest: 'd'.repeat(36) } }],
      }),
    )
    const longTag = await api.post(`${API}/runs/log-inputs`, {
      run_id: runId,
      datasets: [{ dataset, tags: [{ key: 'k', value: 'v'.repeat(501) }] }],
    })
    expect(expectError(longTag, 400, 'INVALID_PARAMETER_VALUE')).toBe(
      "'value' exceeds the maximum length of 500 characters",
    )
    expectError(
      await api.post(`${API}/runs/log-inputs`, { run_id: '../../etc', datasets: [] }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expect(
      expectError(await api.post(`${API}/runs/outputs`, { run_id: runId }), 400, 'INVALID_PARAMETER_VALUE'),
    ).toContain("Missing value for required parameter 'models'")
  })

  it('generates different names for unnamed runs', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const names = new Set<string>()
    for (let index = 0; index < 5; index++) names.add((await createRun(api, experimentId)).info.run_name)
    expect(names.size).toBeGreaterThan(1)
  })
})

describeEachStore(
  'run routes with MLFLOW_TRUNCATE_LONG_VALUES=false',
  (context) => {
    it('rejects long param and tag values instead of truncating them', async () => {
      const { api } = context
      const runId = (await createRun(api, await createExperiment(api))).info.run_id
      expectOk(
        await api.post(`${API}/runs/log-parameter`, {
          run_id: runId,
          key: 'at-limit',
          value: 'a'.repeat(6000),
        }),
      )
      expect(
        expectError(
          await api.post(`${API}/runs/log-parameter`, {
            run_id: runId,
            key: 'over',
            value: 'b'.repeat(6001),
          }),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe("'Param value' exceeds the maximum length of 6000 characters")
      expect(
        expectError(
          await api.post(`${API}/runs/log-batch`, {
            run_id: runId,
            tags: [{ key: 't', value: 'c'.repeat(8001) }],
          }),
          400,
          'INVALID_PARAMETER_VALUE',
        ),
      ).toBe("'tags[0].value' exceeds the maximum length of 8000 characters")
      expect(asMap((await getRun(api, runId)).data.params)).toEqual({ 'at-limit': 'a'.repeat(6000) })
    })
  },
  { truncateLongValues: false },
)
