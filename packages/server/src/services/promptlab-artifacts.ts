import { pythonJsonText } from '@cairn/core'
import { stringify } from 'yaml'

// Re-exported for the prompt lab handlers and service, which import them from here.
export { pythonJsonText, utcTimeCreated } from '@cairn/core'

/** One `{key, value}` pair of a prompt lab request, its value already turned into text. */
export interface PromptlabParam {
  key: string
  value: string
}

/** What the prompt lab model's files describe. */
export interface PromptlabModelFiles {
  runId: string
  modelUuid: string
  /** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, as MLflow's `Model.utc_time_created`. */
  utcTimeCreated: string
  promptTemplate: string
  promptParameters: PromptlabParam[]
  modelParameters: PromptlabParam[]
  modelRoute: string
  mlflowVersion: string
}

/** Python version the model's environment files name (the server has no Python of its own). */
export const PROMPTLAB_PYTHON_VERSION = '3.11'
export const EVAL_RESULTS_FILE = 'eval_results_table.json'
export const PROMPTLAB_MODEL_PATH = 'model'

const YAML_OPTIONS = { sortMapEntries: true, lineWidth: 0 } as const

/**
 * The single-row table the MLflow UI's evaluation view reads: prompt parameter columns, then
 * `prompt` and `output`, then the output parameters.
 */
export function evalResultsJson(input: {
  promptParameters: readonly { key: unknown; value: string }[]
  modelInput: unknown
  modelOutput: unknown
  modelOutputParameters: readonly { key: unknown; value: string }[]
}): string {
  const columns = [
    ...input.promptParameters.map((param) => param.key),
    'prompt',
    'output',
    ...input.modelOutputParameters.map((param) => param.key),
  ]
  const row = [
    ...input.promptParameters.map((param) => param.value),
    input.modelInput,
    input.modelOutput ?? null,
    ...input.modelOutputParameters.map((param) => param.value),
  ]
  return pythonJsonText({ columns, data: [row] })
}

function signatureColumns(names: readonly string[]): string {
  return pythonJsonText(names.map((name) => ({ type: 'string', name, required: true })))
}

function asMapping(params: readonly PromptlabParam[]): Record<string, string> {
  const mapping: Record<string, string> = {}
  for (const param of params) mapping[param.key] = param.value
  return mapping
}

/**
 * The files of the prompt lab's `model` artifact, by path below the model directory: a pyfunc
 * model loaded by `mlflow.prompt.promptlab_model` from `parameters.yaml`, with its signature,
 * input example and environment, as MLflow's prompt lab model writer lays them out.
 */
export function promptlabModelFiles(model: PromptlabModelFiles): Map<string, string> {
  const inputExample = { inputs: model.promptParameters.map((param) => param.value) }
  const requirement = `mlflow[gateway]==${model.mlflowVersion}`
  const mlmodel = {
    artifact_path: PROMPTLAB_MODEL_PATH,
    flavors: {
      python_function: {
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.prompt.promptlab_model',
        parameters_path: 'parameters.yaml',
        python_version: PROMPTLAB_PYTHON_VERSION,
      },
    },
    is_signature_from_type_hint: false,
    mlflow_version: model.mlflowVersion,
    model_id: null,
    model_uuid: model.modelUuid,
    prompts: null,
    run_id: model.runId,
    saved_input_example_info: {
      artifact_path: 'input_example.json',
      serving_input_path: 'serving_input_example.json',
      type: 'json_object',
    },
    signature: {
      inputs: signatureColumns(model.promptParameters.map((param) => param.key)),
      outputs: signatureColumns(['output']),
      params: null,
    },
    type_hint_from_example: false,
    utc_time_created: model.utcTimeCreated,
  }
  const parameters = {
    model_parameters: asMapping(model.modelParameters),
    model_route: model.modelRoute,
    prompt_parameters: asMapping(model.promptParameters),
    prompt_template: model.promptTemplate,
  }
  const conda = {
    channels: ['conda-forge'],
    dependencies: [`python=${PROMPTLAB_PYTHON_VERSION}`, 'pip', { pip: [requirement] }],
    name: 'mlflow-env',
  }
  const pythonEnv = {
    python: PROMPTLAB_PYTHON_VERSION,
    build_dependencies: ['pip', 'setuptools', 'wheel'],
    dependencies: ['-r requirements.txt'],
  }
  return new Map([
    ['MLmodel', stringify(mlmodel, YAML_OPTIONS)],
    ['conda.yaml', stringify(conda, YAML_OPTIONS)],
    ['input_example.json', pythonJsonText(inputExample)],
    ['parameters.yaml', stringify(parameters, YAML_OPTIONS)],
    ['python_env.yaml', stringify(pythonEnv, { lineWidth: 0 })],
    ['requirements.txt', requirement],
    ['serving_input_example.json', JSON.stringify({ inputs: inputExample }, null, 2)],
  ])
}
