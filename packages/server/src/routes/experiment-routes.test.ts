import { expect, it } from 'vitest'
import { describeEachStore } from '../test-support/store-fixtures.js'
import {
  AJAX,
  API,
  asMap,
  createExperiment,
  createRun,
  expectError,
  expectOk,
  uniqueName,
} from '../test-support/test-data.js'

describeEachStore('experiment routes', (context) => {
  it('creates an experiment and reads it back by id and by name', async () => {
    const { api } = context
    const name = uniqueName('exp')
    const created = await api.post(`${API}/experiments/create`, {
      name,
      artifact_location: '/tmp/cairn-artifacts',
      tags: [{ key: 'team', value: 'red' }, { key: 'empty', value: '' }, { key: 'no-value' }],
    })
    expectOk(created)
    expect(Object.keys(created.body)).toEqual(['experiment_id'])
    const experimentId = created.body.experiment_id
    expect(typeof experimentId).toBe('string')

    const byId = await api.get(`${API}/experiments/get`, { experiment_id: experimentId })
    expectOk(byId)
    const experiment = byId.body.experiment
    expect(experiment).toMatchObject({
      experiment_id: experimentId,
      name,
      artifact_location: '/tmp/cairn-artifacts',
      lifecycle_stage: 'active',
    })
    expect(Number.isInteger(experiment.creation_time)).toBe(true)
    expect(experiment.last_update_time).toBeGreaterThanOrEqual(experiment.creation_time)
    expect(asMap(experiment.tags)).toEqual({ team: 'red', empty: '', 'no-value': '' })

    const byName = await api.get(`${API}/experiments/get-by-name`, { experiment_name: name })
    expectOk(byName)
    expect(byName.body.experiment.experiment_id).toBe(experimentId)
  })

  it('serves the same API under /ajax-api', async () => {
    const { api } = context
    const created = await api.post(`${AJAX}/experiments/create`, { name: uniqueName('ajax') })
    expectOk(created)
    const fetched = await api.get(`${AJAX}/experiments/get`, { experiment_id: created.body.experiment_id })
    expectOk(fetched)
    expect(fetched.body.experiment.experiment_id).toBe(created.body.experiment_id)
  })

  it('accepts an integer experiment id and answers with strings', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const response = await api.post(`${API}/experiments/set-experiment-tag`, {
      experiment_id: Number(experimentId),
      key: 'k',
      value: 'v',
    })
    expectOk(response)
    expect(response.body).toEqual({})
  })

  it('makes a relative artifact location absolute', async () => {
    const { api } = context
    const created = await api.post(`${API}/experiments/create`, {
      name: uniqueName('rel'),
      artifact_location: 'relative/dir',
    })
    expectOk(created)
    const experiment = (
      await api.get(`${API}/experiments/get`, { experiment_id: created.body.experiment_id })
    ).body.experiment
    expect(experiment.artifact_location).toBe(`${process.cwd()}/relative/dir`)
  })

  it('rejects invalid create requests with MLflow’s messages', async () => {
    const { api } = context
    const cases: [unknown, string][] = [
      [{ name: 123 }, "Invalid value 123 for parameter 'name' supplied:  Hint: Value was of type 'int'."],
      [{}, "Missing value for required parameter 'name'."],
      [{ name: '' }, "Missing value for required parameter 'name'."],
      [{ name: 'x', tags: '5' }, 'Invalid value "5" for parameter \'tags\' supplied'],
      [{ name: 'x', tags: [{ value: 'v' }] }, "Missing value for required parameter 'tags[0].key'."],
      [{ name: 'n'.repeat(501) }, "'name' exceeds the maximum length of 500 characters"],
      [{ name: 'x', artifact_location: 'runs:/abc' }, 'Artifact location cannot be a runs:/ URI'],
      [{ name: 'x', tags: [{ key: 'a//b', value: 'v' }] }, 'Names may be treated as files'],
      [
        { name: 'x', tags: [{ key: 'k', value: 'v'.repeat(20001) }] },
        "'value' exceeds the maximum length of 20000",
      ],
    ]
    for (const [body, message] of cases) {
      const response = await api.post(`${API}/experiments/create`, body)
      expect(expectError(response, 400, 'INVALID_PARAMETER_VALUE')).toContain(message)
    }
    const float = await api.post(`${API}/experiments/create`, undefined, {
      rawBody: '{"name": "x", "artifact_location": 9.0}',
      headers: { 'content-type': 'application/json' },
    })
    expect(expectError(float, 400, 'INVALID_PARAMETER_VALUE')).toBe(
      "Invalid value 9.0 for parameter 'artifact_location' supplied:  Hint: Value was of type 'float'. See the API docs for more information about request parameters.",
    )
  })

  it('refuses a duplicate name with RESOURCE_ALREADY_EXISTS', async () => {
    const { api } = context
    const name = uniqueName('dup')
    await createExperiment(api, name)
    expectError(await api.post(`${API}/experiments/create`, { name }), 400, 'RESOURCE_ALREADY_EXISTS')
  })

  it('answers 404 for unknown experiments and 400 for non-integer ids', async () => {
    const { api } = context
    expectError(
      await api.get(`${API}/experiments/get`, { experiment_id: '987654321' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expectError(
      await api.get(`${API}/experiments/get`, { experiment_id: '99999999999999999' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expect(
      expectError(
        await api.get(`${API}/experiments/get`, { experiment_id: 'abc' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe("Invalid experiment ID 'abc'. Experiment ID must be a valid integer.")
    expect(expectError(await api.get(`${API}/experiments/get`), 400, 'INVALID_PARAMETER_VALUE')).toBe(
      "Missing value for required parameter 'experiment_id'. See the API docs for more information about request parameters.",
    )
    const missingName = uniqueName('missing')
    expect(
      expectError(
        await api.get(`${API}/experiments/get-by-name`, { experiment_name: missingName }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      ),
    ).toBe(`Could not find experiment with name '${missingName}'`)
    expectError(
      await api.post(`${API}/experiments/delete`, { experiment_id: '987654321' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expectError(
      await api.post(`${API}/experiments/restore`, { experiment_id: '987654321' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
  })

  it('renames an active experiment and refuses to rename a deleted one', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const newName = uniqueName('renamed')
    expectOk(await api.post(`${API}/experiments/update`, { experiment_id: experimentId, new_name: newName }))
    const renamed = await api.get(`${API}/experiments/get`, { experiment_id: experimentId })
    expect(renamed.body.experiment.name).toBe(newName)

    expect(
      expectError(
        await api.post(`${API}/experiments/update`, { experiment_id: experimentId }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Missing value for required parameter 'new_name'")

    expectOk(await api.post(`${API}/experiments/delete`, { experiment_id: experimentId }))
    const message = expectError(
      await api.post(`${API}/experiments/update`, { experiment_id: experimentId, new_name: uniqueName('x') }),
      400,
      'INVALID_STATE',
    )
    expect(message).toBe('Cannot rename a non-active experiment.')
  })

  it('deletes and restores an experiment together with its runs', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const run = await createRun(api, experimentId)
    expectOk(await api.post(`${API}/experiments/delete`, { experiment_id: experimentId }))
    const deleted = await api.get(`${API}/experiments/get`, { experiment_id: experimentId })
    expect(deleted.body.experiment.lifecycle_stage).toBe('deleted')
    const deletedRun = await api.get(`${API}/runs/get`, { run_id: run.info.run_id })
    expect(deletedRun.body.run.info.lifecycle_stage).toBe('deleted')

    const message = expectError(
      await api.post(`${API}/runs/create`, { experiment_id: experimentId }),
      400,
      'INVALID_PARAMETER_VALUE',
    )
    expect(message).toBe(
      `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`,
    )
    expectError(
      await api.post(`${API}/experiments/set-experiment-tag`, {
        experiment_id: experimentId,
        key: 'k',
        value: 'v',
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    )

    expectOk(await api.post(`${API}/experiments/restore`, { experiment_id: experimentId }))
    const restoredRun = await api.get(`${API}/runs/get`, { run_id: run.info.run_id })
    expect(restoredRun.body.run.info.lifecycle_stage).toBe('active')
  })

  it('upserts, isolates and deletes experiment tags', async () => {
    const { api } = context
    const first = await createExperiment(api)
    const second = await createExperiment(api)
    const setTag = (experimentId: string, key: string, value?: string) =>
      api.post(`${API}/experiments/set-experiment-tag`, { experiment_id: experimentId, key, value })
    expectOk(await setTag(first, 'dataset', 'imagenet'))
    expectOk(await setTag(first, 'dataset', 'birdbike'))
    expectOk(await setTag(first, 'multi line', 'a\nb'))
    expectOk(await setTag(first, 'no value'))
    expectOk(await setTag(second, 'dataset', 'birds200'))
    const tagsOf = async (experimentId: string) =>
      asMap((await api.get(`${API}/experiments/get`, { experiment_id: experimentId })).body.experiment.tags)
    expect(await tagsOf(first)).toEqual({ dataset: 'birdbike', 'multi line': 'a\nb', 'no value': '' })
    expect(await tagsOf(second)).toEqual({ dataset: 'birds200' })

    expectOk(
      await api.post(`${API}/experiments/delete-experiment-tag`, { experiment_id: first, key: 'dataset' }),
    )
    expect(await tagsOf(first)).toEqual({ 'multi line': 'a\nb', 'no value': '' })
    expectError(
      await api.post(`${API}/experiments/delete-experiment-tag`, { experiment_id: first, key: 'dataset' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    )
    expect(expectError(await setTag(first, 'k'.repeat(251), 'v'), 400, 'INVALID_PARAMETER_VALUE')).toBe(
      "'key' exceeds the maximum length of 250 characters",
    )
    expectOk(await setTag(first, 'k'.repeat(250), 'v'.repeat(20000)))
    expectError(await setTag(first, 'k', 'v'.repeat(20001)), 400, 'INVALID_PARAMETER_VALUE')
    expect(
      expectError(
        await api.post(`${API}/experiments/set-experiment-tag`, { experiment_id: first, value: 'v' }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toContain("Missing value for required parameter 'key'")
  })

  it('searches experiments by GET and POST with filters, order and pages', async () => {
    const { api } = context
    const prefix = uniqueName('search')
    for (const suffix of ['a', 'b', 'c']) await createExperiment(api, `${prefix}-${suffix}`)
    const filter = `name LIKE '${prefix}%'`

    const byGet = await api.get(`${API}/experiments/search`, {
      filter,
      max_results: 2,
      order_by: ['name DESC'],
      view_type: 'ALL',
    })
    expectOk(byGet)
    expect(byGet.body.experiments.map((e: { name: string }) => e.name)).toEqual([
      `${prefix}-c`,
      `${prefix}-b`,
    ])
    expect(typeof byGet.body.next_page_token).toBe('string')

    const next = await api.post(`${API}/experiments/search`, {
      filter,
      max_results: 2,
      order_by: ['name DESC'],
      page_token: byGet.body.next_page_token,
      view_type: 3,
    })
    expectOk(next)
    expect(next.body.experiments.map((e: { name: string }) => e.name)).toEqual([`${prefix}-a`])
    expect(next.body.next_page_token).toBeUndefined()

    const none = await api.post(`${API}/experiments/search`, { filter: `name = '${prefix}-none'` })
    expectOk(none)
    expect(none.body).toEqual({})
  })

  it('rejects bad experiment searches with INVALID_PARAMETER_VALUE, never 500', async () => {
    const { api } = context
    const bad: Record<string, unknown>[] = [
      { max_results: 0 },
      { max_results: 50001 },
      { max_results: 'many' },
      { view_type: 'SOMETIMES' },
      { view_type: 9 },
      { filter: 'metrics.x > 1' },
      { filter: 'name = ' },
      { filter: "name = 'a'; DROP TABLE experiments; --" },
      { filter: "name = 'x' OR 1=1 --" },
      { order_by: ['name SIDEWAYS'] },
      { order_by: 'name' },
      { page_token: '!!nope' },
    ]
    for (const body of bad) {
      const response = await api.post(`${API}/experiments/search`, body)
      expectError(response, 400, 'INVALID_PARAMETER_VALUE')
    }
    expect(
      expectError(
        await api.post(`${API}/experiments/search`, { max_results: 50001 }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe("Invalid value 50001 for parameter 'max_results' supplied. It must be at most 50000")
    expectOk(await api.post(`${API}/experiments/search`, { max_results: 50000 }))
    expectOk(await api.post(`${API}/experiments/search`, { max_results: 1 }))
    // Nothing stored was lost to the injection attempts.
    const defaultExperiment = await api.get(`${API}/experiments/get`, { experiment_id: '0' })
    expectOk(defaultExperiment)
  })

  it('summarises datasets of experiments for the UI (ajax only)', async () => {
    const { api } = context
    const experimentId = await createExperiment(api)
    const run = await createRun(api, experimentId)
    expectOk(
      await api.post(`${API}/runs/log-inputs`, {
        run_id: run.info.run_id,
        datasets: [
          {
            dataset: { name: 'train', digest: 'abc', source_type: 'code', source: '{}' },
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
          },
        ],
      }),
    )
    const summaries = await api.post(`${AJAX}/experiments/search-datasets`, {
      experiment_ids: [experimentId],
    })
    expectOk(summaries)
    expect(summaries.body.dataset_summaries).toEqual([
      { experiment_id: experimentId, name: 'train', digest: 'abc', context: 'training' },
    ])
    expect(
      expectError(await api.post(`${AJAX}/experiments/search-datasets`, {}), 400, 'INVALID_PARAMETER_VALUE'),
    ).toBe('SearchDatasets request must specify at least one experiment_id.')
    const tooMany = Array.from({ length: 21 }, (_, index) => String(index))
    expect(
      expectError(
        await api.post(`${AJAX}/experiments/search-datasets`, { experiment_ids: tooMany }),
        400,
        'INVALID_PARAMETER_VALUE',
      ),
    ).toBe('SearchDatasets request cannot specify more than 20 experiment_ids. Received 21 experiment_ids.')
    expectOk(await api.post(`${AJAX}/experiments/search-datasets`, { experiment_ids: tooMany.slice(0, 20) }))
    expect(
      (await api.post(`${API}/experiments/search-datasets`, { experiment_ids: [experimentId] })).status,
    ).toBe(404)
  })
})
