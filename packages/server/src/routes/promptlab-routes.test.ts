import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { parse } from 'yaml'
import { describeEachStore } from '../test-support/store-fixtures.js'
import {
  AJAX,
  API,
  asMap,
  createExperiment,
  expectError,
  expectOk,
  getRun,
} from '../test-support/test-data.js'
import { MLFLOW_COMPATIBLE_VERSION } from '../version.js'

const destination = mkdtempSync(path.join(tmpdir(), 'cairn-promptlab-'))
afterAll(() => rmSync(destination, { recursive: true, force: true }))

const MODEL_FILES = [
  'model/MLmodel',
  'model/conda.yaml',
  'model/input_example.json',
  'model/parameters.yaml',
  'model/python_env.yaml',
  'model/requirements.txt',
  'model/serving_input_example.json',
]

function promptlabRequest(
  experimentId: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    experiment_id: experimentId,
    run_name: 'lab run',
    prompt_template: 'Say hi to {{ name }} in {{ lang }}',
    prompt_parameters: [
      { key: 'name', value: 'Bob' },
      { key: 'lang', value: 'French' },
    ],
    model_route: 'chat',
    model_parameters: [
      { key: 'temperature', value: 0.5 },
      { key: 'max_tokens', value: 10 },
      { key: 'stream', value: false },
    ],
    model_input: 'Say hi to Bob in French',
    model_output: 'Bonjour Bob',
    model_output_parameters: [{ key: 'latency', value: 12 }],
    mlflow_version: '2.9.0',
    user_id: 'lab-user',
    start_time: 1_700_000_000_000,
    ...fields,
  }
}

describeEachStore(
  'prompt lab routes',
  (context) => {
    async function readArtifact(runId: string, artifactPath: string): Promise<string> {
      const response = await context.app.request(`/get-artifact?run_id=${runId}&path=${artifactPath}`)
      expect(response.status, artifactPath).toBe(200)
      return response.text()
    }

    it('records a finished run with params, tags, the model history and the evaluation table', async () => {
      const experimentId = await createExperiment(context.api)
      const before = Date.now()
      const response = await context.api.post(
        `${AJAX}/runs/create-promptlab-run`,
        promptlabRequest(experimentId),
      )
      expectOk(response)
      const run = response.body.run
      expect(run.info).toMatchObject({
        experiment_id: experimentId,
        run_name: 'lab run',
        user_id: 'lab-user',
        status: 'FINISHED',
        start_time: 1_700_000_000_000,
        lifecycle_stage: 'active',
      })
      expect(run.info.end_time).toBeGreaterThanOrEqual(before)
      expect(run.data.params).toEqual(
        expect.arrayContaining([
          { key: 'temperature', value: '0.5' },
          { key: 'max_tokens', value: '10' },
          { key: 'stream', value: 'False' },
          { key: 'model_route', value: 'chat' },
          { key: 'prompt_template', value: 'Say hi to {{ name }} in {{ lang }}' },
        ]),
      )
      expect(run.data.params).toHaveLength(5)
      const tags = asMap(run.data.tags)
      expect(tags).toMatchObject({
        'mlflow.runName': 'lab run',
        'mlflow.runSourceType': 'PROMPT_ENGINEERING',
        'mlflow.loggedArtifacts': '[{"path": "eval_results_table.json", "type": "table"}]',
      })
      const history = JSON.parse(String(tags['mlflow.log-model.history']))
      expect(history).toEqual([
        {
          run_id: run.info.run_id,
          artifact_path: 'model',
          utc_time_created: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/),
          model_uuid: expect.stringMatching(/^[0-9a-f]{32}$/),
          flavors: {},
        },
      ])
      expect(await getRun(context.api, run.info.run_id)).toEqual(run)

      expect(await readArtifact(run.info.run_id, 'eval_results_table.json')).toBe(
        '{"columns": ["name", "lang", "prompt", "output", "latency"], ' +
          '"data": [["Bob", "French", "Say hi to Bob in French", "Bonjour Bob", "12"]]}',
      )
    })

    it('writes a pyfunc model the prompt lab loader reads', async () => {
      const experimentId = await createExperiment(context.api)
      const response = await context.api.post(
        `${API}/runs/create-promptlab-run`,
        promptlabRequest(experimentId),
      )
      expectOk(response)
      const runId = response.body.run.info.run_id as string
      const root = await context.api.get(`${API}/artifacts/list`, { run_id: runId })
      expect(root.body.files.map((file: { path: string }) => file.path).sort()).toEqual([
        'eval_results_table.json',
        'model',
      ])
      const model = await context.api.get(`${API}/artifacts/list`, { run_id: runId, path: 'model' })
      expect(model.body.files.map((file: { path: string }) => file.path).sort()).toEqual(MODEL_FILES)

      const mlmodel = parse(await readArtifact(runId, 'model/MLmodel'))
      const history = JSON.parse(String(asMap(response.body.run.data.tags)['mlflow.log-model.history']))
      expect(mlmodel).toMatchObject({
        artifact_path: 'model',
        run_id: runId,
        model_uuid: history[0].model_uuid,
        utc_time_created: history[0].utc_time_created,
        mlflow_version: MLFLOW_COMPATIBLE_VERSION,
        flavors: {
          python_function: {
            loader_module: 'mlflow.prompt.promptlab_model',
            parameters_path: 'parameters.yaml',
            env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
          },
        },
        signature: {
          inputs:
            '[{"type": "string", "name": "name", "required": true}, {"type": "string", "name": "lang", "required": true}]',
          outputs: '[{"type": "string", "name": "output", "required": true}]',
        },
      })
      expect(parse(await readArtifact(runId, 'model/parameters.yaml'))).toEqual({
        prompt_template: 'Say hi to {{ name }} in {{ lang }}',
        prompt_parameters: { name: 'Bob', lang: 'French' },
        model_parameters: { temperature: '0.5', max_tokens: '10', stream: 'False' },
        model_route: 'chat',
      })
      expect(await readArtifact(runId, 'model/input_example.json')).toBe('{"inputs": ["Bob", "French"]}')
      expect(JSON.parse(await readArtifact(runId, 'model/serving_input_example.json'))).toEqual({
        inputs: { inputs: ['Bob', 'French'] },
      })
      expect(await readArtifact(runId, 'model/requirements.txt')).toBe(
        `mlflow[gateway]==${MLFLOW_COMPATIBLE_VERSION}`,
      )
    })

    it('fills defaults: user unknown, generated name, start time now, output null, caller tags kept', async () => {
      const experimentId = await createExperiment(context.api)
      const before = Date.now()
      const request = promptlabRequest(experimentId, { tags: [{ key: 'team', value: 'search' }] })
      for (const field of ['run_name', 'user_id', 'start_time', 'model_output', 'model_parameters']) {
        delete request[field]
      }
      const response = await context.api.post(`${AJAX}/runs/create-promptlab-run`, request)
      expectOk(response)
      const run = response.body.run
      expect(run.info.status).toBe('FINISHED')
      expect(run.info.user_id).toBe('unknown')
      expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/)
      expect(run.info.start_time).toBeGreaterThanOrEqual(before)
      expect(asMap(run.data.tags)).toMatchObject({ team: 'search', 'mlflow.runName': run.info.run_name })
      expect(asMap(run.data.params)).toEqual({
        model_route: 'chat',
        prompt_template: 'Say hi to {{ name }} in {{ lang }}',
      })
      const table = JSON.parse(await readArtifact(run.info.run_id, 'eval_results_table.json'))
      expect(table.data[0][3]).toBeNull()
    })

    it('answers MLflow’s message for the first missing or empty required field, in MLflow’s order', async () => {
      const experimentId = await createExperiment(context.api)
      const cases: [Record<string, unknown>, string][] = [
        [{}, 'experiment_id'],
        [{ experiment_id: '' }, 'experiment_id'],
        [{ experiment_id: experimentId }, 'prompt_template'],
        [{ experiment_id: experimentId, prompt_template: 't' }, 'prompt_parameters'],
        [{ experiment_id: experimentId, prompt_template: 't', prompt_parameters: [] }, 'prompt_parameters'],
        [promptlabRequest(experimentId, { model_route: undefined, model_input: undefined }), 'model_route'],
        [promptlabRequest(experimentId, { model_input: '' }), 'model_input'],
        [
          promptlabRequest(experimentId, { model_output: undefined, mlflow_version: undefined }),
          'mlflow_version',
        ],
        [promptlabRequest(experimentId, { mlflow_version: null }), 'mlflow_version'],
      ]
      for (const [body, field] of cases) {
        const response = await context.api.post(`${AJAX}/runs/create-promptlab-run`, body)
        expect(expectError(response, 400, 'INVALID_PARAMETER_VALUE')).toBe(
          `CreatePromptlabRun request must specify ${field}.`,
        )
      }
      const runs = await context.api.post(`${API}/runs/search`, { experiment_ids: [experimentId] })
      expect(runs.body.runs ?? []).toEqual([])
    })

    it('refuses malformed lists, a bad start time, a non-JSON body and unknown experiments', async () => {
      const experimentId = await createExperiment(context.api)
      const url = `${AJAX}/runs/create-promptlab-run`
      const malformed: [Record<string, unknown>, string][] = [
        [{ prompt_parameters: 'name=Bob' }, 'prompt_parameters must be a list of {key, value} objects.'],
        [{ model_parameters: [{ value: 1 }] }, "model_parameters[0] must be an object with a string 'key'."],
        [
          { model_output_parameters: [3] },
          "model_output_parameters[0] must be an object with a string 'key'.",
        ],
        [{ tags: { team: 'x' } }, 'tags must be a list of {key, value} objects.'],
        [{ start_time: 'yesterday' }, 'start_time must be an integer (milliseconds).'],
        [{ run_name: 5 }, 'run_name must be a string.'],
      ]
      for (const [fields, message] of malformed) {
        const response = await context.api.post(url, promptlabRequest(experimentId, fields))
        expect(expectError(response, 400, 'INVALID_PARAMETER_VALUE')).toBe(message)
      }
      const wrongType = await context.api.post(url, undefined, {
        rawBody: JSON.stringify(promptlabRequest(experimentId)),
        headers: { 'content-type': 'text/plain' },
      })
      expectError(wrongType, 400, 'INVALID_PARAMETER_VALUE')
      const broken = await context.api.post(url, undefined, {
        rawBody: '{"experiment_id": ',
        headers: { 'content-type': 'application/json' },
      })
      expectError(broken, 400, 'INVALID_PARAMETER_VALUE')
      expectError(await context.api.post(url, promptlabRequest('987654321')), 404, 'RESOURCE_DOES_NOT_EXIST')
      const get = await context.api.get(url)
      expect(get.status).toBe(405)
    })

    it('leaves the run FAILED, as MLflow does, when its params cannot be logged', async () => {
      const experimentId = await createExperiment(context.api)
      const response = await context.api.post(
        `${AJAX}/runs/create-promptlab-run`,
        promptlabRequest(experimentId, { model_parameters: [{ key: 'model_route', value: 'other' }] }),
      )
      expectOk(response)
      expect(response.body.run.info.status).toBe('FAILED')
      expect(response.body.run.info.end_time).toBeGreaterThan(0)
    })
  },
  {
    artifacts: { serveArtifacts: true, artifactsOnly: false, destination },
  },
)
