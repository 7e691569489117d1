import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { errorOf } from '../test-support/error-of.js'
import {
  formatUtcTimeCreated,
  type MlModel,
  newModelUuid,
  parseMlModel,
  readMlModel,
  serializeMlModel,
  writeMlModel,
} from './mlmodel.js'

const fixture = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}/MLmodel`, import.meta.url), 'utf8')
const PYTHON = new URL('../../../../.venv/bin/python', import.meta.url).pathname

const directories: string[] = []
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })))
})

describe('parseMlModel', () => {
  it('reads an MLmodel written by mlflow.sklearn.log_model', () => {
    const model = parseMlModel(fixture('sklearn-iris'))
    expect(Object.keys(model.flavors).sort()).toEqual(['python_function', 'sklearn'])
    expect(model.flavors.sklearn).toMatchObject({ serialization_format: 'skops', code: null })
    expect(model.flavors.python_function).toMatchObject({
      loader_module: 'mlflow.sklearn',
      env: { conda: 'conda.yaml' },
    })
    expect(model.model_id).toMatch(/^m-[0-9a-f]{32}$/)
    expect(model.model_uuid).toBe(model.model_id)
    expect(model.utc_time_created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/)
    expect(model.mlflow_version).toBe('3.17.2')
    expect(typeof model.model_size_bytes).toBe('number')
    expect(model.saved_input_example_info).toMatchObject({ type: 'dataframe', pandas_orient: 'split' })
    expect(model.signature?.inputs).toContain('"sepal length (cm)"')
    expect(model.signature).not.toHaveProperty('params')
    expect(model).not.toHaveProperty('prompts')
  })

  it('reads an MLmodel written by mlflow.onnx.log_model', () => {
    const model = parseMlModel(fixture('onnx-iris'))
    expect(model.flavors.onnx).toMatchObject({
      data: 'model.onnx',
      providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'],
    })
    expect(JSON.parse(model.signature!.inputs!)).toEqual([
      { type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 4] } },
    ])
    expect(model.saved_input_example_info?.serving_input_path).toBe('serving_input_example.json')
  })

  it('keeps YAML 1.1 strings such as "yes" as strings', () => {
    const model = parseMlModel(fixture('all-types'))
    expect(model.metadata).toEqual({ owner: 'cairn', yes_string: 'yes' })
    expect(parseMlModel(serializeMlModel(model)).metadata).toEqual({ owner: 'cairn', yes_string: 'yes' })
  })

  it('turns an unquoted timestamp back into MLflow text', () => {
    const model = parseMlModel('flavors: {}\nutc_time_created: 2024-01-02 03:04:05.678\n')
    expect(model.utc_time_created).toBe('2024-01-02 03:04:05.678000')
  })

  it('refuses text that is not YAML', () => {
    const error = errorOf(() => parseMlModel('flavors: [unclosed'))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toMatch(/^The MLmodel file is not valid YAML: /)
  })

  it('refuses a document that is not a mapping', () => {
    expect(errorOf(() => parseMlModel('- a\n- b\n')).message).toBe(
      'The MLmodel file must be a YAML mapping, got a list',
    )
    expect(errorOf(() => parseMlModel('')).message).toBe(
      'The MLmodel file must be a YAML mapping, got an empty document',
    )
  })

  it('refuses a model without flavors', () => {
    const error = errorOf(() => parseMlModel('run_id: abc\n'))
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toBe("The MLmodel file has no 'flavors'")
    expect(errorOf(() => parseMlModel('flavors: [onnx]\n')).message).toMatch(/'flavors' must be a mapping/)
    expect(errorOf(() => parseMlModel('flavors:\n  onnx: 3\n')).message).toMatch(
      /flavour 'onnx' must be a mapping/,
    )
  })

  it('refuses a signature that is not a mapping', () => {
    expect(errorOf(() => parseMlModel('flavors: {}\nsignature: abc\n')).code).toBe('INVALID_PARAMETER_VALUE')
  })
})

describe('serializeMlModel', () => {
  it('round-trips MLflow files, unknown keys included, with sorted keys', () => {
    const text = `${fixture('sklearn-iris')}zz_custom:\n  b: 1\n  a: [x, y]\n`
    const model = parseMlModel(text)
    const written = serializeMlModel(model)
    expect(parseMlModel(written)).toEqual(model)
    const topLevelKeys = written
      .split('\n')
      .filter((line) => /^[a-z_]+:/.test(line))
      .map((line) => line.split(':')[0])
    expect(topLevelKeys).toEqual([...topLevelKeys].sort())
    expect(written).toContain('zz_custom:\n  a:\n  - x\n  - y\n  b: 1\n')
  })

  it('omits null and undefined top-level keys and null signature parts', () => {
    const model: MlModel = {
      flavors: { js: { entry: 'js/model.mjs' } },
      run_id: undefined,
      model_id: null as unknown as string,
      signature: { inputs: '[{"type": "double", "required": true}]', outputs: null, params: null },
    }
    const written = serializeMlModel(model)
    expect(written).not.toContain('run_id')
    expect(written).not.toContain('model_id')
    expect(written).not.toContain('null')
    expect(written).toContain('signature:\n  inputs: \'[{"type": "double", "required": true}]\'')
  })

  it.skipIf(!existsSync(PYTHON))('writes files that MLflow itself loads', () => {
    const model = parseMlModel(fixture('all-types'))
    const python = [
      'import sys, json',
      'from mlflow.models import Model',
      'import yaml',
      'm = Model.from_dict(yaml.safe_load(sys.stdin.read()))',
      'print(json.dumps({"params": [p.name for p in m.signature.params.params], "inputs": m.signature.inputs.input_names(), "metadata": m.metadata, "flavors": sorted(m.flavors)}))',
    ].join('\n')
    const out = execFileSync(PYTHON, ['-c', python], { input: serializeMlModel(model), encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual({
      params: ['temperature', 'top_k', 'tags', 'flag'],
      inputs: ['x', 'n', 'text', 'values', 'obj', 'weights'],
      metadata: { owner: 'cairn', yes_string: 'yes' },
      flavors: ['js'],
    })
  })
})

describe('readMlModel and writeMlModel', () => {
  it('writes then reads a model directory', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cairn-mlmodel-'))
    directories.push(directory)
    const model: MlModel = {
      flavors: { onnx: { data: 'model.onnx' } },
      model_uuid: newModelUuid(),
      utc_time_created: formatUtcTimeCreated(new Date()),
      mlflow_version: '3.17.2',
    }
    await writeMlModel(join(directory, 'nested'), model)
    expect(await readFile(join(directory, 'nested', 'MLmodel'), 'utf8')).toMatch(
      /^flavors:\n {2}onnx:\n {4}data: model.onnx\n/,
    )
    expect(await readMlModel(join(directory, 'nested'))).toEqual(model)
  })

  it('answers RESOURCE_DOES_NOT_EXIST for a directory without MLmodel', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cairn-mlmodel-'))
    directories.push(directory)
    await expect(readMlModel(directory)).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: `Could not find an "MLmodel" configuration file at "${directory}"`,
    })
  })
})

describe('newModelUuid and formatUtcTimeCreated', () => {
  it('makes 32 hex characters, different each time', () => {
    const uuid = newModelUuid()
    expect(uuid).toMatch(/^[0-9a-f]{32}$/)
    expect(newModelUuid()).not.toBe(uuid)
  })

  it('formats a date as naive UTC with microseconds', () => {
    expect(formatUtcTimeCreated(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))).toBe(
      '2024-01-02 03:04:05.678000',
    )
    expect(formatUtcTimeCreated(new Date(Date.UTC(2024, 11, 31, 23, 59, 59, 5)))).toBe(
      '2024-12-31 23:59:59.005000',
    )
  })
})

describe('parseMlModel: hostile keys', () => {
  it("keeps a '__proto__' key as data: it neither sets the prototype nor round-trips away", () => {
    const model = parseMlModel('flavors:\n  onnx: {}\n__proto__:\n  signature: 3\n')
    expect(Object.getPrototypeOf(model)).toBe(Object.prototype)
    expect(model.signature).toBeUndefined()
    expect(serializeMlModel(model)).toContain('__proto__:')
  })
})
